# Mailstorm. `make bench` and `make test` work on a fresh machine: both run `setup` first.
SWIFT ?= swift
RELEASE_BIN = .build/release

.PHONY: setup build release bench test test-unit clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

# The Swift runtime is linked in, as deploy/Dockerfile ships it: what `make bench` measures is what users run, and
# each start skips resolving the runtime's symbols (about 13 ms of CPU per mailstorm run here).
RELEASE_FLAGS = -c release --static-swift-stdlib

release: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product campaignd
	$(SWIFT) build $(RELEASE_FLAGS) --product mailstorm

# The basic scenario on the embedded stack, release build (debug numbers would not be worth printing).
# It shows the comparison with baselines/basic-smoke.json as advice (one trial, maybe on another machine, decides
# nothing about the code): the KPIs alone decide the exit code here, and every report says so. Nightly CI uses
# `mailstorm ab` or `mailstorm run` with trials (docs/nightly-ci.md).
bench: release
	$(RELEASE_BIN)/mailstorm run basic --profile smoke --baseline-advisory

# The integration tests start real PostgreSQL, Redis and campaignd themselves. Those that measure the machine run
# alone; then the unit tests and the others run side by side (scripts/test.sh).
test: setup
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) scripts/test.sh

test-unit: setup
	$(SWIFT) test --skip IntegrationTests

clean:
	rm -rf .build results
