# The two commands of the README: `make demo` and `make test`. Everything else is set up by them.
.PHONY: demo test test-fast lint bench setup clean
# what a test run or the demo imports is cached as bytecode even where the environment says not to (see
# scripts/bootstrap.sh): every subprocess would otherwise compile its imports from source
unexport PYTHONDONTWRITEBYTECODE

PY := .venv/bin/python
ARGS ?=

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/fangkong demo $(ARGS)

test:
	@bash scripts/bootstrap.sh --test
	.venv/bin/lint-imports
# ruff: pyflakes (unused/undefined names, repeated keys), syntax, import order, bugbear, pyupgrade, warnings,
# pylint errors; E501 (line length) stays out: reflowing every long line would touch most files at once
	.venv/bin/ruff check --select F,E9,I,B,UP,W,PLE fangkong tests bench
# two processes (pytest-xdist; a module's tests stay on one; each process has its own PostgreSQL database)
	$(PY) -m pytest -n 2 --dist loadfile $(ARGS)

# the lane to run while working (docs/testing.md): SQLite only, no browser, reliability or slow tests, on two
# processes (pytest-xdist; a module's tests stay on one). The e2e and reliability folders hold only tests the
# markers leave out: not collecting them spares each process their imports (Playwright, ~1.5 s)
test-fast: setup
	.venv/bin/ruff check --select F,E9,I,B,UP,W,PLE fangkong tests bench
	$(PY) -m pytest -n 2 --dist loadfile -m "not slow and not e2e and not reliability and not postgres" \
		--ignore=tests/e2e --ignore=tests/reliability $(ARGS)

bench: setup
	$(PY) bench/trace.py
	$(PY) bench/resolve.py
	$(PY) bench/persons_clean.py
	$(PY) bench/risk_store.py
	$(PY) bench/lab_import.py

clean:
	rm -rf data .pytest_cache
