#!/usr/bin/env bash
# The integration tests, from the debug build `make test` has just made (the test bundle is run directly: two
# `swift test`s would wait on each other's lock of .build).
#
# The WholeMachine suites run first, with nothing beside them: their figures are the machine's. The SharedMachine
# suites then run in two processes side by side, each one test at a time. Alone they kept about 0.9 of the 2 cores
# busy, mostly waiting on servers, so two at once nearly halve their time. Lane 2 takes every integration test the
# other two runs do not name, so a new suite runs somewhere without being listed here.
set -uo pipefail
cd "$(dirname "$0")/.."
bin="$(${SWIFT:-swift} build --show-bin-path)/mailstormPackageTests.xctest"
logs=.build/integration-tests
mkdir -p "$logs"
run() { "$bin" --testing-library swift-testing "$@"; }

# The scenario runs and the API fuzzer: about half of the SharedMachine time.
lane1='SharedMachine/(ScenarioSuiteTests|APIFuzzTests)/'

# A filter that matched nothing would pass quietly: each run must say it ran tests, and passed.
passed() { grep -Eq "Test run with [1-9][0-9]* tests? .*passed" "$1"; }

failed=()
run --filter 'IntegrationTests\.WholeMachine/' 2>&1 | tee "$logs/whole-machine.log"
passed "$logs/whole-machine.log" || failed+=("WholeMachine")

run --filter "$lane1" > "$logs/lane-1.log" 2>&1 &
one=$!
run --filter 'IntegrationTests\.' --skip 'IntegrationTests\.WholeMachine/' --skip "$lane1" > "$logs/lane-2.log" 2>&1 &
two=$!
trap 'kill $one $two 2>/dev/null' EXIT
wait $one; wait $two
trap - EXIT
for lane in 1 2; do
  echo "=== SharedMachine, lane $lane ($logs/lane-$lane.log)"
  cat "$logs/lane-$lane.log"
  passed "$logs/lane-$lane.log" || failed+=("SharedMachine lane $lane")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "integration tests failed: ${failed[*]}" >&2
  exit 1
fi
echo "integration tests passed: WholeMachine, then SharedMachine in 2 lanes"
