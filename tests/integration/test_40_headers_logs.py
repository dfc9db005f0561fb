"""Security headers on every response, and what the access log holds
(api.md, "Errors in general")."""

from harness import *  # noqa: F401,F403


@test
def security_headers_on_chosen_responses():
    cases = [
        ("GET", "/intake/", None, None),
        ("GET", "/intake/consent", None, None),
        ("GET", "/intake/schema.xsd", None, None),
        ("GET", "/intake/healthz", None, None),
        ("GET", "/", None, None),
        ("GET", "/static/errors/errors.css", None, None),
        ("GET", "/no-such-page", None, None),
        ("GET", "/intake/no-such-page", None, None),
        ("GET", "/intake/?invite=" + random_token(), None, None),
        ("PUT", "/intake/submissions", b"x", "application/x-www-form-urlencoded"),
        ("POST", "/intake/", b"x=1", "application/x-www-form-urlencoded"),
        ("POST", "/intake/submissions", b"x=1", "text/plain"),
        ("POST", "/intake/submissions", b"given_name=%zz", "application/x-www-form-urlencoded"),
        ("POST", "/intake/submissions", b"<intake", "application/xml"),
        ("POST", "/intake/submissions", b"given_name=Alex", "application/x-www-form-urlencoded"),
        ("POST", "/static/errors/errors.css", b"x=1", "application/x-www-form-urlencoded"),
    ]
    fails = []
    for method, path, body, ctype in cases:
        r = http(method, path, body, {"Content-Type": ctype} if ctype else {})
        try:
            check_security_headers(r, "%s %s (%d)" % (method, path, r.status))
        except AssertionError as e:
            fails.append(str(e))
    # nginx's own 400 (a request it cannot parse) and 413.
    for req, what in ((b"GARBAGE\r\n\r\n", "garbage request line"),
                      (b"GET /intake/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999\r\n"
                       b"Connection: close\r\n\r\n", "huge Content-Length")):
        try:
            r = parse_raw(raw(req), "RAW", what)
            expect(r.status in (400, 413), "%s: %d" % (what, r.status))
            check_security_headers(r, what)
        except AssertionError as e:
            fails.append(str(e))
    expect(not fails, "; ".join(fails))


@test
def security_headers_on_every_response_so_far():
    """Every response any test received until now (errors included)."""
    fails = []
    for method, path, r in list(RESPONSES):
        try:
            check_security_headers(r, "%s %s (%d)" % (method, path, r.status))
        except AssertionError as e:
            fails.append(str(e))
    expect(RESPONSES, "no response recorded")
    expect(not fails, "%d responses without the headers, e.g. %s" % (len(fails), "; ".join(fails[:5])))


@test
def no_server_version():
    r = http("GET", "/intake/")
    server = r.header("Server") or ""
    expect(not re.search(r"\d", server), "Server header shows a version: %r" % server)
    expect(r.header("X-Powered-By") is None, "X-Powered-By is sent")


@test
def static_files_are_cached_forms_are_not():
    r = http("GET", "/static/errors/errors.css")
    expect(r.status == 200, "GET a static file: %d" % r.status)
    cc = r.header("Cache-Control") or ""
    expect("max-age" in cc and "no-store" not in cc, "static Cache-Control %r" % cc)


@test
def access_log_has_no_query_strings_nor_receipt_tokens():
    marker = "qsmarker%s" % random_token()[:12]
    http("GET", "/intake/?invite=" + marker)
    http("GET", "/intake/healthz?probe=" + marker)
    http("GET", "/intake/consent?x=" + marker)
    r, _ = post_form(valid_intake())
    path = receipt_path(r) if r.status == 303 else None
    if path:
        http("GET", path)
        http("GET", path, headers={"Accept": "application/xml"})
    time.sleep(0.5)
    with open(LOGS["access"], "rb") as f:
        log = f.read()
    expect(b"/intake/healthz" in log, "the access log is not written at %s" % LOGS["access"])
    expect(marker.encode() not in log, "a query string reached the access log")
    expect(b"?" not in log, "the access log holds a '?'")
    leaked = [t for t in RECEIPT_TOKENS if t.encode() in log]
    expect(not leaked, "receipt tokens in the access log: %d" % len(leaked))
    for p, data in read_logs().items():
        expect(marker.encode() not in data, "the invite token reached %s" % p)


@test
def nginx_config_limits():
    """What black-box requests cannot show without being throttled or
    waiting minutes: the limits are in the configuration nginx runs."""
    with open(os.path.join(VARDIR, "etc", "nginx.conf")) as f:
        conf = f.read()
    for needle in ("limit_req zone=intake_submit", "limit_req zone=clinic_login",
                   "client_max_body_size 256k", "client_body_buffer_size 256k",
                   "listen 127.0.0.1:%d" % PORT, "server_tokens off",
                   "client_header_timeout 15s", "client_body_timeout 30s"):
        expect(needle in conf, "nginx.conf lacks %r" % needle)
    expect(not re.search(r"^\s*listen\s+(?!127\.0\.0\.1:)", conf, re.M), "nginx listens beyond 127.0.0.1")
    with open(os.path.join(VARDIR, "etc", "fastcgi.conf")) as f:
        fc = f.read()
    expect("fastcgi_max_temp_file_size 0" in fc, "fastcgi responses may be spooled to disk")
    expect('fastcgi_param HTTP_PROXY        ""' in fc or re.search(r'fastcgi_param HTTP_PROXY\s+""', fc),
           "HTTP_PROXY is not cleared (httpoxy)")
