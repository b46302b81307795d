# dpkit top-level commands. `make demo` and `make test` work on a fresh Debian 12 machine as
# root: each installs missing apt packages first (scripts/install-deps.sh; Chromium and the JDK,
# which only tests use, with `make test` / `make test-python` only).
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps configure build demo test test-quick bench asan clean python test-python serve spark-example

all: build

deps:
	@bash scripts/install-deps.sh

test-deps:
	@bash scripts/install-deps.sh test

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The end-to-end demo on data dpkit generates itself. Builds only what it runs (the dpkit and
# dpkit-train executables), no test or benchmark.
demo: configure
	@cmake --build --preset $(PRESET) -j $(JOBS) --target dpkit
	@bash scripts/demo.sh $(BUILD_DIR)/src/cli/dpkit

# Every test tier (unit, statistical, audit, e2e, privacy) plus the find_package(dpkit) consumer
# check. The Python package comes first: the web service's privacy test runs through it.
test: build python test-deps
	@ctest --preset all
	@bash scripts/check-consumer.sh $(BUILD_DIR)
	@$(MAKE) --no-print-directory test-python

# The Python package (python/, docs/python.md): a wheel built from this tree, installed into a venv
# of its own (Debian's Python is externally managed, PEP 668). build/python is reused between builds.
VENV := build/venv
python: deps
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q -r python/requirements-build.txt
	@rm -rf build/python-dist
	@$(VENV)/bin/pip wheel -q --no-deps --no-build-isolation -w build/python-dist \
	  --config-settings=build-dir=$(CURDIR)/build/python ./python
	@$(VENV)/bin/pip install -q build/python-dist/dpkit-*.whl
	@$(VENV)/bin/pip install -q --force-reinstall --no-deps build/python-dist/dpkit-*.whl

# pytest suite; installs its pinned requirements (torch and opacus for the Opacus test) first.
test-python: build python test-deps
	@$(VENV)/bin/pip install -q -r python/requirements-test.txt
	@DPKIT_CLI=$(BUILD_DIR)/src/cli/dpkit $(VENV)/bin/python -m pytest -q python/tests

# The web UI with the sample data (docs/ui.md): prints the URL to open, with a fresh token.
serve: build python
	@DPKIT_CLI=$(BUILD_DIR)/src/cli/dpkit $(VENV)/bin/python -m dpkit.serve --data-dir serve-data \
	  --login demo --sample

# The Spark example (docs/spark.md) on a local Spark session: a JDK, pyspark, then the example.
spark-example: python
	@bash scripts/install-deps.sh spark
	@$(VENV)/bin/pip install -q -r python/requirements-spark.txt
	@$(VENV)/bin/python examples/spark/customers.py --out spark-output

# Fast developer loop: unit tier only, RelWithDebInfo build.
test-quick:
	@$(MAKE) --no-print-directory build PRESET=dev
	@ctest --preset quick

bench: build
	@bash bench/run_all.sh $(BUILD_DIR)

asan: deps
	@cmake --preset asan-ubsan >/dev/null
	@cmake --build --preset asan-ubsan -j $(JOBS)
	@ctest --preset asan-ubsan

clean:
	rm -rf build
