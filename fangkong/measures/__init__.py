"""Measures: isolation and monitoring orders, their test schedules, escalation and release."""
