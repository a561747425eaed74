"""Isolation sites (集中隔离点): sites, rooms, staff, room assignment, occupancy and reserve; their API, CLI and page."""
