# dpkit top-level commands. `make demo` and `make test` work on a fresh Debian 12 machine as
# root: each installs missing apt packages first (scripts/install-deps.sh).
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test test-quick bench asan clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The end-to-end demo on data dpkit generates itself.
demo: build
	@bash scripts/demo.sh $(BUILD_DIR)/src/cli/dpkit

# Every test tier (unit, statistical, audit, e2e) plus the find_package(dpkit) consumer check.
test: build
	@ctest --preset all
	@bash scripts/check-consumer.sh $(BUILD_DIR)

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
