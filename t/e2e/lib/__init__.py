"""Helpers for mod_selmid's end-to-end tests: processes, the OP, memcached, httpd, a browser."""
