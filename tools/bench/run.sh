#!/bin/bash
# tools/bench/run.sh: installs what the benchmark needs, builds mod_selmid, runs bench.py.
# Usage (as root on Debian 12): bash tools/bench/run.sh [bench.py options]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/install-deps.sh
DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk libapache2-mod-auth-openidc >/dev/null
bash tools/build.sh
SELMID_MODULE="$PWD/build/.libs/mod_selmid.so" exec /usr/bin/python3 tools/bench/bench.py "$@"
