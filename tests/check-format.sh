#!/usr/bin/env bash
# Fails when a C++ file of the repository is not formatted as .clang-format says, naming
# each such file and showing the first lines that differ. With --fix, formats them in place instead.
# Usage: tests/check-format.sh [--fix]
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $formatter ]]; then
    echo "check-format: clang-format is needed (tests/install-deps.sh installs it)" >&2
    exit 1
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp')
else
    mapfile -t files < <(find lib daemons cli tests bench -name '*.cpp' -o -name '*.hpp' | sort)
fi
if [[ ${1:-} == --fix ]]; then
    "$formatter" -i "${files[@]}"
    exit 0
fi
# One run over every file: clang-format names each line it would change.
if ! report=$("$formatter" --dry-run --Werror "${files[@]}" 2>&1); then
    echo "$report" | grep -E '^[^ ].*: error:' | cut -d: -f1 | sort -u | sed 's/^/check-format: not formatted: /' >&2
    echo "$report" | head -30 >&2
    echo "check-format: tests/check-format.sh --fix formats them" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
