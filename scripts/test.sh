#!/usr/bin/env bash
# The tests, from the debug build `make test` has just made. The test bundle is run directly: two `swift test`s
# would wait on each other's lock of .build.
#
# The WholeMachine integration suites run first, with nothing beside them: their figures are the machine's. Then
# three processes run side by side: the unit tests (in parallel, as `swift test` runs them) and two lanes of the
# SharedMachine integration suites, each one test at a time. Those suites kept about 0.9 of the 2 cores busy
# alone, mostly waiting on servers. Lane 2 takes every integration test the other runs do not name, so a new
# suite runs somewhere without being listed here.
set -uo pipefail
cd "$(dirname "$0")/.."
bin="$(${SWIFT:-swift} build --show-bin-path)/mailstormPackageTests.xctest"
logs=.build/test-logs
mkdir -p "$logs"
run() { "$bin" --testing-library swift-testing "$@"; }

# The scenario runs and the API fuzzer: about half of the SharedMachine time.
lane1='SharedMachine/(ScenarioSuiteTests|APIFuzzTests)/'

# A filter that matched nothing would pass quietly: each run must say it ran tests, and passed.
passed() { grep -Eq "Test run with [1-9][0-9]* tests? .*passed" "$1"; }

failed=()
run --filter 'IntegrationTests\.WholeMachine/' 2>&1 | tee "$logs/whole-machine.log"
passed "$logs/whole-machine.log" || failed+=("WholeMachine")

# Starts a run in the background, its output to $logs/NAME.log.
names=() pids=()
start() { local name=$1; shift; run "$@" > "$logs/$name.log" 2>&1 & names+=("$name"); pids+=($!); }
start unit --skip 'IntegrationTests\.'
start lane-1 --filter "$lane1"
start lane-2 --filter 'IntegrationTests\.' --skip 'IntegrationTests\.WholeMachine/' --skip "$lane1"
trap 'kill ${pids[*]} 2>/dev/null' EXIT
wait "${pids[@]}"
trap - EXIT
for name in "${names[@]}"; do
  echo "=== $name ($logs/$name.log)"
  cat "$logs/$name.log"
  passed "$logs/$name.log" || failed+=("$name")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "tests failed: ${failed[*]}" >&2
  exit 1
fi
echo "tests passed: WholeMachine alone, then the unit tests and SharedMachine in 2 lanes side by side"
