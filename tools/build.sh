#!/bin/bash
# Build mod_selmid out of tree in ./build: autoreconf (when needed), configure --enable-werror
# (when needed), make. Re-running reuses ./build.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

if [ ! -x configure ] || [ ! -f Makefile.in ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    echo "build: autoreconf -fi"
    autoreconf -fi
fi

mkdir -p build
cd build
if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
    echo "build: configure --enable-werror ${SELMID_CONFIGURE_FLAGS:-}"
    # shellcheck disable=SC2086
    ../configure --enable-werror ${SELMID_CONFIGURE_FLAGS:-}
fi
make -j"$(nproc 2>/dev/null || echo 2)"
echo "build: $REPO/build/.libs/mod_selmid.so"
