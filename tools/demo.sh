#!/bin/bash
# mod_selmid demo: install what is needed, build and install the module, then start (in the
# background) a private httpd with mod_selmid in front of a small app, and a local OpenID
# Provider with demo users. `tools/demo.sh stop` stops both. Re-running restarts cleanly.
#
# Environment: SELMID_DEMO_DIR (default /var/tmp/selmid-demo), SELMID_DEMO_PORT (default 8080),
# SELMID_DEMO_OP_PORT (default 3000); the next free port is taken when one is in use.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${SELMID_DEMO_DIR:-/var/tmp/selmid-demo}
HTTPD=/usr/sbin/apache2
MODDIR=/usr/lib/apache2/modules

stop_pid() { # name pidfile
    local pid
    [ -f "$2" ] || return 0
    pid=$(cat "$2" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "demo: $1 (pid $pid) did not stop; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        echo "demo: stopped $1 (pid $pid)"
    fi
    rm -f "$2"
}

stop_all() {
    stop_pid httpd "$DEMO/run/httpd.pid"
    stop_pid "OpenID Provider" "$DEMO/op.pid"
    stop_pid "SNS stand-ins" "$DEMO/sns.pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port_from() {
    local p=$1
    while port_in_use "$p"; do p=$((p + 1)); done
    echo "$p"
}

wait_until() { # description command...
    local what=$1
    shift
    for _ in $(seq 1 300); do
        if "$@"; then return 0; fi
        sleep 0.1
    done
    echo "demo: timed out waiting for $what" >&2
    return 1
}

if [ "${1:-start}" = stop ]; then
    stop_all
    exit 0
elif [ "${1:-start}" != start ]; then
    echo "usage: $0 [start|stop]" >&2
    exit 2
fi

bash "$REPO/tools/install-deps.sh"
bash "$REPO/tools/build.sh"
make -C "$REPO/build" install >/dev/null
echo "demo: installed $MODDIR/mod_selmid.so and /etc/apache2/mods-available/selmid.load"

stop_all
mkdir -p "$DEMO"/{conf,logs,run,cgi,htdocs,cores,directory}
chmod 755 "$DEMO" "$DEMO/cgi" "$DEMO/htdocs"
# the directory of linked accounts (SQLite): writable by httpd's User for SQLite's journal
chown www-data:www-data "$DEMO/directory"
chmod 700 "$DEMO/directory"
install -m 755 "$REPO/tools/demo/app.cgi" "$DEMO/cgi/app.cgi"

HPORT=$(free_port_from "${SELMID_DEMO_PORT:-8080}")
OPORT=$(free_port_from "${SELMID_DEMO_OP_PORT:-3000}")
[ "$OPORT" = "$HPORT" ] && OPORT=$(free_port_from $((HPORT + 1)))
SPORT=$(free_port_from "${SELMID_DEMO_SNS_PORT:-3100}")
while [ "$SPORT" = "$HPORT" ] || [ "$SPORT" = "$OPORT" ]; do SPORT=$(free_port_from $((SPORT + 1))); done

# Secrets of this demo instance (kept across restarts; readable by root only).
umask 077
[ -s "$DEMO/secret" ] || head -c 48 /dev/urandom | base64 | tr -d '\n=' > "$DEMO/secret"
[ -s "$DEMO/client-secret" ] || head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n=' > "$DEMO/client-secret"
umask 022
CLIENT_SECRET=$(cat "$DEMO/client-secret")

cat > "$DEMO/clients.json" <<JSON
[{"client_id": "selmid-demo", "client_secret": "$CLIENT_SECRET",
  "redirect_uris": ["http://127.0.0.1:$HPORT/selmid/callback"],
  "post_logout_redirect_uris": ["http://127.0.0.1:$HPORT/"],
  "response_types": ["code"], "grant_types": ["authorization_code"],
  "token_endpoint_auth_method": "client_secret_basic", "id_token_signed_response_alg": "RS256"}]
JSON
chmod 600 "$DEMO/clients.json"

# The OpenID Provider (oidc-provider from t/e2e/op), in the background.
: > "$DEMO/logs/op.log"
(cd "$REPO/t/e2e/op" && exec setsid node server.js --port "$OPORT" --clients "$DEMO/clients.json" \
    --keys "$DEMO/op-jwks.json" >>"$DEMO/logs/op.log" 2>&1 </dev/null) &
echo $! > "$DEMO/op.pid"
wait_until "the OpenID Provider on port $OPORT" grep -q "^listening" "$DEMO/logs/op.log" || {
    cat "$DEMO/logs/op.log" >&2
    exit 1
}

# Local stand-ins for LINE, Google, Yahoo! JAPAN and Facebook (they cannot be reached from a demo
# machine without registering an app there): they follow each provider's documented API and log
# in a demo user without a password.
/usr/bin/python3 "$REPO/tools/demo/sns_conf.py" "$DEMO" "$HPORT" "$SPORT" > "$DEMO/conf/sns-providers.conf"
: > "$DEMO/logs/sns.log"
(cd "$REPO/t/e2e/standins" && exec setsid node sns.js "$DEMO/sns-config.json" --port "$SPORT" \
    >>"$DEMO/logs/sns.log" 2>&1 </dev/null) &
echo $! > "$DEMO/sns.pid"
wait_until "the SNS stand-ins on port $SPORT" grep -q "^ready" "$DEMO/logs/sns.log" || {
    cat "$DEMO/logs/sns.log" >&2
    exit 1
}

LOADS=""
for m in mpm_event authn_core authz_core authz_user socache_shmcb cgid alias mime dir env headers log_config unixd; do
    if ! "$HTTPD" -l | grep -q "mod_$m.c"; then
        LOADS+="LoadModule ${m}_module $MODDIR/mod_$m.so"$'\n'
    fi
done

cat > "$DEMO/conf/httpd.conf" <<CONF
# mod_selmid demo: a private httpd (not the system's apache2)
ServerRoot "$DEMO"
ServerName 127.0.0.1
Listen 127.0.0.1:$HPORT
PidFile "$DEMO/run/httpd.pid"
DefaultRuntimeDir "$DEMO/run"
ErrorLog "$DEMO/logs/error_log"
LogLevel info
CoreDumpDirectory "$DEMO/cores"
${LOADS}LoadModule selmid_module $MODDIR/mod_selmid.so
User www-data
Group www-data
LogFormat "%h %l %u %t \"%r\" %>s %b" common
CustomLog "$DEMO/logs/access_log" common
TypesConfig /etc/mime.types
ScriptSock "$DEMO/run/cgid.sock"
DocumentRoot "$DEMO/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$DEMO/cgi">
    Options +ExecCGI
    SetHandler cgi-script
    Require all granted
</Directory>
ScriptAliasMatch "^/\$" "$DEMO/cgi/app.cgi"

# ---- mod_selmid ----
SelmidSecret file:$DEMO/secret
SelmidSessionStore shm
SelmidSessionTimeout 1800 28800
<SelmidProvider demo-op>
    SelmidIssuer http://127.0.0.1:$OPORT
    SelmidClientID selmid-demo
    SelmidClientSecret file:$DEMO/client-secret
    SelmidScope "openid email profile groups"
    SelmidLabel en "University ID (demo OpenID Provider)"
    SelmidLabel ja "大学ID（デモ用 OpenID Provider）"
</SelmidProvider>
Include "$DEMO/conf/sns-providers.conf"
# Account linking (docs/linking.md): SNS accounts linked to the university ID at /selmid/link
# get its attributes at login.
SelmidOrgProvider demo-op
SelmidDirectory sqlite:$DEMO/directory/selmid.db
<Location "/">
    AuthType selmid
    SelmidProviders demo-op line google yahoojp facebook
    Require valid-user
</Location>
CONF

"$HTTPD" -t -f "$DEMO/conf/httpd.conf" >/dev/null 2>"$DEMO/logs/configtest.log" || {
    cat "$DEMO/logs/configtest.log" >&2
    stop_all
    exit 1
}
"$HTTPD" -f "$DEMO/conf/httpd.conf" -k start
ready() { [ -s "$DEMO/run/httpd.pid" ] && port_in_use "$HPORT"; }
wait_until "httpd on port $HPORT" ready || {
    tail -20 "$DEMO/logs/error_log" >&2
    stop_all
    exit 1
}

cat <<EOT

mod_selmid demo is running.

  Open:      http://127.0.0.1:$HPORT/
  The login chooser offers the university ID and LINE, Google, Yahoo! JAPAN, Facebook.
  University ID: alice / alice-password   (or bob / bob-password)
  LINE, Google, Yahoo! JAPAN, Facebook: local stand-ins that log in their demo user "alice"
  without a password (no real account is used).

  The page lists the identity the app received (REMOTE_USER and SELMID_* variables).
  Linked accounts: http://127.0.0.1:$HPORT/selmid/link  (log in with LINE, link the university
  ID, then a LINE login gives the app the university attributes; docs/linking.md)
  OpenID Provider: http://127.0.0.1:$OPORT  (oidc-provider; demo users above)
  SNS stand-ins:   http://127.0.0.1:$SPORT  (t/e2e/standins/sns.js)
  Files and logs:  $DEMO  (logs/error_log, logs/op.log, logs/sns.log)
  Stop:            bash $REPO/tools/demo.sh stop
EOT
