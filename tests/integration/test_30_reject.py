"""Failures: nothing is stored, and the patient loses nothing they typed
(api.md, "Failures")."""

from harness import *  # noqa: F401,F403


def _ids_of(page, name):
    return {c["id"] for c in page.controls_named(name) if c["id"]}


def _printable(v):
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", v)


def _check_422_form(pairs, field, what):
    """Post pairs as a form; expect the 422 form with every value kept, an
    error summary linking to field (or one of a tuple of fields) and a
    message tied to it."""
    fields = field if isinstance(field, tuple) else (field,)
    r, sid = post_form(pairs)
    expect(r.status == 422, "%s: expected 422, got %d" % (what, r.status))
    expect(r.content_type == "text/html", "%s: Content-Type %r" % (what, r.header("Content-Type")))
    expect("no-store" in (r.header("Cache-Control") or ""), "%s: 422 form is not no-store" % what)
    page = parse_page(r.text)
    # Every value kept (a control character cannot be shown in HTML).
    known = [(k, v) for k, v in pairs if k in QUESTIONS and _printable(v)]
    check_kept(page, known, what)
    ids = set().union(*(_ids_of(page, f) for f in fields))
    expect(ids, "%s: the 422 form has no input %s" % (what, field))
    anchors = {urllib.parse.urlsplit(h).fragment for h in page.links if "#" in h}
    expect(anchors & ids, "%s: the error summary does not link to %s (ids %r, anchors %r)"
           % (what, field, sorted(ids), sorted(anchors)[:10]))
    described = set()
    for c in [c for f in fields for c in page.controls_named(f)]:
        for ref in (c["attrs"].get("aria-describedby") or "").split():
            described.add(ref)
    expect(described & set(page.ids), "%s: %s has no aria-describedby naming an element" % (what, field))
    expect(is_uuid4(page.value("submission_id")), "%s: the 422 form has no submission_id" % what)
    expect(count_rows(sid) == 0, "%s: a 422 stored something" % what)
    return page


def _check_422_xml(pairs, field, what):
    want = field if isinstance(field, tuple) else (field,)
    r, sid = post_xml(pairs)
    expect(r.status == 422, "%s (XML): expected 422, got %d" % (what, r.status))
    root = xml_root(r)
    expect(local(root.tag) == "errors", "%s (XML): root %s" % (what, root.tag))
    fields = [e.get("field") for e in root if local(e.tag) == "error"]
    expect(set(want) & set(fields), "%s (XML): no <error field=%r>, got %r" % (what, field, fields))
    for e in root:
        expect((e.text or "").strip(), "%s (XML): an <error> without a message" % what)
    expect(count_rows(sid) == 0, "%s (XML): a 422 stored something" % what)


def _future(days):
    return (clinic_today() + datetime.timedelta(days=days)).isoformat()


CASES_422 = [
    ("missing required", lambda p: without(p, "given_name"), "given_name"),
    ("missing a required choice", lambda p: without(p, "massage_type"), "massage_type"),
    ("neither email nor phone", lambda p: without(p, "email", "phone"), ("email", "phone")),
    ("out of range", lambda p: with_answers(p, [("pain_intensity", "11")]), "pain_intensity"),
    ("not a number", lambda p: with_answers(p, [("pain_intensity", "four")]), "pain_intensity"),
    ("unknown choice", lambda p: with_answers(p, [("massage_type", "hot_stone")]), "massage_type"),
    ("unknown multi value", lambda p: with_answers(p, [("pain_areas", ["neck", "tail"])]), "pain_areas"),
    ("none with another condition", lambda p: with_answers(p, [("conditions", ["none", "diabetes"])]),
     "conditions"),
    ("impossible date", lambda p: with_answers(p, [("date_of_birth", "2023-02-30")]), "date_of_birth"),
    ("future date", lambda p: with_answers(p, [("recent_injury_date", _future(3)),
                                               ("recent_injury_area", "left ankle")]), "recent_injury_date"),
    ("future birth date", lambda p: with_answers(p, [("date_of_birth", _future(30))]), "date_of_birth"),
    ("text too long", lambda p: with_answers(p, [("given_name", "A" * 101)]), "given_name"),
    ("control character", lambda p: with_answers(p, [("family_name", "Trem\x07blay")]), "family_name"),
    ("line break in a single-line field", lambda p: with_answers(p, [("family_name", "Trem\nblay")]),
     "family_name"),
    ("implausible email", lambda p: with_answers(p, [("email", "alex at example")]), "email"),
]


