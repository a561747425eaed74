"""Designated hospitals (定点医院): beds, admission and discharge of cases, the escalation plan; their API and CLI."""
