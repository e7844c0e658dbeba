# Developer shortcuts; the README's two commands are what a new machine needs.
PY ?= python3

.PHONY: dev test ci lint fmt wheel bench

# A debug build of the extension placed beside the Python sources (use with PYTHONPATH=python).
dev:
	PYO3_BUILD_EXTENSION_MODULE=1 CARGO_TARGET_DIR=target/py cargo build --features python
	cp target/py/debug/libferroflow.so python/ferroflow/_lib.abi3.so

# The README's test command, in the current environment.
test:
	eval "$$(bash .ci/readme-command '# 2. Run the whole test suite')"

# What CI runs: the test command in a new virtual environment, the linters, the wheel check.
ci:
	bash .ci/run

lint:
	bash .ci/lint

fmt:
	cargo fmt
	ruff check --fix python tests benches examples fuzz .ci
	ruff format python tests benches examples fuzz .ci

# The wheel to ship (the README's command), checked as CI checks it.
wheel:
	bash .ci/wheel

bench:
	$(PY) benches/run_all.py
