#!/usr/bin/env bash
# Speed of the whole `cotaudit audit --format json` process (release build) on generated batches of
# 100 000, 1 000 000 and 5 000 000 act lines, beside DuckDB doing tariff-below-schedule (G, VG, MEG,
# MD) and missing-meg in SQL on the same CSV, in the same run. Prints a Markdown table (README,
# "Speed") with wall time, CPU time, MB/s, acts/s, peak memory, the ratio and the machine's load.
#
#   nice -n 19 Scripts/benchmark.sh                  # 100k, 1M, 5M lines (a few minutes)
#   BENCH_SIZES=100000 Scripts/benchmark.sh           # only 100k
#   BENCH_XML=100000,1000000 Scripts/benchmark.sh     # XML too at these sizes (default 100000)
#   BENCH_SAME_PATIENTS= Scripts/benchmark.sh         # without the 5M-line batch run again with the
#                                                     # 1M batch's 100 000 patients (memory flat in rows)
#   BENCH_REPEAT=5 Scripts/benchmark.sh               # each tool 5 times per row, in turn (default 3);
#                                                     # the run of median wall time is shown
#
# Generated files are kept in BENCH_DATA (default .build/benchmark) and reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${BENCH_SIZES:-100000,1000000,5000000}"
xml="${BENCH_XML:-100000}"
same_patients="${BENCH_SAME_PATIENTS-5000000}"
data="${BENCH_DATA:-.build/benchmark}"
venv=".build/benchmark-venv"

# Release build with debug information (the same optimised code; callgrind and perf need the symbols).
echo "== release build" >&2
swift build -c release --product cotaudit -Xswiftc -g >&2
binary="$(swift build -c release -Xswiftc -g --show-bin-path)/cotaudit"

if ! "$venv/bin/python" -c "import duckdb, yaml" 2>/dev/null; then
  echo "== DuckDB (PyPI) in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet duckdb pyyaml >&2
fi

mkdir -p "$data"
"$venv/bin/python" Scripts/benchmark.py run --cotaudit "$binary" --rules "$PWD/Rules" --data "$data" \
  --sizes "$sizes" --xml "$xml" --same-patients "$same_patients" --repeat "${BENCH_REPEAT:-3}" --table "$data/results.md"
echo "(tableau écrit dans $data/results.md)" >&2
