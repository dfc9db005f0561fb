"""The patient side's GET resources (api.md, "Patient side: /intake/")."""

from harness import *  # noqa: F401,F403


def _consent_snippet():
    """A line of the shipped consent text, for 'the form shows it'."""
    path = os.path.join(VARDIR, "share", "schemas", "consent-v1.txt")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    for para in re.split(r"\n\s*\n", text):
        line = re.sub(r"\s+", " ", para).strip()
        # a line of plain words (markup-free), long enough to be distinctive
        if len(line) >= 30 and not re.search(r"[<>&*#_`\[\]]", line):
            return line[:60]
    return None


@test
def form_is_html_and_not_cached():
    r = http("GET", "/intake/")
    expect(r.status == 200, "GET /intake/: %d" % r.status)
    expect(r.content_type == "text/html", "Content-Type %r" % r.header("Content-Type"))
    cc = (r.header("Cache-Control") or "").lower()
    expect("no-store" in cc, "GET /intake/ must be Cache-Control: no-store, got %r" % cc)


@test
def form_posts_to_submissions():
    page = parse_page(http("GET", "/intake/").text)
    posts = [f for f in page.forms if f.get("method", "get").lower() == "post"]
    expect(posts, "no <form method=post> on /intake/")
    actions = [urllib.parse.urljoin("/intake/", f.get("action", "")) for f in posts]
    expect("/intake/submissions" in actions, "no form posts to /intake/submissions: %r" % actions)
    enctypes = {f.get("enctype", "application/x-www-form-urlencoded").lower() for f in posts}
    expect(enctypes == {"application/x-www-form-urlencoded"}, "form enctype %r" % enctypes)


@test
def every_input_is_a_question_and_every_question_an_input():
    page = parse_page(http("GET", "/intake/").text)
    known = set(QUESTIONS) | set(HIDDEN)
    names = set(page.names())
    unknown = names - known
    expect(not unknown, "inputs whose name is no question id: %s" % sorted(unknown))
    missing = (set(QUESTIONS)) - names
    expect(not missing, "questions the form does not ask: %s" % sorted(missing))


@test
def every_input_has_a_label():
    page = parse_page(http("GET", "/intake/").text)
    bad = []
    for c in page.controls:
        if c["type"] in ("hidden", "submit", "button", "reset", "image") or not c["name"]:
            continue
        if not c["id"] or c["id"] not in page.labels_for:
            bad.append("%s %s (id %r)" % (c["tag"], c["name"], c["id"]))
    expect(not bad, "inputs without <label for>: %s" % bad[:10])


@test
def hidden_inputs():
    p1 = parse_page(http("GET", "/intake/").text)
    p2 = parse_page(http("GET", "/intake/").text)
    for name in ("submission_id", "form_version", "consent_version"):
        cs = p1.controls_named(name)
        expect(len(cs) == 1 and cs[0]["type"] == "hidden",
               "expected one hidden input %s, got %r" % (name, [c["type"] for c in cs]))
        expect(cs[0]["value"].strip(), "hidden %s is empty" % name)
    s1, s2 = p1.value("submission_id"), p2.value("submission_id")
    expect(is_uuid4(s1), "submission_id %r is not a UUIDv4" % s1)
    expect(s1 != s2, "submission_id is the same on two requests")
    expect(re.fullmatch(r"[0-9]+", p1.value("form_version")), "form_version %r" % p1.value("form_version"))
    expect(re.fullmatch(r"[0-9]+", p1.value("consent_version")), "consent_version %r" % p1.value("consent_version"))
    expect(not p1.controls_named("invite"), "a plain form has no invite input")


@test
def form_shows_consent_text():
    r = http("GET", "/intake/")
    page = parse_page(r.text)
    snippet = _consent_snippet()
    if snippet:
        expect(snippet in page.text, "the consent text is not on the form (looked for %r)" % snippet)
    else:
        expect("consent" in page.text.lower(), "no consent text on the form")


