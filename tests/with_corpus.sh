#!/bin/sh
# Runs a test that reads the external corpus of real Greengrass files, or reports it
# skipped (exit 77, ctest's SKIP_RETURN_CODE) when the corpus is not there. The corpus is
# $GGL_CORPUS_DIR when set, else DEFAULT_DIR (../shared/corpus beside the checkout); the
# command gets it as GGL_CORPUS_DIR, and an argument that starts with {corpus} has that
# prefix replaced by it.
# Usage: with_corpus.sh DEFAULT_DIR COMMAND [ARG...]
set -u
[ $# -ge 2 ] || { echo "usage: with_corpus.sh DEFAULT_DIR COMMAND [ARG...]" >&2; exit 2; }
default=$1
shift
dir=${GGL_CORPUS_DIR:-$default}
if [ ! -d "$dir" ]; then
    echo "skipped: corpus not found at $dir (set GGL_CORPUS_DIR)"
    exit 77
fi
GGL_CORPUS_DIR=$dir
export GGL_CORPUS_DIR
count=$#
while [ "$count" -gt 0 ]; do
    arg=$1
    shift
    case $arg in
    '{corpus}'*) arg=$dir${arg#'{corpus}'} ;;
    esac
    set -- "$@" "$arg"
    count=$((count - 1))
done
exec "$@"
