"""The audit log: `fangkong audit` (the log's table and audit() are db/audit.py's, its API auth/api.py's)."""
