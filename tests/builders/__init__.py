"""Plain builder functions for test data (tests/builders/<domain>.py)."""
