#!/bin/sh
# Guard: the core (mod_selmid/core) must not include any httpd header.
: "${top_srcdir:=.}"
bad=$(grep -lE '#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+|util_[a-z_]+)\.h' \
      "$top_srcdir"/mod_selmid/core/*.[ch] 2>/dev/null)
if [ -n "$bad" ]; then
    echo "httpd headers included in the core: $bad"
    exit 1
fi
echo "ok: no httpd header in mod_selmid/core"
