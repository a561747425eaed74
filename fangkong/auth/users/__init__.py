"""Users: `fangkong users` (the accounts, roles and tokens themselves are auth/service.py's)."""
