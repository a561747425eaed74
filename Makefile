# The two commands of the README: `make demo` and `make test`. Everything else is set up by them.
.PHONY: demo test lint bench setup clean

PY := .venv/bin/python
ARGS ?=

setup:
	@bash scripts/bootstrap.sh

demo: setup
	.venv/bin/fangkong demo $(ARGS)

test:
	@bash scripts/bootstrap.sh --test
	.venv/bin/lint-imports
	.venv/bin/ruff check --select F,E9 fangkong tests bench   # pyflakes: unused and undefined names, repeated keys
	$(PY) -m pytest $(ARGS)

bench: setup
	$(PY) bench/trace.py
	$(PY) bench/resolve.py
	$(PY) bench/persons_clean.py
	$(PY) bench/risk_store.py
	$(PY) bench/lab_import.py

clean:
	rm -rf data .pytest_cache
