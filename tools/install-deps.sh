#!/bin/bash
# Install everything mod_selmid needs to build, test and run its demo on Debian 12 (bookworm).
# Run as root. Idempotent: packages already present are not touched, and apt-get runs only when
# something is missing. Services that Debian would start on installation (apache2, memcached,
# postgresql) are kept from starting: mod_selmid's tests and demo run their own private instances.
# (postgresql also creates its `main` cluster on port 5432, left stopped; the end-to-end tests
# initdb their own server on a free 127.0.0.1 port with its socket in a temporary directory, so a
# running system cluster would not disturb them either.)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

PKGS=(
    build-essential autoconf automake libtool pkg-config
    apache2 apache2-dev libapr1-dev libaprutil1-dev
    libssl-dev libjansson-dev libcurl4-openssl-dev libcjose-dev libmemcached-dev
    memcached check
    libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql postgresql
    python3 python3-pytest python3-requests
    faketime ca-certificates
    chromium fonts-ipafont-gothic
)
# A node.js from elsewhere (for example NodeSource, which bundles npm) is fine; otherwise Debian's.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}"
    # Keep apt from starting the system's apache2/memcached/postgresql (policy-rc.d exit 101 = "not
    # allowed").
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all Debian packages present"
fi

# Node packages pinned by package-lock.json: the local OpenID Provider used by the end-to-end tests
# and the demo (t/e2e/op), and playwright-core, which drives Debian's chromium for the chooser's
# browser tests (t/e2e/browser; it downloads no browser of its own).
for dir in t/e2e/op t/e2e/browser; do
    d="$REPO/$dir"
    if [ -L "$d/node_modules" ]; then
        # a link to another checkout's packages: npm ci would empty the directory it points to
        echo "install-deps: $dir/node_modules is a symbolic link; left alone"
        continue
    fi
    if [ ! -f "$d/node_modules/.package-lock.json" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
        echo "install-deps: npm ci in $dir"
        (cd "$d" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
    else
        echo "install-deps: $dir/node_modules up to date"
    fi
done
