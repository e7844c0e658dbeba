# Developer shortcuts; the README's two commands are what a new machine needs.
PY ?= python3

.PHONY: dev test lint fmt bench

# A debug build of the extension placed beside the Python sources (use with PYTHONPATH=python).
dev:
	PYO3_BUILD_EXTENSION_MODULE=1 CARGO_TARGET_DIR=target/py cargo build --features python
	cp target/py/debug/libferroflow.so python/ferroflow/_lib.abi3.so

test:
	bash .ci/test

lint:
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	ruff check python tests benches

fmt:
	cargo fmt
	ruff check --fix python tests benches

bench:
	$(PY) benches/run_all.py
