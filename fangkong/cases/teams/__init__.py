"""Tracing teams (流调队伍): teams and members, investigations assigned to them; their API, CLI and schemas."""
