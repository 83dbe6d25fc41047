"""Account linking end to end (docs/linking.md): the link pages, an SNS login of a linked identity
getting the organisational attributes, removal, and the refusals.
Every test runs on SQLite and on a real PostgreSQL (the directory_db fixture).
"""
import threading

from lib.flows import app_env, assert_denied
from lib.linking import Person, forms, linking_conf
from lib.sns import USERS

LINE_ALICE = USERS["line"][0]


def test_link_line_to_university_account_and_login_with_line(stack, directory_db):
    db = directory_db
    h = stack.httpd(linking_conf(stack, db.directive))
    p = Person(stack, stack.browser())
    env = app_env(p.line_login().response)
    assert env["REMOTE_USER"] == LINE_ALICE["sub"]
    assert "SELMID_ORG_PROVIDER" not in env
    r = p.start_add("op")
    assert r.status_code == 302 and "max_age=600" in r.headers["Location"]  # a fresh authentication
    flow = p.b.follow(None, user="alice", password="alice-password", first=r)
    r = p.post_form(flow.response, "/link/confirm")
    assert r.status_code == 303, r.text
    assert "notice=linked" in r.headers["Location"]
    env = app_env(p.b.get(stack.url("/public/")))
    assert env["SELMID_PROVIDER"] == "line"
    assert env["SELMID_ORG_PROVIDER"] == "op"
    assert env["REMOTE_USER"] == "alice-0001"
    assert env["SELMID_sub"] == "alice-0001"
    # a new browser: the LINE login alone now yields the university attributes
    q = Person(stack, stack.browser())
    env2 = app_env(q.line_login().response)
    assert env2["REMOTE_USER"] == "alice-0001" and env2["SELMID_ORG_PROVIDER"] == "op"
    rows = db.query("SELECT provider, org FROM identities ORDER BY provider")
    assert rows == [("line", "0"), ("op", "1")]
    types = [t for (t,) in db.query("SELECT type FROM events ORDER BY id")]
    assert types.count("link") == 2 and "login" in types
    # what the directory keeps of the organisational login: attributes, not the protocol's claims
    (attrs,) = db.query("SELECT attrs FROM org_attributes")[0]
    assert '"sub":"alice-0001"' in attrs.replace(" ", "") and '"nonce"' not in attrs


def linked_alice(stack, db, **kw):
    """httpd with linking, and a browser whose LINE alice is linked to the OP's alice."""
    h = stack.httpd(linking_conf(stack, db.directive, **kw))
    p = Person(stack, stack.browser())
    p.line_login()
    assert p.add("op", user="alice").status_code == 303
    return h, p


