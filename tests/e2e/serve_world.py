"""The shared world's server (tests/e2e/conftest.py `shared`): the app under uvicorn in a process of its own, so
that its settings (the world's store) are not those the other tests set and clear in the test process. Passwords
are checked with the test suite's cheap argon2 parameters, as in tests/conftest.py (a login would otherwise
re-hash the password with the recommended ones: ~1 s under load, for each of the walks' logins)."""

from __future__ import annotations

import sys

import uvicorn
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from fangkong.auth import service as auth_service

auth_service._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
auth_service._DUMMY = auth_service._hasher.hash("fangkong-no-such-user")

if __name__ == "__main__":
    uvicorn.run("fangkong.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                timeout_keep_alive=int(sys.argv[2]) if len(sys.argv) > 2 else 5)
