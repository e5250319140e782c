#!/usr/bin/env bash
# The flood benchmark (never run by mvn verify): legitimate senders alone, then under a spam flood with shaping in
# dry run, with shaping on, and on a plain James 3.8.1; writes docs/flood-report.md with its charts.
# Builds the extension jar and the benchmarks module, then runs org.jamesshaping.bench.flood.FloodBenchmark in
# its own JVM (the load tool); each phase starts its own James (child JVM through the launcher) and MongoDB
# (child JVM), loopback only (legitimate senders 127.50.0.0/24, abusive 127.60-64.0.0/24), and stops them at the end.
# Work files and James logs: benchmarks/target/bench/flood/.
#
# Usage: benchmarks/bench/flood-benchmark.sh [--quick] [options]   (--help: all options)
# Environment: SKIP_BUILD=1 to use what is already built; MVN_ARGS (e.g. -o) passed to Maven; JAMES_JVM_ARGS: extra
# flags for the James JVMs ({name}: the phase's id), e.g. -XX:StartFlightRecording=filename=/tmp/james-{name}.jfr
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

CP_FILE="benchmarks/target/runtime-classpath.txt"
if [[ "${SKIP_BUILD:-}" != 1 || ! -f "$CP_FILE" ]]; then
  mvn -B -q -DskipTests ${MVN_ARGS:-} package
fi
# Thousands of abusive connections need as many file descriptors here and in James.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec java -Xmx1g -Djava.awt.headless=true -Dbench.root="$ROOT" -cp "benchmarks/target/classes:$(cat "$CP_FILE")" \
  org.jamesshaping.bench.flood.FloodBenchmark "$@"
