"""Clinic side: one intake for its therapist (api.md, /clinic/intakes/{id}).

A therapist views an intake (answers decrypted, flags urgent first, body map,
consent text verbatim, one audit row per view), records decisions (only defer
or refer on an urgent flag, every decision kept, notes encrypted), ties an
intake to an appointment, records a consent withdrawal as a new consent row;
a ciphertext moved to another row does not open and the page says so; a view
whose audit row cannot be written shows nothing.
"""

from harness import *  # noqa: F401,F403

import html
import http.cookies as _cookies

CONF = os.path.join(VARDIR, "etc", "clinic.conf")
INTAKECTL = os.path.join(VARDIR, "share", "bin", "intakectl")
FORM_POST = {"Content-Type": "application/x-www-form-urlencoded"}


# ---- staff accounts and sessions ------------------------------------------

def make_staff(username, role, display):
    """An account, made as an operator would (intakectl staff-add, the
    password on standard input); its password."""
    password = "pw-" + random_token()[:24]
    p = subprocess.run([INTAKECTL, "-c", CONF, "staff-add", username, role, "--name", display],
                       input=(password + "\n").encode(), capture_output=True, timeout=60)
    expect(p.returncode == 0, "intakectl staff-add %s failed: %s" % (
        username, p.stderr.decode("utf-8", "replace")))
    return password


class Staff:
    """A signed-in member of staff: cookies, and the session's CSRF token."""

    def __init__(self, username, role, display):
        self.username = username
        self.jar = {}
        password = make_staff(username, role, display)
        r = http("GET", "/clinic/login")
        expect(r.status == 200, "login page: %r" % r)
        self._keep(r)
        tok = parse_page(r.text).value("csrf_token")
        r = self.post("/clinic/login", {"username": username, "password": password,
                                        "csrf_token": tok}, csrf=False)
        expect(r.status == 303, "sign-in of %s: %r %s" % (username, r, r.text[:300]))
        expect("clinic_session" in self.jar, "no session cookie after sign-in")
        self.csrf = parse_page(self.get("/clinic/").text).value("csrf_token")
        expect(self.csrf, "no CSRF token on the dashboard")

    def _keep(self, r):
        for v in r.header_all("Set-Cookie"):
            c = _cookies.SimpleCookie()
            c.load(v)
            for k, m in c.items():
                if m.value:
                    self.jar[k] = m.value
                else:
                    self.jar.pop(k, None)

    def _headers(self, extra=None):
        h = {"Cookie": "; ".join("%s=%s" % kv for kv in self.jar.items())}
        h.update(extra or {})
        return h

    def get(self, path):
        r = http("GET", path, headers=self._headers())
        self._keep(r)
        return r

    def post(self, path, fields, csrf=True):
        fields = dict(fields)
        if csrf:
            fields["csrf_token"] = self.csrf
        r = http("POST", path, urllib.parse.urlencode(fields), self._headers(FORM_POST))
        self._keep(r)
        return r


# ---- fixtures ---------------------------------------------------------------

_S = {}


def staff(kind):
    """The therapist or the front desk of these tests, signed in once."""
    if kind not in _S:
        suffix = random_token()[:6].lower().replace("-", "x").replace("_", "x")
        if kind == "therapist":
            _S[kind] = Staff("rv-ther-" + suffix, "therapist", "Robin Reviewer")
        else:
            _S[kind] = Staff("rv-desk-" + suffix, "front_desk", "Dana Desk")
    return _S[kind]


def submit(changes):
    """Post an intake of a patient of its own (so no other intake
    supersedes it); (intake id, submission id)."""
    family = "Review" + "".join(c for c in random_token() if c.isalpha())[:8].lower()
    base = with_answers(valid_intake(), [("family_name", family),
                                         ("signature_name", "Alex " + family)])
    r, sid = post_xml(with_answers(base, changes))
    expect(r.status == 201, "submission refused: %r %s" % (r, r.text[:300]))
    rows = psql("SELECT id FROM intakes WHERE submission_id = %s" % sql_literal(sid))
    return int(rows[0][0]), sid


