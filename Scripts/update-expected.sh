#!/usr/bin/env bash
# Regenerates SampleBatches/ and the expected audit after a deliberate change to the samples or the
# rules. Read the diff of SampleBatches/expected/ against SampleBatches/PLANTED.md before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Scripts/make-samples.py
mkdir -p SampleBatches/expected
swift build -q
COTAUDIT_PSEUDONYM_KEY=cotaudit-ci-key-not-secret .build/debug/cotaudit audit SampleBatches/csv \
  --profile export-fr --roster SampleBatches/roster.csv --as-of 2025-01-15 --format json \
  -o SampleBatches/expected/audit-csv.json
echo "SampleBatches/expected/audit-csv.json écrit"
