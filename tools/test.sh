#!/bin/bash
# The whole test suite, from a fresh Debian 12 as root: install dependencies, build, run the unit
# tests, guards and fuzz-corpus replay (make check), then the end-to-end tests (pytest) against
# a private httpd, memcached and OpenID Provider on loopback ports. Exits non-zero on any failure.
#
# SELMID_SANITIZE=1 runs the same with an ASan/UBSan build (in ./build-asan); tests that need
# libfaketime are skipped there, since it cannot be preloaded together with ASan's runtime.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

BUILD=build
if [ -n "${SELMID_SANITIZE:-}" ]; then
    BUILD=build-asan
    export SELMID_BUILD_DIR=$BUILD SELMID_CONFIGURE_FLAGS="--enable-sanitizers ${SELMID_CONFIGURE_FLAGS:-}"
fi

bash tools/install-deps.sh || { echo "test: installing dependencies failed" >&2; exit 1; }
bash tools/build.sh || { echo "test: build failed" >&2; exit 1; }

status=0

echo "==== make check (unit tests, guards, fuzz corpus replay) ===="
if ! make -C "$BUILD" check; then
    status=1
    [ -f "$BUILD/test-suite.log" ] && cat "$BUILD/test-suite.log"
fi
if [ -f "$BUILD/t/unit/run_unit.log" ]; then
    echo "==== t/unit/run_unit.log ===="
    cat "$BUILD/t/unit/run_unit.log"
else
    echo "test: no unit-test log ($BUILD/t/unit/run_unit.log)" >&2
    status=1
fi

echo "==== end-to-end tests (pytest t/e2e) ===="
# Debian's python3 (with python3-pytest and python3-requests), not whatever python3 is first in PATH.
SELMID_MODULE="$REPO/$BUILD/.libs/mod_selmid.so" /usr/bin/python3 -m pytest -v -p no:cacheprovider t/e2e
rc=$?
[ "$rc" -ne 0 ] && status=1

exit "$status"