def flags_of(intake):
    """[(flag id, severity)] in stored order."""
    return [(int(i), s) for i, s in psql(
        "SELECT id, severity FROM flags WHERE intake_id = %d ORDER BY position" % intake)]


def audit_count(action, target):
    return int(psql("SELECT count(*) FROM audit_log WHERE action = %s AND target = %s"
                    % (sql_literal(action), sql_literal(target)))[0][0])


# An urgent flag (possible_dvt), local ones with fixed (varicose_veins) and
# typed (skin_problem) areas, a caution; patient text that must be escaped
# and isolated.
REASON = 'Calf ache <b>"since" Monday</b> & \u202eevil\u202c tail\nsecond line'
FLAGGED = [
    ("reason_for_visit", REASON),
    ("leg_swelling", "yes"),
    ("conditions", ["varicose_veins", "skin_problem"]),
    ("condition_areas", "left forearm"),
    ("anticoagulant", "yes"),
    ("consent_sensitive_areas", ["glutes", "abdomen"]),
]

_I = {}


def flagged_intake():
    if "flagged" not in _I:
        _I["flagged"] = submit(FLAGGED)
    return _I["flagged"]


# ---- viewing ----------------------------------------------------------------

@test
def intake_page_shows_decrypted_answers_and_is_audited():
    t = staff("therapist")
    iid, _ = flagged_intake()
    target = "intake:%d" % iid
    before = audit_count("intake-view", target)
    r = t.get("/clinic/intakes/%d" % iid)
    expect(r.status == 200, "intake page: %r %s" % (r, r.text[:300]))
    expect(r.content_type == "text/html", "content type %s" % r.content_type)
    expect("no-store" in (r.header("Cache-Control") or ""), "page with answers is cacheable")
    check_security_headers(r)
    page = r.text
    # the sensitive answer, decrypted, escaped, each line isolated
    expect("Calf ache &lt;b&gt;&quot;since&quot; Monday&lt;/b&gt; &amp; " in page,
           "reason for visit missing or not escaped")
    expect("<b>" not in page.split("<main", 1)[1].replace("<bdi>", ""),
           "patient markup reached the page")
    expect(re.search(r"<bdi>[^<]*\u202eevil\u202c tail</bdi><br />\s*<bdi>second line</bdi>", page),
           "patient text not isolated line by line")
    # labels from the form definition, choice labels for values
    expect("What brings you in?" in page, "question label missing")
    expect("Varicose veins" in page, "choice label missing")
    expect(audit_count("intake-view", target) == before + 1, "the view wrote no audit row")
    rows = psql("SELECT actor, address FROM audit_log WHERE action = 'intake-view' "
                "AND target = %s ORDER BY id DESC LIMIT 1" % sql_literal(target))
    expect(rows[0][0] == t.username, "audit row names %r" % (rows[0],))


@test
def flags_urgent_first_with_advice_and_areas():
    t = staff("therapist")
    iid, _ = flagged_intake()
    page = t.get("/clinic/intakes/%d" % iid).text
    sevs = re.findall(r'<article class="flag[^"]*"[^>]* data-severity="([a-z_]+)"', page)
    rank = ["urgent", "no_massage", "clearance", "local", "caution"]
    expect(sevs and sevs[0] == "urgent", "urgent flag not first: %r" % sevs)
    expect(sevs == sorted(sevs, key=rank.index), "flags not most serious first: %r" % sevs)
    expect(len(sevs) == len(flags_of(iid)), "not every flag shown")
    for rule in ("possible_dvt", "varicose_veins", "skin_problem", "anticoagulant"):
        expect('data-rule="%s"' % rule in page, "flag %s missing" % rule)
    expect("see a doctor today" in page, "urgent timeframe missing")
    expect("no deep pressure over the veins" in page.lower(), "advice missing")
    expect("<bdi>left forearm</bdi>" in page, "typed area missing")


