#!/bin/bash
# Build mod_selmid out of tree in ./build: autoreconf (when needed), configure --enable-werror
# (when needed), make. Re-running reuses ./build.
# SELMID_BUILD_DIR=dir builds elsewhere (relative to the repository); SELMID_CONFIGURE_FLAGS adds
# configure options (e.g. --enable-sanitizers).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

if [ ! -x configure ] || [ ! -f Makefile.in ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    echo "build: autoreconf -fi"
    autoreconf -fi
fi

BUILD=${SELMID_BUILD_DIR:-build}
mkdir -p "$BUILD"
cd "$BUILD"
if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
    echo "build: configure --enable-werror ${SELMID_CONFIGURE_FLAGS:-}"
    # shellcheck disable=SC2086
    ../configure --enable-werror ${SELMID_CONFIGURE_FLAGS:-}
fi
make -j"$(nproc 2>/dev/null || echo 2)"
echo "build: $(pwd)/.libs/mod_selmid.so"
