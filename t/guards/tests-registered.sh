#!/bin/sh
# Guard: every unit-test suite (t/unit/test_*.c) is declared in sm_tests.h and run by run_unit.c,
# and every test file is built (listed in Makefile.am).
: "${top_srcdir:=.}"
fail=0
for f in "$top_srcdir"/t/unit/test_*.c; do
    base=$(basename "$f" .c)
    suite=$(sed -n 's/^Suite \*\(sm_suite_[a-z_0-9]*\)(void)$/\1/p' "$f")
    [ -n "$suite" ] || { echo "$base: no suite function"; fail=1; continue; }
    grep -q "$suite()" "$top_srcdir/t/unit/run_unit.c" || { echo "$suite is not run by run_unit.c"; fail=1; }
    grep -q "t/unit/$base.c" "$top_srcdir/Makefile.am" || { echo "$base.c is not built (Makefile.am)"; fail=1; }
done
[ $fail = 0 ] && echo "ok: every unit-test suite is registered"
exit $fail
