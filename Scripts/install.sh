#!/usr/bin/env bash
# Installs cotaudit for the whole machine or one user: builds the release binary and copies it to
# PREFIX/bin, and the rule set to PREFIX/share/cotaudit/Rules — where the binary looks for it
# (beside ../share/cotaudit/Rules of its own folder), so no --rules or COTAUDIT_RULES is needed.
#
#   Scripts/install.sh [--prefix DIR]     (default /usr/local; ~/.local for one user)
#   Scripts/install.sh --prefix DIR --binary FILE   installs an already built binary (packaging, tests)
#
# Needs Swift 6 and libxml2-dev (see README). The release build takes several minutes the first time.
set -euo pipefail

prefix=/usr/local
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix attend un dossier}"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --binary) binary="${2:?--binary attend un fichier}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh : option inconnue « $1 » (usage : Scripts/install.sh [--prefix DOSSIER])" >&2; exit 64 ;;
  esac
done
# Paths given relative to where the command was typed, before moving to the checkout.
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
case "$binary" in ""|/*) ;; *) binary="$PWD/$binary" ;; esac
cd "$(dirname "$0")/.."

if [ -z "$binary" ]; then
  echo "== compilation (release ; plusieurs minutes la première fois)"
  swift build -c release --product cotaudit
  binary="$(swift build -c release --show-bin-path)/cotaudit"
fi
[ -x "$binary" ] || { echo "install.sh : binaire introuvable : $binary" >&2; exit 2; }

echo "== installation dans $prefix"
mkdir -p "$prefix/bin" "$prefix/share/cotaudit"
install -m 0755 "$binary" "$prefix/bin/cotaudit"
# The rule set is replaced as a whole: a tariff file removed upstream must not linger.
rm -rf "$prefix/share/cotaudit/Rules.new"
cp -R Rules "$prefix/share/cotaudit/Rules.new"
rm -rf "$prefix/share/cotaudit/Rules"
mv "$prefix/share/cotaudit/Rules.new" "$prefix/share/cotaudit/Rules"

"$prefix/bin/cotaudit" --version
echo "installé : $prefix/bin/cotaudit (règles : $prefix/share/cotaudit/Rules)"
