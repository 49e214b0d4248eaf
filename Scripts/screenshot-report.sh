#!/usr/bin/env bash
# Renders the director's HTML report of SampleBatches/ in a real headless browser (Chromium from
# Debian's packages) and writes docs/rapport.png (the whole page on screen) and docs/rapport.pdf
# (as printed on A4), from the current build.
# DOCS_DIR=/tmp/x writes the pictures elsewhere (to look at them without touching docs/).
set -euo pipefail
cd "$(dirname "$0")/.."
docs_dir="${DOCS_DIR:-docs}"
if ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/dejavu ]; then
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

# Its own profile folder: no lock shared with a browser or test running at the same time.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
browser=(chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile")
width=1100
# A screenshot holds the window only: the page's height is measured first (a copy with a script
# that writes it into the title; the report itself has no script) so that the picture is the
# whole page, neither cut nor padded.
sed 's|</body>|<script>addEventListener("load", function () { document.title = "HAUTEUR " + document.documentElement.scrollHeight; });</script></body>|' \
  out/rapport.html > out/rapport-hauteur.html
height=$("${browser[@]}" --hide-scrollbars --window-size="$width,1000" --virtual-time-budget=5000 --dump-dom \
  "file://$PWD/out/rapport-hauteur.html" 2>/dev/null | sed -n 's|.*<title>HAUTEUR \([0-9]*\)</title>.*|\1|p')
[ -n "$height" ] || { echo "hauteur de la page non mesurée" >&2; exit 1; }
"${browser[@]}" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$PWD/$docs_dir/rapport.png" "file://$PWD/out/rapport.html" 2>/dev/null
"${browser[@]}" --no-pdf-header-footer \
  --print-to-pdf="$PWD/$docs_dir/rapport.pdf" "file://$PWD/out/rapport.html" 2>/dev/null
# Page objects, not the page tree (/Type /Pages).
pages=$(grep -a -o -E '/Type ?/Page([^s]|$)' "$docs_dir/rapport.pdf" | wc -l)
echo "$docs_dir/rapport.png (${width} × ${height} px) et $docs_dir/rapport.pdf ($pages pages A4) écrits depuis out/rapport.html"
