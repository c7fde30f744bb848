#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository (tracked files named *.sh or with a sh/bash shebang,
# .ci/run among them). Part of `npm run lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null 2>&1 || { echo "shellcheck: not installed; run scripts/setup.sh (Debian package shellcheck)" >&2; exit 1; }
scripts=()
while IFS= read -r f; do
  case "$f" in
    *.sh) scripts+=("$f") ;;
    *) if [ -f "$f" ] && head -n 1 "$f" | grep -qE '^#!.*[/ ](ba)?sh( |$)'; then scripts+=("$f"); fi ;;
  esac
done < <(git ls-files --cached --others --exclude-standard -- . ':!:**/node_modules/**')
[ ${#scripts[@]} -gt 0 ] || { echo "shellcheck: no shell scripts found" >&2; exit 1; }
shellcheck --external-sources "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
