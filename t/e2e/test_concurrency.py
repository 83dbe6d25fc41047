"""Many requests at once with sessions in shm and in memcached: every one gets its own identity
(the store adapters are shared by the event MPM's threads)."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.flows import app_env
from lib.op import USERS


@pytest.mark.parametrize("store", ["shm", "memcached"])
def test_parallel_requests_keep_identities_apart(stack, store):
    stack.httpd(stack.conf(store=store))
    browsers = {}
    for user in ("alice", "bob", "carol"):
        b = stack.browser()
        app_env(b.login(stack.url("/app/"), user).response)
        browsers[user] = b.cookie("selmid_session")

    import requests

    def one(i):
        user = ("alice", "bob", "carol")[i % 3]
        r = requests.get(stack.url(f"/app/{i}"), cookies={"selmid_session": browsers[user]}, timeout=30,
                         allow_redirects=False)
        return user, r.status_code, (r.json()["env"].get("REMOTE_USER") if r.status_code == 200 else None)

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(one, range(150)))
    bad = [(u, s, ru) for u, s, ru in results if s != 200 or ru != USERS[u][1]]
    assert not bad, f"{len(bad)} of {len(results)} requests went wrong, e.g. {bad[:5]}"
