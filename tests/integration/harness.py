#!/usr/bin/env python3
"""Black-box integration harness for clinic-intake (Python 3 stdlib only).

Run by tests/run-integration, which starts the whole stack (tools/stack
start) in a fresh VARDIR and sets:

    CLINIC_TEST_PORT    nginx's port on 127.0.0.1
    CLINIC_TEST_VARDIR  the stack's runtime directory

Usage: harness.py [-k SUBSTRING] test_file.py ...

A test file does `from harness import *` and registers tests with @test.
Each test passes unless it raises; the harness prints one PASS/FAIL line per
test and ends with "N passed, N failed". Tests run in file order, then in
definition order, so the files that disturb the stack (killing a worker
child, stopping PostgreSQL) are named to run last.

What the harness knows of the service comes from the specification
(shared/spec/api.md, intake-form.md), not from the code. The only guesses
about the schema are the two names below, used to count stored rows.
"""

import datetime
import html
import html.parser
import http.client as httpclient
import importlib.util
import os
import re
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as xml_escape, quoteattr

__all__ = [
    "test", "expect", "http", "raw", "parse_raw", "Response", "psql",
    "PsqlError", "pg_dump", "stack", "LOGS", "log_files", "read_logs",
    "VARDIR", "PORT", "REPO", "IS_ROOT", "QUESTIONS", "SENSITIVE_TEXT",
    "HIDDEN", "INTAKE_NS", "INTAKES_TABLE", "SUBMISSION_ID_COLUMN",
    "valid_intake", "canary_intake", "with_answers", "without", "new_sid",
    "versions", "form_body", "xml_body", "post_form", "post_xml",
    "parse_page", "UUID4_RE", "is_uuid4", "count_rows", "sql_literal",
    "xml_root", "local", "check_kept", "receipt_path", "clinic_today",
    "worker_pids", "RESPONSES", "RECEIPT_TOKENS", "SECURITY_HEADERS",
    "check_security_headers", "wait_for", "random_token", "ET",
    "urllib", "time", "threading", "re", "os", "datetime", "subprocess",
]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORT = int(os.environ.get("CLINIC_TEST_PORT", "8080"))
VARDIR = os.environ.get("CLINIC_TEST_VARDIR", os.path.join(REPO, "var"))
HOST = "127.0.0.1"
IS_ROOT = os.geteuid() == 0
PGHOST = os.path.join(VARDIR, "run", "pg")

# The only guesses about the database schema (sql/ is another module's):
# where intakes are stored and the column holding the client's submission_id.
INTAKES_TABLE = os.environ.get("CLINIC_TEST_INTAKES_TABLE", "intakes")
SUBMISSION_ID_COLUMN = os.environ.get("CLINIC_TEST_SUBMISSION_COLUMN", "submission_id")

INTAKE_NS = "urn:clinic-intake:intake:1"

LOGS = {
    "access": os.path.join(VARDIR, "log", "access.log"),
    "nginx_error": os.path.join(VARDIR, "log", "nginx-error.log"),
    "intake_worker": os.path.join(VARDIR, "log", "intake-worker.log"),
    "clinic_worker": os.path.join(VARDIR, "log", "clinic-worker.log"),
    "postgresql": os.path.join(VARDIR, "log", "postgresql.log"),
}


def log_files():
    """Every file in VARDIR/log (whatever wrote it)."""
    d = os.path.join(VARDIR, "log")
    out = []
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            out.append(p)
    return out


def read_logs():
    """{path: bytes} of every log file."""
    out = {}
    for p in log_files():
        with open(p, "rb") as f:
            out[p] = f.read()
    return out


# ---- registration and assertions ------------------------------------------

_TESTS = []


def test(fn):
    """Register a test function (runs in definition order)."""
    _TESTS.append((sys.modules[fn.__module__].__file__, fn))
    return fn


def expect(cond, msg="expectation failed"):
    if not cond:
        raise AssertionError(msg)


def wait_for(pred, timeout=10.0, step=0.2):
    """Poll pred() until it is true; returns its last value."""
    end = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= end:
            return v
        time.sleep(step)