def test_link_required_sends_unlinked_sns_login_through_linking_and_back(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    h = stack.httpd(conf)
    p = Person(stack, stack.browser())
    flow = p.b.follow(stack.url("/other/"))  # LINE or op: the chooser
    assert flow.response.status_code == 200
    p.line_login()
    mark = h.log_mark()
    r = p.b.get(stack.url("/other/page?x=1"))
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc.startswith("/selmid/link?") and "notice=need" in loc and "target=%2Fother%2Fpage%3Fx%3D1" in loc
    h.wait_log("SM26046", mark)
    page = p.b.get(stack.url(loc))
    assert "needs your university account" in page.text
    action, fields, button = [f for f in forms(page.text) if f[0].endswith("/link/add")][0]
    assert fields["provider"] == "op" and fields["target"] == "/other/page?x=1" and button == "Link op"
    r = p.post_form(page, "/link/add", provider="op")
    flow = p.b.follow(None, user="alice", password="alice-password", first=r)
    r = p.post_form(flow.response, "/link/confirm")
    assert r.status_code == 303 and r.headers["Location"] == "/other/page?x=1"
    env = app_env(p.b.get(stack.url("/other/page?x=1")))
    assert env["REMOTE_USER"] == "alice-0001" and env["SELMID_PROVIDER"] == "line"
    # an organisational login passes a SelmidLinkRequired location without a link
    q = Person(stack, stack.browser())
    env = app_env(q.b.login(stack.url("/app/"), "bob").response)
    r = q.b.get(stack.url("/other/"))
    assert app_env(r)["REMOTE_USER"] == "bob-0002"


def test_link_required_refuses_non_get_without_redirect(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    stack.httpd(conf)
    p = Person(stack, stack.browser())
    p.line_login()
    r = p.b.post(stack.url("/other/"), data={"a": "b"})
    assert_denied(r, 403)


def test_remove_link_of_the_current_login_logs_out_and_sns_login_is_plain_again(stack, directory_db):
    db = directory_db
    h, p = linked_alice(stack, db)
    page = p.link_page()
    assert page.status_code == 200
    # the organisational identity is the anchor: its remove form is refused
    r = p.post_form(page, "/link/remove", provider="op")
    assert_denied(r, 409, "SM26042", h, check="last organisational")
    r = p.post_form(p.link_page(), "/link/remove", provider="line")
    assert r.status_code == 200 and "you are now logged out" in r.text
    assert p.b.get(stack.url("/public/")).status_code == 302  # no session any more
    env = app_env(Person(stack, stack.browser()).line_login().response)
    assert env["REMOTE_USER"] == LINE_ALICE["sub"] and "SELMID_ORG_PROVIDER" not in env
    assert db.query("SELECT provider FROM identities") == [("op",)]
    assert db.query("SELECT type FROM events WHERE type = 'unlink'") == [("unlink",)]


def test_remove_another_link_keeps_the_session(stack, directory_db):
    db = directory_db
    h, p = linked_alice(stack, db)
    # log in with the OP (the person's anchor) and remove LINE from there
    q = Person(stack, stack.browser())
    q.op_login()
    page = q.link_page()
    assert "LINE" in page.text and "logged in now" in page.text
    r = q.post_form(page, "/link/remove", provider="line")
    assert r.status_code == 303 and "notice=removed" in r.headers["Location"]
    assert "The link was removed." in q.b.get(stack.url(r.headers["Location"])).text
    assert app_env(q.b.get(stack.url("/app/")))["REMOTE_USER"] == "alice-0001"


def test_relinking_to_another_person_is_refused(stack, directory_db):
    db = directory_db
    h, p = linked_alice(stack, db)
    q = Person(stack, stack.browser())
    q.op_login(user="bob")
    r = q.start_add("line")
    flow = q.b.follow(None, first=r)  # LINE stand-in logs in alice again
    assert "/selmid/link/confirm?lang=" in flow.response.url
    mark = h.log_mark()
    r = q.post_form(flow.response, "/link/confirm")
    assert_denied(r, 409, "SM26040", h, mark, check="different persons")
    assert "already linked to another person" in r.text
    assert db.query("SELECT count(*) FROM identities") == [("2",)]


def test_race_of_two_links_of_one_identity(stack, directory_db):
    """Two people reach the confirmation of a link of the same LINE account at once: one link
    is made, the other gets a clear refusal."""
    db = directory_db
    h = stack.httpd(linking_conf(stack, db.directive))
    pages = []
    people = []
    for user in ("alice", "bob"):
        q = Person(stack, stack.browser())
        q.op_login(user=user)
        flow = q.b.follow(None, first=q.start_add("line"))
        assert "/selmid/link/confirm?lang=" in flow.response.url
        people.append(q)
        pages.append(flow.response)
    results = [None, None]
    barrier = threading.Barrier(2)

    def go(i):
        barrier.wait()
        results[i] = people[i].post_form(pages[i], "/link/confirm")

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [303, 409], [(r.status_code, r.text[:300]) for r in results]
    loser = [r for r in results if r.status_code == 409][0]
    assert ("just linked by someone else" in loser.text) or ("another person" in loser.text)
    assert db.query("SELECT count(*) FROM identities WHERE provider = 'line'") == [("1",)]


def test_forms_refused_without_token_or_from_another_site(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    h = stack.httpd(conf)
    p = Person(stack, stack.browser())
    p.line_login()
    page = p.link_page()
    action, fields, _ = [f for f in forms(page.text) if f[0].endswith("/link/add")][0]
    url = stack.url(action)
    same = {"Origin": stack.url("/").rstrip("/")}
    for data, headers, tag in (
            (dict(fields, csrf="x" * 43), same, "SM26031"),
            ({k: v for k, v in fields.items() if k != "csrf"}, same, "SM26031"),
            (fields, {"Origin": "https://evil.example"}, "SM26030"),
            (fields, {"Sec-Fetch-Site": "cross-site"}, "SM26030")):
        mark = h.log_mark()
        r = p.b.post(url, data=data, headers=headers)
        assert_denied(r, 403, tag, h, mark)
        assert not p.b.cookie("selmid_link")
    # another session's token does not work either
    q = Person(stack, stack.browser())
    q.line_login()
    r = q.b.post(url, data=fields, headers=same)
    assert_denied(r, 403, "SM26031", h)
    # the page itself is not reachable by GET for changes
    assert p.b.get(stack.url("/selmid/link/add")).status_code == 405
    assert p.b.get(stack.url("/selmid/link/remove")).status_code == 405


def test_confirmation_is_single_use_and_bound_to_the_session(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    h = stack.httpd(conf)
    p = Person(stack, stack.browser())
    p.line_login()
    flow = p.b.follow(None, user="alice", password="alice-password", first=p.start_add("op"))
    confirm_page = flow.response
    assert "Link the accounts" in confirm_page.text and "op" in confirm_page.text
    link_cookie = p.b.cookie("selmid_link")
    assert link_cookie
    # another browser with its own session cannot use this browser's link in progress
    q = Person(stack, stack.browser())
    q.line_login()
    q.b.cookies.set("selmid_link", link_cookie)
    r = q.b.get(stack.url("/selmid/link/confirm"))
    assert_denied(r, 400, "SM26038", h)
    assert p.post_form(confirm_page, "/link/confirm").status_code == 303
    assert not p.b.cookie("selmid_link")
    # replayed: the link in progress is used up, and the form token belonged to the session the
    # link replaced (a new session id after linking)
    p.b.cookies.set("selmid_link", link_cookie)
    mark = h.log_mark()
    r = p.post_form(confirm_page, "/link/confirm")
    assert_denied(r, 403, "SM26031", h, mark)
    assert_denied(p.b.get(stack.url("/selmid/link/confirm")), 400, "SM26038", h, mark)


def test_stale_logins_are_refused(stack, directory_db):
    db = directory_db
    conf = linking_conf(stack, db.directive, max_age=60)
    h = stack.httpd(conf, faketime=True)
    p = Person(stack, stack.browser())
    p.line_login()
    h.set_clock_offset(90)  # the LINE login is now 90 s old
    mark = h.log_mark()
    r = p.start_add("op")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/selmid/login?provider=line")
    assert "notice%3Drelogin" in r.headers["Location"]
    h.wait_log("SM26032", mark)
    assert not p.b.cookie("selmid_link")
    # fresh again after logging in anew; the second login then grows old before confirming
    flow = p.b.follow(None, first=r)
    assert flow.response.status_code == 200 and "you have logged in again" in flow.response.text
    flow = p.b.follow(None, user="alice", password="alice-password", first=p.start_add("op"))
    assert "/link/confirm?lang=" in flow.response.url
    h.set_clock_offset(180)
    r = p.post_form(flow.response, "/link/confirm")
    assert r.status_code in (400, 403), r.text
    assert db.query("SELECT count(*) FROM identities") == [("0",)]


def test_link_pages_need_a_session_and_linking(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    h = stack.httpd(conf)
    b = stack.browser()
    r = b.get(stack.url("/selmid/link"))
    assert_denied(r, 401)
    h.stop()
    h = stack.httpd(stack.conf())
    r = b.get(stack.url("/selmid/link"))
    assert_denied(r, 404, "SM26044", h)


def test_link_page_in_japanese(stack, directory_db):
    conf = linking_conf(stack, directory_db.directive)
    stack.httpd(conf)
    p = Person(stack, stack.browser())
    p.line_login()
    r = p.b.get(stack.url("/selmid/link"), headers={"Accept-Language": "ja,en;q=0.5"})
    assert r.status_code == 200 and '<html lang="ja">' in r.text
    assert "連携アカウント" in r.text and "op を連携" in r.text
    assert r.headers["Content-Language"] == "ja"
    r = p.b.get(stack.url("/selmid/link?lang=en"), headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in r.text


def test_directory_stopped_mid_run(stack, postgres, request):
    """PostgreSQL stops while httpd runs: live sessions keep working (a request with a session never
    touches the directory), an SNS login that needs the directory is refused with a clear page, the
    university's own login goes on, and everything is back once the server is."""
    from lib.directory import PgsqlDirectory
    db = PgsqlDirectory(postgres, request.node.name)
    try:
        h, p = linked_alice(stack, db)
        db.stop_server()
        mark = h.log_mark()
        env = app_env(p.b.get(stack.url("/public/")))
        assert env["REMOTE_USER"] == "alice-0001" and env["SELMID_ORG_PROVIDER"] == "op"
        r = Person(stack, stack.browser()).line_login().response
        assert_denied(r, 503, "SM26021", h, mark)
        assert "directory of linked accounts is temporarily unavailable" in r.text
        env = app_env(Person(stack, stack.browser()).op_login().response)
        assert env["REMOTE_USER"] == "alice-0001"
        h.wait_log("SM26020", mark)
        assert_denied(p.link_page(), 503)
        assert db.password not in h.error_log_text()
        db.start_server()
        env = app_env(Person(stack, stack.browser()).line_login().response)
        assert env["REMOTE_USER"] == "alice-0001" and env["SELMID_ORG_PROVIDER"] == "op"
    finally:
        if not postgres.running():
            postgres.start()
        db.drop()


def test_confirmation_keeps_the_language_chosen_on_the_link_page(stack, directory_db):
    stack.httpd(linking_conf(stack, directory_db.directive))
    p = Person(stack, stack.browser())
    p.b.headers["Accept-Language"] = "ja"
    p.line_login()
    page = p.link_page(lang="en")
    assert '<html lang="en">' in page.text
    r = p.post_form(page, "/link/add", provider="op")
    flow = p.b.follow(None, user="alice", password="alice-password", first=r)
    assert flow.response.url.endswith("/selmid/link/confirm?lang=en")
    assert '<html lang="en">' in flow.response.text and "Link the accounts" in flow.response.text


def test_bad_input_on_the_link_pages(stack, directory_db):
    """Malformed or foreign values in the forms, the query and the link cookie: a clear page, a
    tagged log line, nothing linked or removed."""
    db = directory_db
    h, p = linked_alice(stack, db)
    page = p.link_page()
    action, fields, _ = [f for f in forms(page.text) if f[0].endswith("/link/remove")][0]
    same = {"Origin": stack.url("/").rstrip("/")}
    for provider, tag in (("nope", "SM26033"), ("line", "SM26033")):  # unknown; the session's own
        mark = h.log_mark()
        r = p.b.post(stack.url("/selmid/link/add"), data=dict(fields, provider=provider), headers=same)
        assert_denied(r, 400, tag, h, mark, not_reflected=["nope"])
    for change in ({"subject": "someone-else"}, {"issuer": "https://evil.example"}, {"provider": ""}):
        r = p.b.post(stack.url(action), data=dict(fields, **change), headers=same)
        assert r.status_code in (400, 409), r.text
        assert "someone-else" not in r.text and "evil.example" not in r.text
    assert db.query("SELECT count(*) FROM identities") == [("2",)]
    mark = h.log_mark()
    assert_denied(p.b.get(stack.url("/selmid/link?lang=en&x=%00")), 400, "SM30010", h, mark)
    r = p.b.post(stack.url("/selmid/link/add"), data="\xff" * 10, headers=dict(same, **{
        "Content-Type": "text/plain"}))
    assert_denied(r, 400, "SM30023", h, mark)
    p.b.cookies.set("selmid_link", "not a link id; \"quoted\"")
    assert_denied(p.b.get(stack.url("/selmid/link/confirm")), 400, "SM26038", h, mark)
    # unknown notices and targets elsewhere are never shown or followed
    r = p.b.get(stack.url("/selmid/link?notice=<script>&target=https://evil.example/"))
    assert r.status_code == 200 and "<script>" not in r.text and "evil.example" not in r.text
    assert h.alive() and not h.crash_reports()
