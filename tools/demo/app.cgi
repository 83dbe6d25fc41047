#!/usr/bin/python3
"""mod_selmid demo app: shows the identity that mod_selmid handed to it."""
import html
import os
import sys

env = os.environ
user = env.get("REMOTE_USER", "")
rows = "".join(
    f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
    for k, v in sorted(env.items()) if k.startswith("SELMID_")
)
page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mod_selmid demo</title>
<style>
body {{ font-family: sans-serif; max-width: 48em; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; border-bottom: 1px solid #ddd; padding: .4em; vertical-align: top; }}
th {{ width: 14em; font-family: monospace; }}
code {{ background: #f4f4f4; padding: 0 .2em; }}
</style></head>
<body>
<h1>Signed in as <code>{html.escape(user)}</code></h1>
<p>This page is a CGI script behind <code>AuthType selmid</code>. It lists what mod_selmid handed
to it: <code>REMOTE_USER</code> and one <code>SELMID_*</code> variable per claim (multi-valued claims
joined with <code>;</code>, a <code>;</code> inside a value escaped as <code>\\;</code>).</p>
<table>
<tr><th>REMOTE_USER</th><td>{html.escape(user)}</td></tr>
<tr><th>AUTH_TYPE</th><td>{html.escape(env.get("AUTH_TYPE", ""))}</td></tr>
{rows}
</table>
<p><a href="/selmid/session">/selmid/session</a> (the session's identity as JSON) &middot;
<a href="/selmid/link">Linked accounts</a> (link LINE, Google... to the university ID) &middot;
<a href="/selmid/logout?return=/">Sign out</a></p>
</body></html>
"""
sys.stdout.buffer.write(b"Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\r\n")
sys.stdout.buffer.write(page.encode("utf-8", "surrogateescape"))
