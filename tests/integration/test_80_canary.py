"""No health answer in clear anywhere: not in the database (pg_dump), not in
a log, not on disk (architecture.md, api.md)."""

from harness import *  # noqa: F401,F403

CANARY = "Cnry%sQx" % random_token()[:16].replace("-", "z").replace("_", "y")


def _send_everything():
    """The canary through every door: accepted form and XML posts, a resend,
    a conflict, validation failures, a malformed body."""
    pairs = canary_intake(CANARY)
    r, sid = post_form(pairs)
    expect(r.status == 303, "canary form post: %d %r" % (r.status, r.text[:300]))
    post_form(pairs, sid=sid)                                            # resend
    post_form(with_answers(pairs, [("pain_intensity", "9")]), sid=sid)   # 409
    post_form(with_answers(pairs, [("pain_intensity", "99")]))           # 422
    post_form(with_answers(pairs, [("date_of_birth", "2023-02-30")]))    # 422
    rx, _ = post_xml(pairs)
    expect(rx.status == 201, "canary XML post: %d" % rx.status)
    post_xml(with_answers(pairs, [("massage_type", "hot_stone")]))      # 422
    bad = xml_body(pairs).replace(b"</medications>", b"</medication>")
    http("POST", "/intake/submissions", bad, {"Content-Type": "application/xml"})  # 400
    http("POST", "/intake/submissions", form_body(pairs) + b"&x=%zz",
         {"Content-Type": "application/x-www-form-urlencoded"})         # 400
    http("POST", "/intake/submissions", form_body(pairs), {"Content-Type": "text/plain"})  # 415
    for resp in (r, rx):
        path = receipt_path(resp)
        g = http("GET", path)
        expect(CANARY not in g.text, "the receipt shows a health answer")
    time.sleep(1.0)  # let every log line land


_sent = []


def _ensure_sent():
    if not _sent:
        _send_everything()
        _sent.append(True)


@test
def canary_not_in_pg_dump():
    _ensure_sent()
    dump = pg_dump()
    expect(len(dump) > 1000, "pg_dump is suspiciously small (%d bytes)" % len(dump))
    expect(CANARY.encode() not in dump, "a sensitive answer is in the database in clear")
    # nor in a plausible re-encoding of it
    for enc in (CANARY.encode("utf-16-le"), CANARY.lower().encode(), CANARY.encode().hex().encode()):
        expect(enc not in dump, "a sensitive answer is in the database, re-encoded")


@test
def canary_not_in_any_log():
    _ensure_sent()
    logs = read_logs()
    expect(logs, "no log files under %s/log" % VARDIR)
    for path, data in logs.items():
        expect(CANARY.encode() not in data, "a sensitive answer is in %s" % path)


@test
def canary_nowhere_on_disk():
    """Every file under VARDIR: the cluster's tables and WAL, nginx's
    temporary directories (nothing spooled), logs."""
    _ensure_sent()
    needle = CANARY.encode()
    found = []
    unreadable = 0
    for root, dirs, files in os.walk(VARDIR):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.isfile(p) or os.path.islink(p):
                continue  # sockets, lock files' links
            try:
                with open(p, "rb") as f:
                    if needle in f.read():
                        found.append(p)
            except OSError:
                unreadable += 1
    expect(not found, "a sensitive answer is on disk in clear: %s" % found[:5])
    if IS_ROOT:
        expect(unreadable == 0, "%d files could not be read" % unreadable)
    spool = [os.path.join(r, n) for sub in ("client_body", "fastcgi")
             for r, _, ns in os.walk(os.path.join(VARDIR, "nginx", sub)) for n in ns]
    expect(not spool, "nginx spooled to disk: %s" % spool[:5])
