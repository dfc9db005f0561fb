"""Staff sign-in, sessions and CSRF (api.md, "Clinic side: /clinic/")."""

import statistics

from harness import *  # noqa: F401,F403
from harness import (StaffClient, initial_passwords, intakectl, staff_account,
                     staff_as, staff_client, token_hash_hex)


def _cookie_attrs(set_cookie):
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    return name, value, {p.split("=")[0].lower(): (p.split("=", 1)[1] if "=" in p else True)
                         for p in parts[1:]}


def _set_cookie(resp, name):
    for v in resp.header_all("Set-Cookie"):
        if v.split("=", 1)[0].strip() == name:
            return _cookie_attrs(v)
    return None


def _sessions(username=None):
    if username is None:
        return int(psql("SELECT count(*) FROM staff_sessions")[0][0])
    return int(psql("SELECT count(*) FROM staff_sessions s JOIN staff st ON st.id = s.staff_id"
                    " WHERE st.username = %s" % sql_literal(username))[0][0])


def _alert_text(resp):
    m = re.search(r'role="alert"[^>]*>(.*?)</div>', resp.text, re.S)
    return re.sub(r"<[^>]+>", "", m.group(1)).strip() if m else None


@test
def login_page_is_a_form_with_a_pre_session_cookie():
    c = StaffClient()
    r = c.get("/clinic/login")
    expect(r.status == 200 and r.content_type == "text/html", "GET /clinic/login: %r" % r)
    expect(r.header("Cache-Control") == "no-store", "login page is cacheable")
    check_security_headers(r, "login page")
    page = parse_page(r.text)
    for name in ("username", "password", "csrf_token"):
        expect(page.controls_named(name), "the sign-in form has no %s" % name)
    expect({"username", "password"} <= page.labels_for, "inputs without labels")
    pre = _set_cookie(r, "clinic_login")
    expect(pre, "no pre-session cookie")
    name, value, attrs = pre
    expect(attrs.get("httponly") and attrs.get("samesite", "").lower() == "strict"
           and attrs.get("path") == "/clinic/", "pre-session cookie attributes: %r" % (attrs,))
    expect(page.value("csrf_token") != value, "the CSRF token is the cookie itself")


@test
def sign_in_gives_a_fresh_strict_session_cookie():
    user, (role, pw) = "therapist", initial_passwords()["therapist"]
    c = StaffClient()
    r = c.login(user, pw)
    expect(r.status == 303 and r.location == "/clinic/", "sign-in: %d %s" % (r.status, r.location))
    sc = _set_cookie(r, "clinic_session")
    expect(sc, "no session cookie")
    _, value, attrs = sc
    expect(len(value) >= 43, "session token shorter than 32 bytes: %r" % value)
    expect(attrs.get("httponly") is True, "session cookie not HttpOnly")
    expect(attrs.get("samesite", "").lower() == "strict", "session cookie not SameSite=Strict")
    expect(attrs.get("path") == "/clinic/", "session cookie path %r" % attrs.get("path"))
    expect("secure" not in attrs, "Secure on a stack configured without TLS")
    # the database keeps the token's hash, never the token
    rows = psql("SELECT encode(token_hash, 'hex') FROM staff_sessions")
    expect((token_hash_hex(value),) in rows, "the session's hash is not stored")
    expect(value.encode() not in pg_dump(), "the session token is in the database")
    d = c.get("/clinic/")
    expect(d.status == 200, "dashboard after sign-in: %d" % d.status)
    expect("Therapist" in parse_page(d.text).text, "dashboard does not name who is signed in")


@test
def wrong_password_and_unknown_name_look_the_same():
    staff_account("timing.known", "therapist")
    c = StaffClient()
    known, unknown = [], []
    pages = set()
    for i in range(3):
        for who, times in (("timing.known", known), ("timing-nobody-%d" % i, unknown)):
            tok = c.csrf("/clinic/login")
            t0 = time.time()
            r = c.request("POST", "/clinic/login", fields=[
                ("username", who), ("password", "not the password " + str(i)), ("csrf_token", tok)])
            times.append(time.time() - t0)
            expect(r.status == 401, "%s: wrong sign-in answered %d" % (who, r.status))
            expect(_set_cookie(r, "clinic_session") is None, "a failed sign-in set a session")
            pages.add(_alert_text(r))
    expect(len(pages) == 1 and None not in pages, "different messages: %r" % pages)
    k, u = statistics.median(known), statistics.median(unknown)
    # both run Argon2id once: neither may be much cheaper than the other
    expect(u > 0.4 * k and k > 0.4 * u, "timing differs: known %.3fs, unknown %.3fs" % (k, u))


