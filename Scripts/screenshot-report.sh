#!/usr/bin/env bash
# Renders the director's HTML report of SampleBatches/ in a real headless browser (Chromium from
# Debian's packages) and writes docs/rapport.png (the page) and docs/rapport.pdf (as printed on A4).
set -euo pipefail
cd "$(dirname "$0")/.."
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # Some images cannot run gpgv as the _apt sandbox user: apt runs its helpers as root here.
  $SUDO apt-get -o APT::Sandbox::User=root update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o APT::Sandbox::User=root install -y -qq chromium fonts-dejavu-core
  browser=$(command -v chromium)
fi
mkdir -p out docs
swift build -q
COTAUDIT_PSEUDONYM_KEY="${COTAUDIT_PSEUDONYM_KEY:-cotaudit-ci-key-not-secret}" .build/debug/cotaudit audit SampleBatches/csv \
  --profile export-fr --roster SampleBatches/roster.csv --as-of 2025-01-15 --centre "Centre de santé des Lilas (exemple)" \
  --format html -o out/rapport.html
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,3400 \
  --screenshot="$PWD/docs/rapport.png" "file://$PWD/out/rapport.html" 2>/dev/null
"$browser" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$PWD/docs/rapport.pdf" "file://$PWD/out/rapport.html" 2>/dev/null
echo "docs/rapport.png et docs/rapport.pdf écrits depuis out/rapport.html"