@test
def consent_page():
    r = http("GET", "/intake/consent")
    expect(r.status == 200, "GET /intake/consent: %d" % r.status)
    expect(r.content_type == "text/html", "Content-Type %r" % r.header("Content-Type"))
    page = parse_page(r.text)
    _, cv = versions()
    expect(re.search(r"\bversion\b", page.text, re.I), "the consent page does not name its version")
    expect(re.search(r"\b%s\b" % re.escape(cv), page.text), "the consent page does not show version %s" % cv)
    snippet = _consent_snippet()
    if snippet:
        expect(snippet in page.text, "the consent page lacks the consent text (%r)" % snippet)


@test
def schema_xsd():
    r = http("GET", "/intake/schema.xsd")
    expect(r.status == 200, "GET /intake/schema.xsd: %d" % r.status)
    root = xml_root(r)
    expect(root.tag == "{http://www.w3.org/2001/XMLSchema}schema", "root is %s" % root.tag)
    expect(root.get("targetNamespace") == INTAKE_NS, "targetNamespace %r" % root.get("targetNamespace"))


@test
def our_xml_intake_is_valid_against_the_served_xsd():
    """The harness's encoder and the service agree on the document."""
    r = http("GET", "/intake/schema.xsd")
    expect(r.status == 200, "GET /intake/schema.xsd: %d" % r.status)
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        xsd = os.path.join(d, "intake.xsd")
        doc = os.path.join(d, "intake.xml")
        with open(xsd, "wb") as f:
            f.write(r.body)
        for name, pairs in (("valid", valid_intake()), ("canary", canary_intake("CANARY"))):
            with open(doc, "wb") as f:
                f.write(xml_body(pairs))
            p = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", xsd, doc],
                               capture_output=True, timeout=30)
            expect(p.returncode == 0, "%s intake does not validate: %s" % (
                name, p.stderr.decode("utf-8", "replace")[:500]))


@test
def healthz():
    r = http("GET", "/intake/healthz")
    expect(r.status == 200, "GET /intake/healthz: %d" % r.status)
    expect(r.text.strip() == "ok", "healthz body %r" % r.text[:50])


@test
def unknown_invite_is_404_linking_the_plain_form():
    for token in (random_token(), "notAnInviteZq7"):
        r = http("GET", "/intake/?invite=" + token)
        expect(r.status == 404, "unknown invite %r: %d" % (token, r.status))
        expect(r.content_type == "text/html", "Content-Type %r" % r.header("Content-Type"))
        page = parse_page(r.text)
        links = [urllib.parse.urljoin("/intake/", h) for h in page.links]
        expect("/intake/" in links, "the invalid-invite page does not link /intake/: %r" % links)
        expect(token not in r.text, "the page echoes the token")
        expect(not page.controls_named("given_name"), "the invalid-invite page shows the form")


@test
def root_redirects_to_the_form():
    r = http("GET", "/")
    expect(r.status in (301, 302, 303, 307, 308), "GET /: %d" % r.status)
    expect(urllib.parse.urlsplit(r.location or "").path == "/intake/", "Location %r" % r.location)


@test
def unknown_path_is_a_plain_404():
    for path in ("/intake/no-such-page", "/no-such-page"):
        r = http("GET", path)
        expect(r.status == 404, "GET %s: %d" % (path, r.status))
        expect("no-such-page" not in r.text, "the 404 page echoes the path")
        expect(not re.search(r"nginx|traceback|/var/|\.c:\d", r.text, re.I), "the 404 page leaks details")


@test
def wrong_methods_are_405_with_allow():
    cases = [
        ("GET", "/intake/submissions", "POST"),
        ("PUT", "/intake/submissions", "POST"),
        ("DELETE", "/intake/submissions", "POST"),
        ("POST", "/intake/", "GET"),
        ("POST", "/intake/consent", "GET"),
        ("POST", "/intake/schema.xsd", "GET"),
        ("POST", "/intake/healthz", "GET"),
    ]
    for method, path, allowed in cases:
        if method == "GET":
            r = http(method, path)
        else:
            r = http(method, path, body=b"x=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
        expect(r.status == 405, "%s %s: %d" % (method, path, r.status))
        allow = r.header("Allow") or ""
        methods = {m.strip().upper() for m in allow.split(",")}
        expect(allowed in methods, "%s %s: Allow %r lacks %s" % (method, path, allow, allowed))
        expect(method not in methods, "%s %s: Allow %r names the refused method" % (method, path, allow))
