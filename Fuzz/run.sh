#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 60), seeded from SampleBatches/ and
# Rules/. Fails when a target finds a crash, a leak or a broken invariant; the input is kept in
# Fuzz/artifacts/TARGET/ (or $FUZZ_ARTIFACTS/TARGET/).
# Usage: Fuzz/run.sh [SECONDS] [TARGET…]     targets: FuzzCSV FuzzXML FuzzRules
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzCSV FuzzXML FuzzRules)
artifacts="${FUZZ_ARTIFACTS:-$PWD/artifacts}"

# Address sanitizer with the fuzzer when the toolchain links it; the fuzzer alone otherwise.
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
echo "== build of the fuzz targets (-sanitize=$sanitizers)"
# lld: gold stops with an internal error on the sanitizer runtime's debug information.
flags=(-c release -Xswiftc "-sanitize=$sanitizers" -Xswiftc -use-ld=lld)
swift build "${flags[@]}" 2>&1 | grep -v "warning: Cannot export local symbol" | tail -n 3
bin="$(swift build "${flags[@]}" --show-bin-path)"

# Seeds, made at run time from the committed samples: small slices so each run starts near real input.
corpus="$PWD/corpus"
mkdir -p "$corpus/FuzzCSV" "$corpus/FuzzXML" "$corpus/FuzzRules"
python3 - "$corpus" <<'PY'
import os, sys
corpus = sys.argv[1]
root = os.path.dirname(os.path.abspath("."))
def write(target, name, data):
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)
csv = open(os.path.join(root, "SampleBatches/csv/decembre-2024.csv"), "rb").read().split(b"\n")
for i, start in enumerate(range(1, len(csv), 25)):
    write("FuzzCSV", "sample-%03d.csv" % i, b"\n".join([csv[0]] + csv[start:start + 25]) + b"\n")
write("FuzzCSV", "contract.csv", b"invoice_id;act_date;practitioner_id;practitioner_specialty;patient_id;patient_birth_date;code;amount;note\n"
      b"F1;2024-03-05;10000000001;01;1850775123456;2021-03-04;G;30;\"a\nb\"\nF2;2024-03-05;10000000001;01;P2;2021-03-04;VG;30;\n")
xml = open(os.path.join(root, "SampleBatches/xml/decembre-2024.xml"), "rb").read()
head, _, body = xml.partition(b"<invoice ")
invoices = [b"<invoice " + part for part in body.split(b"<invoice ") if part]
for i, start in enumerate(range(0, len(invoices), 12)):
    chunk = b"".join(invoices[start:start + 12]).replace(b"</batch>", b"")
    write("FuzzXML", "sample-%03d.xml" % i, head + chunk + b"</batch>\n")
rules = os.path.join(root, "Rules")
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(rules) for f in fs if f.endswith(".yaml"))
for index, path in enumerate(paths):
    write("FuzzRules", "rule-%02d.yaml" % index, bytes([index]) + open(path, "rb").read())
PY

status=0
for target in "${targets[@]}"; do
  mkdir -p "$artifacts/$target"
  log="$artifacts/$target.log"
  echo "== $target: ${seconds} s (log: $log)"
  # The corpus folder grows with what the run discovers; the seeds are rewritten each time.
  code=0
  # Leak checks off: the Swift runtime keeps metadata caches for the life of the process, which
  # LeakSanitizer reports at exit; a leak per input would show as growing RSS against the limit.
  ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$bin/$target" "$corpus/$target" -max_total_time="$seconds" \
      -timeout="${FUZZ_TIMEOUT:-120}" -rss_limit_mb=2048 -detect_leaks=0 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$target/" >"$log" 2>&1 || code=$?
  grep -E "INVARIANT|ERROR:|SUMMARY|stat::number_of_executed_units|stat::peak_rss_mb|Test unit written" "$log" || true
  if [ "$code" -ne 0 ]; then
    echo "$target: FAILED (exit $code; input saved under $artifacts/$target/)"
    status=1
  fi
done
exit $status
