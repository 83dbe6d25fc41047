#!/bin/sh
# Replays each fuzz target's seed corpus (t/fuzz/corpus/NAME/*) through its standalone replayer.
set -e
: "${top_srcdir:=.}" "${top_builddir:=.}"
for name in cookie jwt url; do
    dir="$top_srcdir/t/fuzz/corpus/$name"
    set -- "$dir"/*
    [ -e "$1" ] || { echo "no corpus for $name in $dir"; exit 1; }
    "$top_builddir/t/fuzz/replay_$name" "$@"
done
