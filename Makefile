# The two commands a new user types: `make run` and `make test`.
# Both install missing Debian packages (scripts/install-deps), configure and build with the
# `release` CMake preset, then run the main job or the default test suite.

BUILD_DIR := build/release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test build deps configure asan tidy format clean

# Replays the default scenario: 3 managers, 300 workers, 1,500 tasks, a leader crash.
run: build
	$(BUILD_DIR)/scenarios/herdsim run scenarios/library/leader-failover.json --out reports/out

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

configure: deps
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset release

deps:
	@scripts/install-deps

# ASan + UBSan build and test run (slower; not part of the default suite).
asan: deps
	cmake --preset asan && cmake --build build/asan -j $(JOBS) && ctest --preset asan

# clang-tidy over every project source (see .clang-tidy).
tidy: deps
	cmake --preset tidy && cmake --build build/tidy -j $(JOBS)

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build
