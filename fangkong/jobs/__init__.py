"""Scheduled jobs (recolour, scan flush, release-due, overdue escalation, night compaction, purge, backup), inbox
folders and notification sending: what runs by itself inside `fangkong serve` or `fangkong worker`."""
