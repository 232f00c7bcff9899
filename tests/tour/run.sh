#!/usr/bin/env bash
# Run the README's tour exactly as written (the ```sh block that starts
# with `# tour`) and check that its output is the one the README shows.
#   bash tests/tour/run.sh        (from the project root, after cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/../.."
script=$(awk '/^```sh$/{getline; if ($0 == "# tour") {on=1; print; next}} /^```$/{on=0} on' README.md)
[ -n "$script" ] || { echo "no tour block in README.md"; exit 1; }
expected=$(awk '/^```text$/{getline; if ($0 == "# tour output") {on=1; next}} /^```$/{on=0} on' README.md)
actual=$(bash -c "$script" 2>&1)
# Ids, keys and scores differ from run to run.
norm() { sed -E 's/(per|job|org|agr)_[0-9a-f]+/\1_…/g; s/"score":[0-9.]+/"score":…/g'; }
if [ "$(printf '%s\n' "$actual" | norm)" != "$(printf '%s\n' "$expected" | norm)" ]; then
  echo "the tour's output differs from README.md:"
  diff <(printf '%s\n' "$expected" | norm) <(printf '%s\n' "$actual" | norm) || true
  exit 1
fi
echo "tour: output as in README.md"