@test
def form_422_cases_keep_every_value():
    fails = []
    for what, change, field in CASES_422:
        try:
            _check_422_form(change(valid_intake()), field, what)
        except AssertionError as e:
            fails.append(str(e))
    expect(not fails, "; ".join(fails))


@test
def form_422_unknown_field():
    pairs = valid_intake() + [("favourite_colour", "blue")]
    r, sid = post_form(pairs)
    expect(r.status == 422, "unknown field: %d" % r.status)
    page = parse_page(r.text)
    check_kept(page, valid_intake(), "unknown field")
    expect(count_rows(sid) == 0, "a 422 stored something")


@test
def xml_422_cases():
    fails = []
    for what, change, field in CASES_422:
        if what == "control character":
            continue  # not even well-formed XML 1.0: a 400, not a 422
        try:
            _check_422_xml(change(valid_intake()), field, what)
        except AssertionError as e:
            fails.append(str(e))
    expect(not fails, "; ".join(fails))


@test
def xml_422_unknown_element():
    body = xml_body(valid_intake()).replace(b"</intake>", b"<favourite_colour>blue</favourite_colour></intake>")
    sid = re.search(rb'submission_id="([^"]+)"', body).group(1).decode()
    r = http("POST", "/intake/submissions", body, {"Content-Type": "application/xml"})
    expect(r.status == 422, "unknown element: %d" % r.status)
    root = xml_root(r)
    expect(local(root.tag) == "errors", "root %s" % root.tag)
    expect(count_rows(sid) == 0, "a 422 stored something")


def _post_raw_body(body, ctype):
    return http("POST", "/intake/submissions", body, {"Content-Type": ctype})


@test
def form_400_bad_percent_encoding():
    sid = new_sid()
    body = form_body(valid_intake(), sid) + b"&other_health_notes=50%zz"
    r = _post_raw_body(body, "application/x-www-form-urlencoded")
    expect(r.status == 400, "%%zz in a form body: %d" % r.status)
    expect(r.content_type == "text/html", "Content-Type %r" % r.header("Content-Type"))
    expect(count_rows(sid) == 0, "a 400 stored something")


@test
def form_400_invalid_utf8():
    for bad in (b"%C3%28", b"%FF", b"%ED%A0%80", b"%C0%AF"):
        sid = new_sid()
        body = form_body(without(valid_intake(), "allergies"), sid) + b"&allergies=x" + bad
        r = _post_raw_body(body, "application/x-www-form-urlencoded")
        expect(r.status == 400, "invalid UTF-8 %r in a form body: %d" % (bad, r.status))
        expect(count_rows(sid) == 0, "a 400 stored something")


def _check_400_xml(body, what):
    m = re.search(rb'submission_id="([^"]+)"', body)
    r = _post_raw_body(body, "application/xml")
    expect(r.status == 400, "%s: expected 400, got %d" % (what, r.status))
    root = xml_root(r)
    expect(local(root.tag) == "errors", "%s: 400 body root %s" % (what, root.tag))
    expect(b"root:" not in r.body and b"/etc/" not in r.body, "%s: the error leaks content" % what)
    if m:
        expect(count_rows(m.group(1).decode()) == 0, "%s: a 400 stored something" % what)