@test
def sign_in_without_or_with_a_wrong_csrf_token_is_403():
    user, (role, pw) = "therapist", initial_passwords()["therapist"]
    before = _sessions(user)
    c = StaffClient()
    tok = c.csrf("/clinic/login")
    cases = [
        ("no token", [("username", user), ("password", pw)], c.cookie_header()),
        ("wrong token", [("username", user), ("password", pw), ("csrf_token", random_token())],
         c.cookie_header()),
        ("token without its cookie", [("username", user), ("password", pw), ("csrf_token", tok)], ""),
    ]
    other = StaffClient()
    other.csrf("/clinic/login")
    cases.append(("token bound to another cookie", [("username", user), ("password", pw),
                                                   ("csrf_token", tok)], other.cookie_header()))
    for what, fields, cookie in cases:
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if cookie:
            h["Cookie"] = cookie
        r = http("POST", "/clinic/login", urllib.parse.urlencode(fields), h)
        expect(r.status == 403, "%s: %d" % (what, r.status))
        expect(not r.header_all("Set-Cookie") or _set_cookie(r, "clinic_session") is None,
               "%s: a session cookie was set" % what)
    expect(_sessions(user) == before, "a refused sign-in made a session")


@test
def sign_in_from_a_foreign_origin_is_403():
    user, (role, pw) = "therapist", initial_passwords()["therapist"]
    before = _sessions(user)
    c = StaffClient()
    r = c.login(user, pw, headers={"Origin": "https://evil.example"})
    expect(r.status == 403, "foreign Origin: %d" % r.status)
    r = c.login(user, pw, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    expect(r.status == 403, "Origin null from another site: %d" % r.status)
    r = c.login(user, pw, headers={"Sec-Fetch-Site": "cross-site"})
    expect(r.status == 403, "Sec-Fetch-Site cross-site: %d" % r.status)
    expect(_sessions(user) == before, "a foreign sign-in made a session")
    r = c.login(user, pw, headers={"Origin": "http://127.0.0.1:%d" % PORT})
    expect(r.status == 303, "own Origin refused: %d" % r.status)


@test
def sign_in_from_a_no_referrer_page_is_allowed():
    """Browsers send Origin: null on the form posts of a page served with
    Referrer-Policy: no-referrer (api.md requires that policy)."""
    user, (role, pw) = "therapist", initial_passwords()["therapist"]
    c = StaffClient()
    r = c.login(user, pw, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    expect(r.status == 303, "Origin null from our own page: %d" % r.status)


@test
def a_session_cookie_from_before_sign_in_is_not_the_one_after():
    user, (role, pw) = "therapist", initial_passwords()["therapist"]
    planted = random_token()
    c = StaffClient()
    c.cookies["clinic_session"] = planted
    r = c.login(user, pw)
    expect(r.status == 303, "sign-in with a planted cookie: %d" % r.status)
    expect(c.session and c.session != planted, "the planted session id was kept")
    # the planted value is still nobody's session
    r = http("GET", "/clinic/", headers={"Cookie": "clinic_session=" + planted})
    expect(r.status == 303, "the planted cookie opens a session: %d" % r.status)
    # signing in again from a signed-in browser: a new session, the old one dead
    first = c.session
    r = c.login(user, pw)
    expect(r.status == 303 and c.session != first, "second sign-in kept the session id")
    r = http("GET", "/clinic/", headers={"Cookie": "clinic_session=" + first})
    expect(r.status == 303, "the session before the second sign-in still works")


@test
def without_a_session_pages_redirect_and_xml_is_401():
    for path in ("/clinic/", "/clinic/appointments", "/clinic/staff", "/clinic/intakes/1",
                 "/clinic/appointments/1"):
        r = http("GET", path)
        expect(r.status == 303 and r.location == "/clinic/login",
               "GET %s without a session: %d %s" % (path, r.status, r.location))
        check_security_headers(r, path)
    r = http("GET", "/clinic/intakes/1.xml")
    expect(r.status == 401, "GET .xml without a session: %d" % r.status)
    r = http("GET", "/clinic/", headers={"Cookie": "clinic_session=" + random_token()})
    expect(r.status == 303, "an unknown session token: %d" % r.status)
    r = http("POST", "/clinic/appointments", "patient_name=x",
             {"Content-Type": "application/x-www-form-urlencoded"})
    expect(r.status in (303, 401, 403), "POST without a session: %d" % r.status)
    expect(http("GET", "/clinic/nonsense").status == 404, "unknown page is not 404")


@test
def logout_kills_the_session_on_the_server():
    c = staff_as("therapist")
    tok = c.session
    h = token_hash_hex(tok)
    expect(psql("SELECT count(*) FROM staff_sessions WHERE token_hash = '\\x%s'" % h)[0][0] == "1",
           "session row missing")
    r = c.post("/clinic/logout")
    expect(r.status == 303 and r.location == "/clinic/login", "logout: %d %s" % (r.status, r.location))
    sc = _set_cookie(r, "clinic_session")
    expect(sc and (sc[1] == "" or sc[2].get("max-age") == "0"), "logout does not clear the cookie")
    expect(psql("SELECT count(*) FROM staff_sessions WHERE token_hash = '\\x%s'" % h)[0][0] == "0",
           "session row left after logout")
    r = http("GET", "/clinic/", headers={"Cookie": "clinic_session=" + tok})
    expect(r.status == 303 and r.location == "/clinic/login", "old cookie after logout: %d" % r.status)


@test
def logout_without_a_csrf_token_is_403_and_keeps_the_session():
    c = staff_as("therapist")
    for what, tok in (("none", None), ("wrong", random_token())):
        r = c.post("/clinic/logout", token=tok)
        expect(r.status == 403, "logout with %s token: %d" % (what, r.status))
    r = c.post("/clinic/logout", headers={"Origin": "http://evil.example"})
    expect(r.status == 403, "logout from a foreign Origin: %d" % r.status)
    expect(c.get("/clinic/").status == 200, "the session died")


def _age_session(tok, column, interval):
    psql("UPDATE staff_sessions SET %s = now() - interval '%s' WHERE token_hash = '\\x%s'"
         % (column, interval, token_hash_hex(tok)))


@test
def idle_and_absolute_timeouts_end_the_session():
    # idle (session_idle_s, default 900 s): ten minutes is fine, sixteen not
    c = staff_as("therapist")
    _age_session(c.session, "last_seen_at", "10 minutes")
    expect(c.get("/clinic/").status == 200, "a session idle 10 minutes died")
    _age_session(c.session, "last_seen_at", "16 minutes")
    r = c.get("/clinic/")
    expect(r.status == 303 and r.location == "/clinic/login", "idle session still works: %d" % r.status)
    expect(psql("SELECT count(*) FROM staff_sessions WHERE token_hash = '\\x%s'"
                % token_hash_hex(c.session))[0][0] == "0", "an idle session's row is left")
    # absolute (session_max_s, default 12 hours), however busy
    c = staff_as("therapist")
    _age_session(c.session, "created_at", "11 hours")
    expect(c.get("/clinic/").status == 200, "an 11-hour session died")
    _age_session(c.session, "created_at", "13 hours")
    r = c.get("/clinic/")
    expect(r.status == 303, "a 13-hour session still works: %d" % r.status)


def _fail(c, user):
    tok = c.csrf("/clinic/login")
    return c.request("POST", "/clinic/login", fields=[
        ("username", user), ("password", "wrong-" + random_token()[:8]), ("csrf_token", tok)])


@test
def five_failures_lock_the_account_for_15_minutes():
    user = "lock.test"
    pw = staff_account(user, "front_desk")
    c = StaffClient()
    for i in range(5):
        r = _fail(c, user)
        expect(r.status == 401, "failure %d answered %d" % (i + 1, r.status))
    r = c.login(user, pw)
    expect(r.status == 429, "the right password after five failures: %d" % r.status)
    expect(r.header("Retry-After"), "429 without Retry-After")
    text = parse_page(r.text).text
    expect(re.search(r"until \d\d:\d\d", text), "the page does not say until when: %r" % text[:300])
    expect(c.session is None, "a locked sign-in set a session")
    # a failure while locked does not stretch the lock
    r = _fail(c, user)
    expect(r.status == 429, "wrong password while locked: %d" % r.status)
    # 14 minutes on: still locked; 16 minutes on: open again
    psql("UPDATE login_failures SET at = at - interval '14 minutes'")
    expect(c.login(user, pw).status == 429, "unlocked after 14 minutes")
    psql("UPDATE login_failures SET at = at - interval '2 minutes'")
    r = c.login(user, pw)
    expect(r.status == 303, "still locked after 16 minutes: %d" % r.status)


@test
def an_unknown_name_locks_like_a_known_one():
    c = StaffClient()
    name = "nobody-" + random_token()[:6].lower().replace("_", "x")
    for i in range(5):
        expect(_fail(c, name).status == 401, "unknown name failure %d" % (i + 1))
    expect(_fail(c, name).status == 429, "an unknown name is never locked (reveals which exist)")
    expect(name.encode() not in pg_dump(), "the name typed is stored in clear")


@test
def a_disabled_account_cannot_sign_in_and_loses_its_sessions():
    user = "leaver"
    pw = staff_account(user, "therapist")
    c = staff_client(user, pw)
    intakectl("staff-disable", user)
    r = c.get("/clinic/")
    expect(r.status == 303, "a disabled account's session still works: %d" % r.status)
    r = StaffClient().login(user, pw)
    expect(r.status == 401, "a disabled account signed in: %d" % r.status)


@test
def intakectl_reads_passwords_from_standard_input_only():
    user = "cli.reset"
    old = staff_account(user, "therapist")
    new = "a new password " + random_token()[:10]
    p = intakectl("staff-reset", user, new, check=False)
    expect(p.returncode == 2, "staff-reset took a password argument: %d" % p.returncode)
    p = intakectl("staff-reset", user, input="short\n", check=False)
    expect(p.returncode != 0, "a 5-character password was accepted")
    p = intakectl("staff-reset", user, input="", check=False)
    expect(p.returncode != 0, "an empty standard input was accepted")
    c = staff_client(user, old)
    intakectl("staff-reset", user, input=new + "\n")
    expect(c.get("/clinic/").status == 303, "a reset left the old session alive")
    expect(StaffClient().login(user, old).status == 401, "the old password still works")
    staff_client(user, new)
    p = intakectl("staff-add", user, "therapist", input=new + "\n", check=False)
    expect(p.returncode != 0, "staff-add made a second account of the same name")
    p = intakectl("staff-add", "x y", "therapist", input=new + "\n", check=False)
    expect(p.returncode != 0, "staff-add accepted a username with a space")
    p = intakectl("staff-add", "someone", "boss", input=new + "\n", check=False)
    expect(p.returncode != 0, "staff-add accepted an unknown role")


def _worker_check(env_extra):
    """clinic-worker -t with configuration overrides; (status, output)."""
    worker = os.path.join(VARDIR, "share", "bin", "clinic-worker")
    env = dict(os.environ, **env_extra)
    p = subprocess.run([worker, "-t", "-c", os.path.join(VARDIR, "etc", "clinic.conf")],
                       env=env, capture_output=True, text=True, timeout=60, cwd="/")
    return p.returncode, p.stdout + p.stderr


@test
def the_worker_refuses_key_files_others_could_read():
    import pwd
    import shutil
    import tempfile
    rc, out = _worker_check({})
    expect(rc == 0, "the shipped installation fails the check: %s" % out)
    src = os.path.join(VARDIR, "keys", "secret")
    owner = os.stat(src).st_uid
    user = pwd.getpwuid(owner)
    base = tempfile.mkdtemp(prefix="clinic-keys-")
    os.chmod(base, 0o755)
    try:
        def copy(name):
            d = os.path.join(base, name)
            shutil.copytree(src, d)
            for root, dirs, files in os.walk(d):
                os.chown(root, owner, user.pw_gid)
                for f in files:
                    os.chown(os.path.join(root, f), owner, user.pw_gid)
            os.chmod(d, 0o700)
            return d, [os.path.join(d, f) for f in os.listdir(d) if f.endswith(".key")]

        d, keys = copy("good")
        rc, out = _worker_check({"CLINIC_SECRET_KEYS": d})
        expect(rc == 0, "a good copy of the keys is refused: %s" % out)

        d, keys = copy("readable")
        os.chmod(keys[0], 0o640)
        rc, out = _worker_check({"CLINIC_SECRET_KEYS": d})
        expect(rc != 0, "a key readable by its group was accepted")
        expect(os.path.basename(keys[0]) in out or d in out, "the message names no file: %r" % out)

        d, keys = copy("empty")
        for k in keys:
            os.unlink(k)
        rc, out = _worker_check({"CLINIC_SECRET_KEYS": d})
        expect(rc != 0, "a key directory without keys was accepted")

        rc, out = _worker_check({"CLINIC_SECRET_KEYS": os.path.join(base, "missing")})
        expect(rc != 0, "a missing key directory was accepted")

        if IS_ROOT and owner != 0:
            d, keys = copy("rootowned")
            os.chown(keys[0], 0, 0)
            rc, out = _worker_check({"CLINIC_SECRET_KEYS": d})
            expect(rc != 0, "a key owned by root, not the worker's user, was accepted")

        sec = os.path.join(base, "clinic.secret")
        shutil.copyfile(os.path.join(VARDIR, "keys", "clinic.secret"), sec)
        os.chown(sec, owner, user.pw_gid)
        os.chmod(sec, 0o644)
        rc, out = _worker_check({"CLINIC_CLINIC_SECRET": sec})
        expect(rc != 0 and "clinic.secret" in out, "a clinic secret readable by all was accepted: %r" % out)
    finally:
        shutil.rmtree(base, ignore_errors=True)
