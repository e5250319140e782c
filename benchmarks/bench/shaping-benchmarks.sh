#!/usr/bin/env bash
# Traffic-shaping benchmarks (never run by mvn verify): builds the extension jar and the benchmarks module, then
# runs the Java mains in org.jamesshaping.bench.shaping with the benchmarks' runtime classpath.
# Each benchmark starts its own James (child JVM through the launcher, embedded MongoDB), uses loopback only,
# and stops everything at the end. Work files and James logs: benchmarks/target/bench/.
#
# Usage: benchmarks/bench/shaping-benchmarks.sh held|overhead|readrate|spray|all [options of that benchmark]
#   held      10,000 connections tarpitted in class 8 for 60s: IO threads, heap and RSS per connection,
#             clean sender latency           (--connections N --hold SECONDS --connect-rate N --clean-samples N)
#   overhead  clean mail through James with and without the extension, interleaved rounds: msgs/s and p99
#             (--clients N --rounds N --round-seconds S --warmup-seconds S --max-warmup-seconds S (until the JIT
#              settles) --message-bytes N --no-filters-variant --embedded-mongo (MongoDB inside James's JVM instead
#              of a process of its own) --side-by-side-rounds N (then all variants loaded at once, default 6)
#              --rate N: paced to N sessions/s, latency from each session's intended start)
#   readrate  configured vs measured DATA read rate for 16 KB/s .. 1 MB/s   (--seconds S --repeats N)
#   spray     heap after GC every 10s during connect-and-quit spraying from 20,000 addresses, with and without 300
#             tarpitted connections held            (--seconds S --rate N --addresses N --held N --threads N)
# Environment: SKIP_BUILD=1 to use what is already built; MVN_ARGS (e.g. -o) passed to Maven; JAMES_JVM_ARGS and
# MONGO_JVM_ARGS: extra flags for the James JVMs, and flags replacing the defaults of the overhead benchmark's MongoDB JVM.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

which="${1:-}"
case "$which" in
  held|overhead|readrate|spray|all) shift ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

CP_FILE="benchmarks/target/runtime-classpath.txt"
if [[ "${SKIP_BUILD:-}" != 1 || ! -f "$CP_FILE" ]]; then
  mvn -B -q -DskipTests ${MVN_ARGS:-} package
fi

echo "machine: $(nproc) cores; $(free -h | awk '/Mem:/ {print $2}') RAM; $(java -version 2>&1 | head -1); ulimit -n $(ulimit -n); $(date -u +%Y-%m-%dT%H:%MZ)"
run() {
  # 10,000 held connections need as many file descriptors in this JVM and in James's.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  java -Xmx2g -Dbench.root="$ROOT" -cp "benchmarks/target/classes:$(cat "$CP_FILE")" "$@"
}
case "$which" in
  held)     run org.jamesshaping.bench.shaping.HeldConnectionsBenchmark "$@" ;;
  overhead) run org.jamesshaping.bench.shaping.OverheadBenchmark "$@" ;;
  readrate) run org.jamesshaping.bench.shaping.ReadRateBenchmark "$@" ;;
  spray)    run org.jamesshaping.bench.shaping.SprayBenchmark "$@" ;;
  all)
    run org.jamesshaping.bench.shaping.HeldConnectionsBenchmark
    run org.jamesshaping.bench.shaping.OverheadBenchmark
    run org.jamesshaping.bench.shaping.ReadRateBenchmark ;;
esac
