#!/bin/sh
# Guard: every directive registered in the module's command table is documented in
# conf/selmid.conf and docs/directives.md.
: "${top_srcdir:=.}"
src="$top_srcdir/mod_selmid/httpd/config.c"
# the entries of the command table: SRV("Name", ...), DIR("Name", ...), AP_INIT_*("Name", ...)
names=$(sed -n '/^const command_rec sm_directives/,/^};/p' "$src" |
        grep -oE '(SRV|DIR|AP_INIT_[A-Z0-9_]+)\("<?[A-Za-z]+"' | sed -E 's/.*\("<?([A-Za-z]+)"/\1/' | sort -u)
[ -n "$names" ] || { echo "no directives found in $src"; exit 1; }
fail=0
for n in $names; do
    for doc in conf/selmid.conf docs/directives.md; do
        if ! grep -q "$n" "$top_srcdir/$doc"; then
            echo "directive $n is not documented in $doc"
            fail=1
        fi
    done
done
[ $fail = 0 ] && echo "ok: $(echo "$names" | wc -w) directives documented"
exit $fail