# ---- HTTP -----------------------------------------------------------------

RESPONSES = []          # (method, path, Response): every response seen
RECEIPT_TOKENS = set()  # every receipt path segment seen (for the log test)

SECURITY_HEADERS = {
    "content-security-policy": None,  # checked by check_security_headers
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class Response:
    def __init__(self, status, headers, body, reason=""):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), as received
        self.body = body        # bytes

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def location(self):
        return self.header("Location")

    def __repr__(self):
        return "<Response %d %s, %d bytes>" % (self.status, self.content_type, len(self.body))


def http(method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection; returns a Response."""
    headers = dict(headers or {})
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = httpclient.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        resp = Response(r.status, r.getheaders(), data, r.reason)
    finally:
        conn.close()
    RESPONSES.append((method, path, resp))
    return resp


def raw(data, timeout=10, half_close=False):
    """Send hand-made bytes over a TCP connection; return the bytes read
    until one whole response has arrived (by Content-Length), the server
    closes, or it goes quiet for `timeout` seconds."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    got = b""
    try:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            got += b
            if _complete(got):
                break
    finally:
        s.close()
    return got


def _complete(data):
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return bool(m) and len(rest) >= int(m.group(1))


def parse_raw(data, method="RAW", path="-"):
    """Parse the first HTTP response in data into a Response (body by
    Content-Length when given, else everything after the headers)."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError("no complete HTTP response in %r" % data[:200])
    lines = head.decode("iso-8859-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3}) ?(.*)", lines[0])
    if not m:
        raise AssertionError("bad status line %r" % lines[0])
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    resp = Response(int(m.group(1)), headers, rest, m.group(2))
    cl = resp.header("Content-Length")
    if cl and cl.isdigit():
        resp.body = rest[: int(cl)]
    RESPONSES.append((method, path, resp))
    return resp


def check_security_headers(resp, what=""):
    """The headers api.md requires on every response, errors included."""
    what = what or repr(resp)
    csps = resp.header_all("Content-Security-Policy")
    expect(len(csps) == 1, "%s: expected one Content-Security-Policy, got %r" % (what, csps))
    csp = csps[0]
    expect("unsafe-inline" not in csp, "%s: CSP allows unsafe-inline: %s" % (what, csp))
    expect(re.search(r"frame-ancestors\s+'none'", csp), "%s: CSP lacks frame-ancestors 'none': %s" % (what, csp))
    expect(re.search(r"default-src\s+'none'", csp) or re.search(r"default-src\s+'self'", csp),
           "%s: CSP has no restrictive default-src: %s" % (what, csp))
    for name, want in SECURITY_HEADERS.items():
        if want is None:
            continue
        got = resp.header_all(name)
        expect(len(got) == 1 and got[0].strip().lower() == want,
               "%s: expected %s: %s, got %r" % (what, name, want, got))


# ---- PostgreSQL -----------------------------------------------------------

class PsqlError(Exception):
    pass


def sql_literal(s):
    return "'" + str(s).replace("'", "''") + "'"


def psql(sql, role="clinic_owner", db="clinic"):
    """Run sql with psql as role on the test cluster (peer authentication
    through the stack's ident map); return the rows as tuples of strings."""
    cmd = ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
           "-h", PGHOST, "-U", role, "-d", db, "-c", sql]
    p = subprocess.run(cmd, cwd="/", capture_output=True, timeout=60)
    if p.returncode != 0:
        raise PsqlError(p.stderr.decode("utf-8", "replace").strip())
    out = p.stdout.decode("utf-8", "replace")
    return [tuple(line.split("\x1f")) for line in out.splitlines() if line != ""]


def count_rows(submission_id):
    """How many intakes are stored under a client submission_id."""
    rows = psql("SELECT count(*) FROM %s WHERE %s = %s" % (
        INTAKES_TABLE, SUBMISSION_ID_COLUMN, sql_literal(submission_id)))
    return int(rows[0][0])


def pg_dump():
    """pg_dump of the test database as the owner, as bytes."""
    p = subprocess.run(["pg_dump", "-h", PGHOST, "-U", "clinic_owner", "clinic"],
                       cwd="/", capture_output=True, timeout=120)
    if p.returncode != 0:
        raise PsqlError(p.stderr.decode("utf-8", "replace").strip())
    return p.stdout


def stack(*args, check=True):
    """tools/stack ARGS --dir VARDIR (e.g. stack('pg', 'stop'))."""
    p = subprocess.run([os.path.join(REPO, "tools", "stack"), *args, "--dir", VARDIR],
                       capture_output=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("tools/stack %s failed: %s" % (
            " ".join(args), p.stderr.decode("utf-8", "replace")))
    return p


def worker_pids(name="intake-worker"):
    """(master pid, [child pids]) of a worker, from /proc. The master is the
    pid tools/stack recorded; children are processes whose parent is it."""
    try:
        with open(os.path.join(VARDIR, "run", name + ".pid")) as f:
            master = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None, []
    children = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...
        rparen = stat.rfind(")")
        fields = stat[rparen + 2:].split()
        if int(fields[1]) == master:
            children.append(int(d))
    return master, sorted(children)


# ---- the questionnaire (shared/spec/intake-form.md, version 1) -------------

# Every question id, in the order of intake-form.md (consent_version, a
# hidden input, is the attribute of the XML document, not an element).
QUESTIONS = [
    # 1. About you
    "given_name", "family_name", "date_of_birth", "email", "phone",
    "emergency_contact_name", "emergency_contact_phone", "physician_name",
    "preferred_language",
    # 2. Your visit
    "reason_for_visit", "massage_type", "first_massage",
    # 3. Pain
    "pain_today", "pain_areas", "pain_intensity", "pain_duration",
    "pain_onset", "pain_spreads_to_limb",
    # 4. Back pain safety questions
    "rf_leg_weakness", "rf_cancer_history", "rf_weight_loss", "rf_fever",
    "rf_trauma", "rf_night_pain", "rf_immunosuppressed",
    # 5. Health today
    "rf_bladder_bowel", "rf_saddle_numbness", "fever_today", "leg_swelling",
    "conditions", "condition_areas", "blood_pressure_controlled", "pregnant",
    "pregnancy_weeks", "pregnancy_high_risk", "pregnancy_symptoms",
    "recent_surgery_date", "recent_surgery_area", "recent_injury_date",
    "recent_injury_area", "recent_fracture_date", "recent_fracture_area",
    "injection_recent", "injection_area", "anticoagulant", "antiplatelet",
    "steroids_long_term", "pain_medication_today", "medications",
    "product_allergies", "allergies", "other_health_notes",
    # 6. Consent
    "consent_treatment", "consent_sensitive_areas", "consent_privacy",
    "signature_name", "guardian_name", "guardian_relationship",
]
# Hidden inputs of the form besides the questions.
HIDDEN = ["submission_id", "form_version", "consent_version", "invite"]
# Sensitive free-text answers (stored only encrypted).
SENSITIVE_TEXT = [
    "reason_for_visit", "condition_areas", "recent_surgery_area",
    "recent_injury_area", "recent_fracture_area", "injection_area",
    "medications", "allergies", "other_health_notes",
]

_ORDER = {q: i for i, q in enumerate(QUESTIONS)}


def clinic_today():
    """Today in the clinic's time zone (config default America/Toronto)."""
    try:
        from zoneinfo import ZoneInfo
        return datetime.datetime.now(ZoneInfo("America/Toronto")).date()
    except Exception:  # no tz database: a day's error at most
        return (datetime.datetime.utcnow() - datetime.timedelta(hours=5)).date()


def valid_intake():
    """A full, valid, synthetic intake that raises no urgent flag: an
    ordered list of (question id, value); multi answers repeat their id.
    Pain only in the neck and shoulders, so no back-pain question applies."""
    return [
        ("given_name", "Alex"),
        ("family_name", "Tremblay"),
        ("date_of_birth", "1980-05-17"),
        ("email", "alex.tremblay@example.org"),
        ("phone", "+1 (416) 555-0100"),
        ("emergency_contact_name", "Sam Tremblay"),
        ("emergency_contact_phone", "416-555-0101"),
        ("physician_name", "Dr. Jordan Lee"),
        ("preferred_language", "en"),
        ("reason_for_visit", "Stiff neck and sore shoulders after long days at a desk."),
        ("massage_type", "relaxation"),
        ("first_massage", "no"),
        ("pain_today", "yes"),
        ("pain_areas", "neck"),
        ("pain_areas", "shoulders"),
        ("pain_intensity", "4"),
        ("pain_duration", "6_to_12_weeks"),
        ("pain_onset", "gradual"),
        ("pain_spreads_to_limb", "no"),
        ("rf_bladder_bowel", "no"),
        ("rf_saddle_numbness", "no"),
        ("fever_today", "no"),
        ("leg_swelling", "no"),
        ("conditions", "none"),
        ("pregnant", "not_applicable"),
        ("injection_recent", "no"),
        ("anticoagulant", "no"),
        ("antiplatelet", "no"),
        ("steroids_long_term", "no"),
        ("pain_medication_today", "no"),
        ("medications", "Vitamin D, 1000 IU a day."),
        ("allergies", "Hay fever in spring."),
        ("other_health_notes", "I prefer light pressure on the shoulders."),
        ("consent_treatment", "agree"),
        ("consent_privacy", "agree"),
        ("signature_name", "Alex Tremblay"),
    ]


def canary_intake(canary):
    """A valid intake in which every sensitive free-text answer holds the
    string canary (conditions and dates chosen so each is asked)."""
    d = clinic_today()
    ago = lambda n: (d - datetime.timedelta(days=n)).isoformat()  # noqa: E731
    pairs = with_answers(valid_intake(), [
        ("reason_for_visit", "Tight calves %s after running." % canary),
        ("conditions", "skin_problem"),
        ("condition_areas", "left forearm %s" % canary),
        ("recent_surgery_date", ago(60)),
        ("recent_surgery_area", "right knee %s" % canary),
        ("recent_injury_date", ago(20)),
        ("recent_injury_area", "left ankle %s" % canary),
        ("recent_fracture_date", ago(80)),
        ("recent_fracture_area", "left wrist %s" % canary),
        ("injection_recent", "yes"),
        ("injection_area", "right shoulder %s" % canary),
        ("medications", "Ibuprofen %s" % canary),
        ("allergies", "Cats %s" % canary),
        ("other_health_notes", "Nothing else %s" % canary),
    ])
    return pairs


def with_answers(pairs, changes):
    """Replace (or add, in form order) answers. changes: list of (id, value)
    or a dict; a multi answer given as a list replaces all its values; a
    value None removes the answer."""
    if isinstance(changes, dict):
        changes = list(changes.items())
    out = list(pairs)
    for qid, value in changes:
        out = [(k, v) for k, v in out if k != qid]
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            out.append((qid, v))
    return sorted(out, key=lambda kv: _ORDER.get(kv[0], len(QUESTIONS)))


def without(pairs, *ids):
    return [(k, v) for k, v in pairs if k not in ids]


def new_sid():
    return str(uuid.uuid4())


UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)


def is_uuid4(s):
    return bool(s and UUID4_RE.match(s))


def random_token():
    """Something shaped like a server token (43 characters of base64url)."""
    import base64
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


_versions = None


def versions():
    """(form_version, consent_version) as the form in force shows them."""
    global _versions
    if _versions is None:
        fv, cv = "1", "1"
        try:
            r = http("GET", "/intake/")
            if r.status == 200:
                page = parse_page(r.text)
                fv = page.value("form_version") or fv
                cv = page.value("consent_version") or cv
                _versions = (fv, cv)
        except OSError:
            pass
        return (fv, cv)
    return _versions


def form_body(pairs, sid=None, form_version=None, consent_version=None, extra=()):
    """application/x-www-form-urlencoded body of an intake (hidden inputs
    first, as a browser sends a form whose hidden inputs come first)."""
    fv, cv = versions()
    fields = [("submission_id", sid or new_sid()),
              ("form_version", form_version or fv),
              ("consent_version", consent_version or cv)]
    fields += list(extra)
    fields += list(pairs)
    return urllib.parse.urlencode(fields).encode("ascii")


def xml_body(pairs, sid=None, form_version=None, consent_version=None, invite=None):
    """The <intake> document of api.md: one child per answer, in the order
    of intake-form.md, a multi answer repeated."""
    fv, cv = versions()
    attrs = [("submission_id", sid or new_sid()), ("form_version", form_version or fv),
             ("consent_version", consent_version or cv)]
    if invite:
        attrs.append(("invite", invite))
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<intake xmlns="%s"' % INTAKE_NS]
    for k, v in attrs:
        out.append(" %s=%s" % (k, quoteattr(v)))
    out.append(">\n")
    for k, v in sorted(pairs, key=lambda kv: _ORDER.get(kv[0], len(QUESTIONS))):
        out.append("  <%s>%s</%s>\n" % (k, xml_escape(v), k))
    out.append("</intake>\n")
    return "".join(out).encode("utf-8")


def post_form(pairs, sid=None, headers=None, **kw):
    """POST an HTML form intake; returns (Response, submission_id)."""
    sid = sid or new_sid()
    h = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    h.update(headers or {})
    r = http("POST", "/intake/submissions", form_body(pairs, sid, **kw), h)
    _note_receipt(r)
    return r, sid


def post_xml(pairs, sid=None, headers=None, content_type="application/xml", **kw):
    """POST an XML intake; returns (Response, submission_id)."""
    sid = sid or new_sid()
    h = {"Content-Type": content_type, "Accept": "application/xml"}
    h.update(headers or {})
    r = http("POST", "/intake/submissions", xml_body(pairs, sid, **kw), h)
    _note_receipt(r)
    return r, sid


def receipt_path(resp):
    """The path of the receipt a 303 / 201 points to."""
    loc = resp.location
    expect(loc, "no Location header in %r" % resp)
    u = urllib.parse.urlsplit(urllib.parse.urljoin("http://%s:%d/intake/submissions" % (HOST, PORT), loc))
    expect(u.netloc in ("", "%s:%d" % (HOST, PORT), HOST),
           "Location points to another host: %s" % loc)
    return u.path + (("?" + u.query) if u.query else "")


def _note_receipt(resp):
    if resp.status in (201, 303) and resp.location:
        for seg in urllib.parse.urlsplit(resp.location).path.split("/"):
            if len(seg) >= 16:
                RECEIPT_TOKENS.add(seg.split(".")[0])


# ---- XML ------------------------------------------------------------------

def local(tag):
    return tag.rsplit("}", 1)[-1]


def xml_root(resp):
    """Parse a response body as XML (refusing a DOCTYPE); the root element."""
    expect(b"<!DOCTYPE" not in resp.body, "response carries a DOCTYPE")
    try:
        return ET.fromstring(resp.body)
    except ET.ParseError as e:
        raise AssertionError("response is not well-formed XML (%s): %r" % (e, resp.body[:300]))


# ---- HTML -----------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """What the tests need from an HTML page: form controls and their
    values, labels, ids, links, elements with role=alert, visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.controls = []      # dicts: tag, name, type, id, value, checked, attrs
        self.labels_for = set()
        self.ids = {}           # id -> attrs
        self.links = []         # href values
        self.forms = []         # attrs of <form>
        self.alerts = 0
        self.text_parts = []
        self.title = ""
        self._select = None
        self._option = None
        self._textarea = None
        self._in = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in a:
            self.ids[a["id"]] = dict(a, _tag=tag)
        if a.get("role") == "alert":
            self.alerts += 1
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append(a)
        elif tag == "label" and "for" in a:
            self.labels_for.add(a["for"])
        elif tag == "input":
            self.controls.append({"tag": "input", "name": a.get("name"), "type": a.get("type", "text").lower(),
                                  "id": a.get("id"), "value": a.get("value", ""),
                                  "checked": "checked" in a, "attrs": a})
        elif tag == "select":
            self._select = {"tag": "select", "name": a.get("name"), "type": "select", "id": a.get("id"),
                            "selected": [], "options": [], "attrs": a}
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"tag": "textarea", "name": a.get("name"), "type": "textarea", "id": a.get("id"),
                              "value": "", "attrs": a}
            self.controls.append(self._textarea)
        if tag in ("title", "script", "style"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea["value"].startswith("\n"):
                self._textarea["value"] = self._textarea["value"][1:]
            self._textarea = None
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data
            return
        if self._option is not None:
            self._option["text"] += data
        if self._in and self._in[-1] == "title":
            self.title += data
        elif not self._in:
            self.text_parts.append(data)

    # -- queries --

    @property
    def text(self):
        return re.sub(r"\s+", " ", " ".join(self.text_parts)).strip()

    def names(self):
        return [c["name"] for c in self.controls if c["name"]]

    def values(self):
        """name -> list of values the form would send (checked boxes and
        radios, selected options, text)."""
        out = {}
        for c in self.controls:
            n = c["name"]
            if not n:
                continue
            if c["tag"] == "select":
                opts = c["options"]
                sel = [o for o in opts if o["selected"]]
                for o in sel:
                    v = o["value"] if o["value"] is not None else o["text"].strip()
                    out.setdefault(n, []).append(v)
            elif c["tag"] == "input" and c["type"] in ("checkbox", "radio"):
                if c["checked"]:
                    out.setdefault(n, []).append(c["value"] or "on")
            elif c["tag"] == "input" and c["type"] in ("submit", "button", "reset", "image"):
                continue
            else:
                out.setdefault(n, []).append(c["value"])
        return out

    def value(self, name):
        v = self.values().get(name)
        return v[0] if v else None

    def controls_named(self, name):
        return [c for c in self.controls if c["name"] == name]


def parse_page(text):
    p = Page()
    p.feed(text)
    p.close()
    return p


def check_kept(page, pairs, what="the form"):
    """Every value in pairs is in the re-rendered form."""
    vals = page.values()
    for k, v in pairs:
        got = [x.replace("\r\n", "\n").strip() for x in vals.get(k, [])]
        expect(v.replace("\r\n", "\n").strip() in got,
               "%s: value of %s not kept: sent %r, form has %r" % (what, k, v[:80], [g[:80] for g in got]))


# ---- clinic side (staff pages) -------------------------------------------
#
# Not in __all__: test files import these by name
# (from harness import StaffClient, staff_client, ...).

def initial_passwords():
    """{username: (role, password)} of the first accounts tools/stack made
    (VARDIR/initial-passwords)."""
    out = {}
    with open(os.path.join(VARDIR, "initial-passwords")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            user, role, pw = line.split()
            out[user] = (role, pw)
    return out


def intakectl(*args, input=None, check=True):
    """intakectl -c VARDIR/etc/clinic.conf ARGS, standard input from input;
    returns the CompletedProcess (text)."""
    p = subprocess.run([os.path.join(VARDIR, "share", "bin", "intakectl"), "-c",
                        os.path.join(VARDIR, "etc", "clinic.conf"), *args],
                       input=input if input is not None else "", capture_output=True,
                       text=True, timeout=120, cwd="/")
    if check and p.returncode != 0:
        raise AssertionError("intakectl %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p


_STAFF = {}


def staff_account(username, role, password=None, name=None):
    """An account made once per run with intakectl staff-add (password on
    standard input); returns its password."""
    if username in _STAFF:
        return _STAFF[username]
    pw = password or ("pw-" + random_token()[:20])
    args = ["staff-add", username, role]
    if name:
        args += ["--name", name]
    p = intakectl(*args, input=pw + "\n", check=False)
    if p.returncode != 0 and "already an account" in p.stderr:
        # a stack kept from an earlier run: give it this run's password
        intakectl("staff-reset", username, input=pw + "\n")
    elif p.returncode != 0:
        raise AssertionError("intakectl staff-add %s failed: %s" % (username, p.stderr))
    _STAFF[username] = pw
    return pw


def token_hash_hex(token):
    """What the database keeps of a bearer token: BLAKE2b-256 of its text."""
    import hashlib
    return hashlib.blake2b(token.encode("ascii"), digest_size=32).hexdigest()


class StaffClient:
    """A browser on /clinic/: keeps the cookies the server sets (Path
    /clinic/), reads CSRF tokens from pages, posts forms."""

    def __init__(self):
        self.cookies = {}
        self.set_cookies = []   # every Set-Cookie value seen

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def request(self, method, path, fields=None, headers=None, body=None):
        h = dict(headers or {})
        if self.cookies:
            h.setdefault("Cookie", self.cookie_header())
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode("utf-8")
            h.setdefault("Content-Type", "application/x-www-form-urlencoded")
        r = http(method, path, body, h)
        for v in r.header_all("Set-Cookie"):
            self.set_cookies.append(v)
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            attrs = [a.strip().lower() for a in rest.split(";")[1:]]
            if value == "" or "max-age=0" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return r

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def csrf(self, path="/clinic/"):
        """The csrf_token of the first form on a page."""
        r = self.get(path)
        expect(r.status == 200, "GET %s for a CSRF token: %d" % (path, r.status))
        tok = parse_page(r.text).value("csrf_token")
        expect(tok, "no csrf_token on %s" % path)
        return tok

    def post(self, path, fields=(), token=True, csrf_from="/clinic/", headers=None):
        """POST a form; token True fetches this session's CSRF token first,
        a string is sent as is, None sends none."""
        fields = list(fields)
        if token is True:
            token = self.csrf(csrf_from)
        if token is not None:
            fields.append(("csrf_token", token))
        return self.request("POST", path, fields=fields, headers=headers)

    def login(self, username, password, headers=None):
        """The sign-in form, then its POST; returns the POST's Response."""
        tok = self.csrf("/clinic/login")
        return self.request("POST", "/clinic/login", fields=[
            ("username", username), ("password", password), ("csrf_token", tok)],
            headers=headers)

    @property
    def session(self):
        return self.cookies.get("clinic_session")


def staff_client(username, password):
    """A StaffClient signed in as username."""
    c = StaffClient()
    r = c.login(username, password)
    expect(r.status == 303 and r.location == "/clinic/",
           "sign-in as %s: %d %s" % (username, r.status, r.location))
    expect(c.session, "no session cookie after signing in as %s" % username)
    return c


def staff_as(role):
    """A fresh StaffClient signed in with role therapist, front_desk or
    admin (the first accounts, and a front desk account made once)."""
    init = initial_passwords()
    if role in ("admin", "therapist"):
        return staff_client(role, init[role][1])
    user = "frontdesk"
    return staff_client(user, staff_account(user, "front_desk", name="Front Desk"))


# ---- hostile requests and failure drills ------------------------------------
#
# For test_75_hostile.py and test_95_drills.py; exported below.

def count_all():
    """How many intakes are stored in all."""
    return int(psql("SELECT count(*) FROM %s" % INTAKES_TABLE)[0][0])


def log_offset(name):
    """The current size of a log of LOGS (read what follows with log_since)."""
    try:
        return os.path.getsize(LOGS[name])
    except OSError:
        return 0


def log_since(name, offset):
    """What LOGS[name] gained after offset, as bytes."""
    try:
        with open(LOGS[name], "rb") as f:
            f.seek(offset)
            return f.read()
    except OSError:
        return b""


def slow_send(parts, interval, timeout=60.0):
    """Send parts (bytes) one by one over one connection, interval seconds
    apart, then read until the server closes or timeout. Returns (bytes
    read, seconds from the first byte sent, sent_all): a server that gives
    up on a slow client closes before everything is sent."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    got, sent_all, t0 = b"", True, time.time()
    try:
        for i, p in enumerate(parts):
            if i > 0:
                time.sleep(interval)
            try:
                s.sendall(p)
            except (BrokenPipeError, ConnectionResetError):
                sent_all = False
                break
            s.setblocking(False)
            try:
                chunk = s.recv(65536)
                if chunk == b"":
                    sent_all = i == len(parts) - 1
                    break
                got += chunk
            except (BlockingIOError, InterruptedError):
                pass
            except ConnectionResetError:
                sent_all = False
                break
            finally:
                s.setblocking(True)
                s.settimeout(max(1.0, timeout - (time.time() - t0)))
        while time.time() - t0 < timeout:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
            if _complete(got):
                break
    finally:
        s.close()
    return got, time.time() - t0, sent_all


class Loader(threading.Thread):
    """Posts valid intakes (a fresh submission_id each) in a loop until
    stop(); results is a list of (submission_id, status or exception name,
    start time, seconds). kind: "form" or "xml"."""

    def __init__(self, kind="form", pause=0.0, timeout=40):
        super().__init__(daemon=True)
        self.kind, self.pause, self.timeout = kind, pause, timeout
        self.results = []
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            sid = new_sid()
            t0 = time.time()
            try:
                if self.kind == "xml":
                    h = {"Content-Type": "application/xml", "Accept": "application/xml"}
                    body = xml_body(valid_intake(), sid)
                else:
                    h = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
                    body = form_body(valid_intake(), sid)
                r = http("POST", "/intake/submissions", body, h, timeout=self.timeout)
                outcome = r.status
            except Exception as e:  # noqa: BLE001 - recorded, judged by the test
                outcome = type(e).__name__
            self.results.append((sid, outcome, t0, time.time() - t0))
            if self.pause:
                self._stop_event.wait(self.pause)

    def stop(self):
        self._stop_event.set()
        self.join(self.timeout + 10)


def rows_by_sid(sids):
    """{submission_id: stored rows} for the given ids, in one query."""
    sids = list(sids)
    out = {s: 0 for s in sids}
    if not sids:
        return out
    rows = psql("SELECT %s, count(*) FROM %s WHERE %s IN (%s) GROUP BY 1" % (
        SUBMISSION_ID_COLUMN, INTAKES_TABLE, SUBMISSION_ID_COLUMN,
        ", ".join(sql_literal(s) for s in sids)))
    for sid, n in rows:
        out[sid] = int(n)
    return out


__all__ += ["count_all", "log_offset", "log_since", "slow_send", "Loader",
            "rows_by_sid", "socket", "HOST"]


# ---- running --------------------------------------------------------------

def _load(path):
    name = "it_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    flt = None
    files = []
    it = iter(argv)
    for a in it:
        if a == "-k":
            flt = next(it, None)
        else:
            files.append(a)
    if "TEST_FILTER" in os.environ and not flt:
        flt = os.environ["TEST_FILTER"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    loaded_failures = 0
    for f in files:
        try:
            _load(f)
        except Exception:
            print("FAIL  %s: cannot load:\n%s" % (f, traceback.format_exc()), flush=True)
            loaded_failures += 1
    passed = failed = 0
    failed += loaded_failures
    for path, fn in _TESTS:
        tid = "%s::%s" % (os.path.basename(path), fn.__name__)
        if flt and flt not in tid:
            continue
        t0 = time.time()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a test fails on any error
            failed += 1
            dt = time.time() - t0
            if isinstance(e, AssertionError):
                msg = str(e) or "assertion failed"
                tb = traceback.extract_tb(e.__traceback__)
                where = next((fr for fr in reversed(tb) if fr.filename == path), None)
                loc = " (line %d)" % where.lineno if where else ""
                print("FAIL  %s%s: %s [%.2fs]" % (tid, loc, msg, dt), flush=True)
            else:
                print("FAIL  %s: %s: %s [%.2fs]\n%s" % (tid, type(e).__name__, e, dt,
                                                       "".join(traceback.format_exc(limit=-3))),
                      flush=True)
        else:
            passed += 1
            print("PASS  %s [%.2fs]" % (tid, time.time() - t0), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    import harness  # the module the test files import, not __main__
    sys.exit(harness.main(sys.argv[1:]))