@test
def body_map_marks_pain_and_areas_to_avoid():
    t = staff("therapist")
    iid, _ = flagged_intake()
    page = t.get("/clinic/intakes/%d" % iid).text
    expect("<svg" in page and 'role="img"' in page, "no body map")
    # valid_intake() has pain in the neck and shoulders
    expect(re.search(r'class="bm-area bm-pain" data-area="neck"', page), "neck pain not marked")
    expect(re.search(r'class="bm-area bm-avoid" data-area="lower_legs"', page),
           "varicose veins' lower legs not marked to avoid")
    expect(not re.search(r'bm-avoid" data-area="neck"', page), "neck marked to avoid")
    expect(" style=" not in page and "<style" not in page and "<script" not in page,
           "inline style or script on the page (CSP)")


@test
def consent_record_and_verbatim_text():
    t = staff("therapist")
    iid, _ = flagged_intake()
    page = t.get("/clinic/intakes/%d" % iid).text
    # hex: psql() reads one row per line, and the text has many
    rows = psql("SELECT encode(convert_to(d.body, 'UTF8'), 'hex') FROM consent_documents d "
                "JOIN intakes i ON i.consent_version = d.version WHERE i.id = %d" % iid)
    expect(rows, "no consent document")
    text = bytes.fromhex(rows[0][0]).decode("utf-8")
    for line in text.splitlines():
        if line.strip():
            expect(html.escape(line, quote=True).replace("&#x27;", "&#39;") in page,
                   "consent text line missing: %r" % line[:60])
    expect(re.search(r'data-kind="given"', page), "consent given not shown")
    expect('data-area="glutes"' in page, "sensitive areas consented not shown")


@test
def front_desk_and_anonymous_get_no_answers():
    d = staff("front_desk")
    iid, _ = flagged_intake()
    r = d.get("/clinic/intakes/%d" % iid)
    expect(r.status == 403, "front desk saw the intake page: %r" % r)
    expect("Calf ache" not in r.text, "answers shown to the front desk")
    r = http("GET", "/clinic/intakes/%d" % iid)
    expect(r.status == 303 and r.location.endswith("/clinic/login"), "anonymous: %r" % r)


@test
def unknown_intake_is_404():
    t = staff("therapist")
    r = t.get("/clinic/intakes/999999999")
    expect(r.status == 404, "unknown intake: %r" % r)


# ---- decisions --------------------------------------------------------------

@test
def urgent_flag_accepts_only_defer_and_refer():
    t = staff("therapist")
    iid, _ = flagged_intake()
    urgent = [f for f, s in flags_of(iid) if s == "urgent"][0]
    path = "/clinic/intakes/%d/flags/%d" % (iid, urgent)
    for d in ("proceed", "modify", "avoid_area"):
        r = t.post(path, {"decision": d, "note": "should not be kept"})
        expect(r.status == 422, "%s on an urgent flag: %r" % (d, r))
    n = psql("SELECT count(*) FROM flag_decisions WHERE flag_id = %d" % urgent)[0][0]
    expect(n == "0", "a refused decision was stored")
    r = t.post(path, {"decision": "approve"})
    expect(r.status == 422, "unknown decision: %r" % r)
    r = t.post(path, {"note": "no decision"})
    expect(r.status == 422, "missing decision: %r" % r)


