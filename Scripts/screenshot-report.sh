#!/usr/bin/env bash
# Renders the director's HTML report of SampleBatches/ in a real headless browser (Chromium from
# Debian's packages) and writes docs/rapport.png (the page) and docs/rapport.pdf (as printed on A4).
# DOCS_DIR=/tmp/x writes the pictures elsewhere (to look at them without touching docs/).
set -euo pipefail
cd "$(dirname "$0")/.."
docs_dir="${DOCS_DIR:-docs}"
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Some images cannot run gpgv as the _apt sandbox user: apt runs its helpers as root here.
  $SUDO apt-get -o APT::Sandbox::User=root update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o APT::Sandbox::User=root install -y -qq chromium fonts-dejavu-core
fi
mkdir -p out "$docs_dir"
swift build -q
# A fixed report date, centre name and pseudonym key: the picture is the same from run to run.
COTAUDIT_PSEUDONYM_KEY="${COTAUDIT_PSEUDONYM_KEY:-cotaudit-ci-key-not-secret}" swift run -q cotaudit audit SampleBatches/csv \
  --profile export-fr --roster SampleBatches/roster.csv --as-of 2025-01-15 --centre "Centre de santé des Lilas (exemple)" \
  --format html -o out/rapport.html
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1240,3000 \
  --screenshot="$PWD/$docs_dir/rapport.png" "file://$PWD/out/rapport.html" 2>/dev/null
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$PWD/$docs_dir/rapport.pdf" "file://$PWD/out/rapport.html" 2>/dev/null
echo "$docs_dir/rapport.png et $docs_dir/rapport.pdf écrits depuis out/rapport.html"
