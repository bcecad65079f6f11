#!/usr/bin/env bash
# Install everything Kindling needs on Debian 12 (as root), build it, install
# the binary and the kernelspecs, then run notebooks/quickstart.ipynb headless
# and print its outputs. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
bash scripts/build.sh
make -C build install >/dev/null
kindling install
echo
echo "== Running notebooks/quickstart.ipynb on the kindling-pyspark kernel =="
out=$(mktemp -d)
/usr/bin/python3 -m jupyter nbconvert --to notebook --execute --output-dir "$out" \
  notebooks/quickstart.ipynb
/usr/bin/python3 scripts/print_notebook.py "$out/quickstart.ipynb"
rm -rf "$out"