@test
def decisions_recorded_history_kept_notes_encrypted():
    t = staff("therapist")
    iid, _ = flagged_intake()
    urgent = [f for f, s in flags_of(iid) if s == "urgent"][0]
    path = "/clinic/intakes/%d/flags/%d" % (iid, urgent)
    note1 = "Phoned: walk-in clinic first %s" % random_token()[:8]
    note2 = "Doctor's letter expected %s" % random_token()[:8]
    r = t.post(path, {"decision": "defer", "note": note1})
    expect(r.status == 303, "defer: %r %s" % (r, r.text[:200]))
    expect(urllib.parse.urlsplit(r.location).path == "/clinic/intakes/%d" % iid,
           "303 goes to %s" % r.location)
    r = t.post(path, {"decision": "refer", "note": note2})
    expect(r.status == 303, "refer: %r" % r)

    rows = psql("SELECT d.decision, s.username, d.note_blob IS NOT NULL, "
                "position(convert_to(%s, 'UTF8') IN d.note_blob) "
                "FROM flag_decisions d JOIN staff s ON s.id = d.staff_id "
                "WHERE d.flag_id = %d ORDER BY d.id" % (sql_literal(note1[:20]), urgent))
    expect([r[0] for r in rows] == ["defer", "refer"], "decisions stored: %r" % rows)
    expect(all(r[1] == t.username and r[2] == "t" and r[3] == "0" for r in rows),
           "reviewer or encrypted note wrong: %r" % rows)
    n = int(psql("SELECT count(*) FROM audit_log WHERE action = 'flag-decision' "
                 "AND target LIKE %s" % sql_literal("intake:%d flag:%d %%" % (iid, urgent)))[0][0])
    expect(n >= 2, "decisions not audited (%d rows)" % n)

    page = t.get("/clinic/intakes/%d" % iid).text
    art = page.split('id="flag-%d"' % urgent, 1)[1].split("</article>", 1)[0]
    expect(re.search(r'class="decision-current" data-decision="refer"', art),
           "the later decision does not replace the earlier on the page")
    hist = re.findall(r'<li data-decision="([a-z_]+)"', art)
    expect(hist == ["defer", "refer"], "history: %r" % hist)
    expect(html.escape(note1).replace("&#x27;", "&#39;") in art and
           html.escape(note2).replace("&#x27;", "&#39;") in art, "notes not decrypted on the page")
    expect("Robin Reviewer" in art, "reviewer not shown")

    # caution and local flags take the other decisions
    for f, s in flags_of(iid):
        if s in ("local", "caution"):
            r = t.post("/clinic/intakes/%d/flags/%d" % (iid, f), {"decision": "avoid_area"})
            expect(r.status == 303, "avoid_area on a %s flag: %r" % (s, r))
    st = psql("SELECT status FROM intake_states WHERE intake_id = %d" % iid)[0][0]
    expect(st == "reviewed", "status after every flag decided: %s" % st)


@test
def note_has_its_own_data_key():
    # The intake's data key was chosen by the internet-facing side; a note
    # is sealed under a fresh one: the sealed keys (bytes 14..93) differ.
    t = staff("therapist")
    iid, _ = flagged_intake()
    f = flags_of(iid)[-1][0]
    r = t.post("/clinic/intakes/%d/flags/%d" % (iid, f), {"decision": "modify", "note": "fresh key"})
    expect(r.status == 303, "decision: %r" % r)
    rows = psql("SELECT encode(substring(d.note_blob FROM 14 FOR 80), 'hex'), "
                "encode(substring(i.answers_blob FROM 14 FOR 80), 'hex') "
                "FROM flag_decisions d JOIN intakes i ON i.id = d.intake_id "
                "WHERE d.flag_id = %d ORDER BY d.id DESC LIMIT 1" % f)
    expect(rows and rows[0][0] != rows[0][1], "the note reuses the intake's data key")


@test
def decision_on_another_intakes_flag_is_404():
    t = staff("therapist")
    iid, _ = flagged_intake()
    other, _ = submit([("anticoagulant", "yes")])
    f = flags_of(other)[0][0]
    r = t.post("/clinic/intakes/%d/flags/%d" % (iid, f), {"decision": "proceed"})
    expect(r.status == 404, "a flag of another intake: %r" % r)
    n = psql("SELECT count(*) FROM flag_decisions WHERE flag_id = %d" % f)[0][0]
    expect(n == "0", "decision stored on the wrong intake")


