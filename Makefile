# Everyday commands. `make test` is what CI runs.
PY ?= .venv/bin/python

.PHONY: install lint test demo bench

install:
	python3 -m venv .venv
	.venv/bin/pip install -q -e '.[dev]'

lint:
	.venv/bin/ruff check connector tests bench
	.venv/bin/ruff format --check connector tests bench
	.venv/bin/mypy

test:
	.venv/bin/pytest -n 2 -q

demo:
	.venv/bin/crmsync demo

bench:
	$(PY) -m pytest -m slow -q bench
