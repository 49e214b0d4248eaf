#!/usr/bin/env bash
# Puts the JUnit schema that the Jenkins xUnit plugin publishes (junit-10.xsd) in DIR (default
# .build/junit-xsd) and prints its path, for the tests that validate `cotaudit check --junit`.
#
# The schema is taken from a package registry, never committed: pytest's source distribution on
# PyPI ships the plugin's junit-10.xsd (MIT, Gregory Boissinot) in testing/example_scripts/, where
# pytest's own tests validate its JUnit output against it. The release is pinned by version and
# SHA-256, so CI validates against the same file every run.
set -euo pipefail
dir="${1:-.build/junit-xsd}"
version=9.2.0
sha256=97c4f3b1f3c7414aa36465e09b8220f1d03627993bd51b1282e193753c80557b
if [ -s "$dir/junit-10.xsd" ]; then echo "$dir/junit-10.xsd"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Three tries: one failed download from PyPI should not fail a whole CI run.
for attempt in 1 2 3; do
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary pytest "pytest==$version" -d "$work" >&2 && break
  [ "$attempt" = 3 ] && exit 1
  sleep 10
done
echo "$sha256  $work/pytest-$version.tar.gz" | sha256sum --check --quiet >&2
tar -xzf "$work/pytest-$version.tar.gz" -C "$work" "pytest-$version/testing/example_scripts/junit-10.xsd"
mkdir -p "$dir"
cp "$work/pytest-$version/testing/example_scripts/junit-10.xsd" "$dir/junit-10.xsd"
echo "$dir/junit-10.xsd"