@test
def decisions_need_the_therapist_and_csrf():
    t, d = staff("therapist"), staff("front_desk")
    iid, _ = flagged_intake()
    f = flags_of(iid)[-1][0]
    n0 = psql("SELECT count(*) FROM flag_decisions WHERE flag_id = %d" % f)[0][0]
    r = d.post("/clinic/intakes/%d/flags/%d" % (iid, f), {"decision": "proceed"})
    expect(r.status == 403, "front desk decision: %r" % r)
    r = t.post("/clinic/intakes/%d/flags/%d" % (iid, f), {"decision": "proceed"}, csrf=False)
    expect(r.status == 403, "decision without CSRF token: %r" % r)
    n1 = psql("SELECT count(*) FROM flag_decisions WHERE flag_id = %d" % f)[0][0]
    expect(n0 == n1, "a refused decision was stored")


# ---- assignment -------------------------------------------------------------

def appointment(cancelled=False):
    rows = psql("INSERT INTO appointments (patient_name, starts_at, therapist, modality%s) "
                "VALUES ('Alex Tremblay', now() + interval '2 days', 'someone', 'relaxation'%s) "
                "RETURNING id" % (", cancelled_at" if cancelled else "",
                                   ", now()" if cancelled else ""))
    return int(rows[0][0])


def assigned(intake):
    return psql("SELECT coalesce(appointment_id::text, 'none') FROM intakes WHERE id = %d"
                % intake)[0][0]


@test
def assign_ties_an_unassigned_intake():
    d = staff("front_desk")
    iid, _ = submit([])
    a1, a2, gone = appointment(), appointment(), appointment(cancelled=True)
    path = "/clinic/intakes/%d/assign" % iid
    for bad in ("", "abc", "0", "-3", "1e3", "999999999"):
        r = d.post(path, {"appointment": bad})
        expect(r.status == 422, "appointment %r: %r" % (bad, r))
    r = d.post(path, {"appointment": str(gone)})
    expect(r.status == 409, "cancelled appointment: %r" % r)
    expect(assigned(iid) == "none", "assigned after refusals")
    r = d.post(path, {"appointment": str(a1)})
    expect(r.status == 303, "assign: %r %s" % (r, r.text[:200]))
    expect(assigned(iid) == str(a1), "not assigned")
    expect(audit_count("intake-assign", "intake:%d appointment:%d" % (iid, a1)) == 1,
           "assignment not audited")
    r = d.post(path, {"appointment": str(a1)})
    expect(r.status == 303, "assigning again to the same: %r" % r)
    r = d.post(path, {"appointment": str(a2)})
    expect(r.status == 409, "reassigning: %r" % r)
    expect(assigned(iid) == str(a1), "reassigned")
    r = d.post("/clinic/intakes/999999999/assign", {"appointment": str(a2)})
    expect(r.status == 404, "unknown intake: %r" % r)


# ---- consent withdrawal -----------------------------------------------------

