#!/bin/bash
# The whole test suite, from a fresh Debian 12 as root: install dependencies, build, run the unit
# tests, guards and fuzz-corpus replay (make check), then the end-to-end tests (pytest) against
# a private httpd, memcached and OpenID Provider on loopback ports. Exits non-zero on any failure.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

bash tools/install-deps.sh || { echo "test: installing dependencies failed" >&2; exit 1; }
bash tools/build.sh || { echo "test: build failed" >&2; exit 1; }

status=0

echo "==== make check (unit tests, guards, fuzz corpus replay) ===="
if ! make -C build check; then
    status=1
    [ -f build/test-suite.log ] && cat build/test-suite.log
fi
if [ -f build/t/unit/run_unit.log ]; then
    echo "==== t/unit/run_unit.log ===="
    cat build/t/unit/run_unit.log
else
    echo "test: no unit-test log (build/t/unit/run_unit.log)" >&2
    status=1
fi

echo "==== end-to-end tests (pytest t/e2e) ===="
# Debian's python3 (with python3-pytest and python3-requests), not whatever python3 is first in PATH.
SELMID_MODULE="$REPO/build/.libs/mod_selmid.so" /usr/bin/python3 -m pytest -v -p no:cacheprovider t/e2e
rc=$?
[ "$rc" -ne 0 ] && status=1

exit "$status"