@test
def xml_400_malformed():
    body = xml_body(valid_intake())
    _check_400_xml(body.replace(b"</given_name>", b"</given_nam>"), "mismatched tag")
    _check_400_xml(body[: len(body) // 2], "truncated document")
    _check_400_xml(b"", "empty body")


@test
def xml_400_invalid_utf8():
    body = xml_body(valid_intake()).replace(b"Hay fever", b"Hay \xff\xfe fever")
    _check_400_xml(body, "invalid UTF-8")


@test
def xml_400_doctype_and_entities():
    body = xml_body(valid_intake())
    head, rest = body.split(b"\n", 1)
    _check_400_xml(head + b'\n<!DOCTYPE intake [<!ENTITY e "Alex">]>\n' + rest.replace(b">Alex<", b">&e;<"),
                   "internal entity")
    _check_400_xml(head + b'\n<!DOCTYPE intake SYSTEM "file:///etc/passwd">\n' + rest, "external DTD")
    _check_400_xml(head + b'\n<!DOCTYPE intake [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                   + rest.replace(b">Hay fever in spring.<", b">&x;<"), "external entity")
    lol = b'<!DOCTYPE intake [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((c,) + (c - 1,) * 10)
        for c in range(ord("b"), ord("j"))) + b"]>\n"
    t0 = time.time()
    _check_400_xml(head + b"\n" + lol + rest.replace(b">Hay fever in spring.<", b">&i;<"), "billion laughs")
    expect(time.time() - t0 < 10, "billion laughs took %.1f s" % (time.time() - t0))


@test
def body_over_the_limit_is_413():
    limit = 256 * 1024
    # Announced length over the limit: refused before the body is read.
    req = (b"POST /intake/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"
           b"Connection: close\r\n\r\n" % (limit + 1))
    r = parse_raw(raw(req, timeout=10), "POST", "/intake/submissions (413)")
    expect(r.status == 413, "Content-Length %d: %d" % (limit + 1, r.status))
    check_security_headers(r, "413")
    # A real body over the limit, form and XML.
    sid = new_sid()
    big = form_body(with_answers(valid_intake(), [("other_health_notes", "a" * (limit + 10))]), sid)
    try:
        r2 = _post_raw_body(big, "application/x-www-form-urlencoded")
        expect(r2.status == 413, "a %d-byte form body: %d" % (len(big), r2.status))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the whole body was sent: also a refusal
    expect(count_rows(sid) == 0, "a 413 stored something")
    bigx = xml_body(with_answers(valid_intake(), [("other_health_notes", "a" * (limit + 10))]), sid)
    try:
        r3 = _post_raw_body(bigx, "application/xml")
        expect(r3.status == 413, "a %d-byte XML body: %d" % (len(bigx), r3.status))
    except (BrokenPipeError, ConnectionResetError):
        pass
    # Chunked, no length announced.
    head = (b"POST /intake/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    chunk = b"a" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    r4 = parse_raw(raw(head + body, timeout=10), "POST", "/intake/submissions (chunked)")
    expect(r4.status == 413, "a chunked body over the limit: %d" % r4.status)


@test
def body_under_the_limit_is_not_413():
    sid = new_sid()
    body = form_body(with_answers(valid_intake(), [("other_health_notes", "a" * 200000)]), sid)
    r = _post_raw_body(body, "application/x-www-form-urlencoded")
    expect(r.status == 422, "a 200 KB body with a too-long answer: %d (413 means the limit is too low)"
           % r.status)
    expect(count_rows(sid) == 0, "a 422 stored something")


@test
def other_content_type_is_415():
    for ctype in ("text/plain", "application/json", "multipart/form-data; boundary=x"):
        sid = new_sid()
        r = _post_raw_body(form_body(valid_intake(), sid), ctype)
        expect(r.status == 415, "Content-Type %s: %d" % (ctype, r.status))
        expect(count_rows(sid) == 0, "a 415 stored something")
    r = http("POST", "/intake/submissions", form_body(valid_intake()), {})
    expect(r.status in (400, 415), "no Content-Type: %d" % r.status)


@test
def error_pages_leak_nothing():
    """api.md: no stack trace, SQL, file path or other patient's data."""
    leaks = re.compile(r"(Traceback|SQLSTATE|syntax error at|/var/|/tmp/|/work/|\.c:\d+|"
                       r"libxml|xmlParse|PG::|ERROR:\s)", re.I)
    for method, path, resp in list(RESPONSES):
        if resp.status >= 400:
            m = leaks.search(resp.text)
            expect(not m, "%s %s (%d) leaks %r" % (method, path, resp.status, m.group(0) if m else ""))