@test
def withdrawal_is_a_new_consent_record():
    t, d = staff("therapist"), staff("front_desk")
    iid, _ = submit([("consent_sensitive_areas", ["glutes", "abdomen"])])
    path = "/clinic/intakes/%d/consent-withdrawal" % iid
    r = d.post(path, {"scope": "glutes"})
    expect(r.status == 403, "front desk withdrawal: %r" % r)
    for bad in ("", "everything", "neck"):
        r = t.post(path, {"scope": bad})
        expect(r.status == 422, "scope %r: %r" % (bad, r))
    note = "Said so at the front desk %s" % random_token()[:8]
    r = t.post(path, {"scope": "glutes", "note": note})
    expect(r.status == 303, "withdraw glutes: %r %s" % (r, r.text[:200]))
    r = t.post(path, {"scope": "glutes"})
    expect(r.status == 409, "withdrawing glutes twice: %r" % r)
    r = t.post(path, {"scope": "chest_wall"})
    expect(r.status == 409, "withdrawing what was never given: %r" % r)
    rows = psql("SELECT kind, treatment, privacy, array_to_string(sensitive_areas, ' '), "
                "coalesce(scope, ''), note_blob IS NOT NULL FROM consents "
                "WHERE intake_id = %d ORDER BY id" % iid)
    expect(rows == [("given", "t", "t", "glutes abdomen", "", "f"),
                    ("withdrawn", "t", "t", "abdomen", "glutes", "t")],
           "consent rows: %r" % rows)
    r = t.post(path, {"scope": "all"})
    expect(r.status == 303, "withdraw all: %r" % r)
    rows = psql("SELECT kind, treatment, privacy, array_to_string(sensitive_areas, ' '), scope "
                "FROM consents WHERE intake_id = %d ORDER BY id" % iid)
    expect(len(rows) == 3 and rows[0][0] == "given" and rows[2] == ("withdrawn", "f", "f", "", "all"),
           "consent rows after all: %r" % rows)
    expect(int(psql("SELECT count(*) FROM audit_log WHERE action = 'consent-withdrawal' "
                    "AND target LIKE %s" % sql_literal("intake:%d %%" % iid))[0][0]) == 2,
           "withdrawals not audited")
    page = t.get("/clinic/intakes/%d" % iid).text
    expect(len(re.findall(r'data-kind="withdrawn"', page)) == 2, "withdrawals not on the page")
    expect(note in page, "withdrawal note not shown")
    expect('data-kind="given"' in page, "the consent given is gone from the page")


# ---- ciphertext in the wrong row, and the audit log down -------------------

@test
def ciphertext_moved_between_rows_does_not_open():
    t = staff("therapist")
    secret = "Moved-secret-%s" % random_token()[:10]
    a, _ = submit([("reason_for_visit", "Own words of A"), ("anticoagulant", "yes")])
    b, _ = submit([("reason_for_visit", secret), ("antiplatelet", "yes")])
    psql("UPDATE intakes SET answers_blob = (SELECT answers_blob FROM intakes WHERE id = %d) "
         "WHERE id = %d" % (b, a))
    fa, fb = flags_of(a)[0][0], flags_of(b)[0][0]
    psql("UPDATE flags SET blob = (SELECT blob FROM flags WHERE id = %d) WHERE id = %d" % (fb, fa))
    r = t.get("/clinic/intakes/%d" % a)
    expect(r.status == 200, "page of a record with a moved blob: %r" % r)
    page = r.text
    expect(secret not in page, "another intake's answers shown")
    expect("could not be decrypted" in page, "the page does not say a part could not be decrypted")
    expect(re.search(r'id="flag-%d"[^>]*>\s*<h3>.*?</h3>\s*<p class="unreadable"' % fa, page, re.S),
           "the moved flag is not marked unreadable")
    expect("Alex" in page, "the plain answers are gone too")
    # logged with the intake id and an error code, never a value
    log = open(LOGS["clinic_worker"], "rb").read().decode("utf-8", "replace")
    expect(re.search(r"intake %d: sealed answers cannot be opened: .*\(\d+\)" % a, log),
           "the failure is not logged with the intake id")
    expect(secret not in log, "a value reached the log")


@test
def view_not_shown_when_audit_cannot_be_written():
    t = staff("therapist")
    iid, _ = flagged_intake()
    psql("REVOKE EXECUTE ON FUNCTION audit_append(text, text, text, text) FROM clinic_reader")
    try:
        r = t.get("/clinic/intakes/%d" % iid)
        x = t.get("/clinic/intakes/%d.xml" % iid)
    finally:
        psql("GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text) TO clinic_reader")
    expect(r.status == 503, "view without an audit row: %r" % r)
    expect("Calf ache" not in r.text and "possible_dvt" not in r.text, "answers shown unaudited")
    expect(x.status == 503 and b"Calf ache" not in x.body, "export without an audit row: %r" % x)
    expect(t.get("/clinic/intakes/%d" % iid).status == 200, "not back after the grant")
