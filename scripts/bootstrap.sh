#!/usr/bin/env bash
# Sets up everything `make demo` and `make test` need on a fresh machine: uv, .venv; with --test also
# Chromium for the browser tests and a running PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "bootstrap: installing uv with pip" >&2
  python3 -m pip install --quiet uv
fi
UV="uv"; command -v uv >/dev/null 2>&1 || UV="python3 -m uv"
$UV sync --frozen --quiet
# bytecode, once: where PYTHONDONTWRITEBYTECODE is set (as on our CI machine) nothing is ever cached, and every
# CLI run, test subprocess and worker compiled SQLAlchemy, pandas, ibis… and fangkong from source again (`fangkong
# --help` 22–27 s instead of 7–9 s under load). compileall skips what is already up to date.
.venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages fangkong tests bench >/dev/null 2>&1 || true

if [ "${1:-}" = "--test" ]; then
  # browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline)
  if [ ! -x /usr/bin/chromium ]; then
    echo "bootstrap: installing Debian's chromium for the browser tests" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q chromium fonts-noto-cjk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium fonts-noto-cjk >/dev/null; }
    else sudo apt-get install -y -q chromium fonts-noto-cjk >/dev/null; fi
  fi
  # bench/scan.py (run at a tiny size by the tests) drives the server with wrk
  if ! command -v wrk >/dev/null 2>&1; then
    echo "bootstrap: installing Debian's wrk for bench/scan.py" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
    else sudo apt-get install -y -q wrk >/dev/null; fi
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "bootstrap: starting PostgreSQL" >&2
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && break; sleep 1; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || {
    echo "bootstrap: PostgreSQL is not reachable on 127.0.0.1:5432 (set FANGKONG_TEST_POSTGRES_URL)" >&2; exit 1; }
fi
