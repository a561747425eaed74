"""Persons, households, venues and jurisdictions."""
