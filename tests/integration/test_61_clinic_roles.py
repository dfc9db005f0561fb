"""api.md's roles table, every role against every page: therapist,
front_desk and admin; what a role may not see answers 403 and changes
nothing."""

import html

from harness import *  # noqa: F401,F403
from harness import staff_account, staff_as, staff_client

ROLES = ("therapist", "front_desk", "admin")
RUN = random_token()[:5].lower().replace("_", "x").replace("-", "x")
_clients = {}


def client(role):
    if role not in _clients:
        _clients[role] = staff_as(role)
    return _clients[role]


def _tomorrow_at(hhmm):
    return (clinic_today() + datetime.timedelta(days=1)).isoformat() + "T" + hhmm


def _appointment(role, name="Role Test"):
    """A new appointment made by role; its id."""
    r = client(role).post("/clinic/appointments", [
        ("patient_name", name), ("email", "role.test@example.org"),
        ("starts_at", _tomorrow_at("10:30")), ("therapist", "therapist"),
        ("modality", "relaxation")], csrf_from="/clinic/appointments")
    expect(r.status == 303, "%s creating an appointment: %d" % (role, r.status))
    m = re.match(r"^/clinic/appointments/(\d+)$", r.location or "")
    expect(m, "appointment Location: %r" % r.location)
    return int(m.group(1))


_intake = None


def _urgent_intake():
    """An unassigned intake with an urgent flag: (intake id, flag id)."""
    global _intake
    if _intake is None:
        r, sid = post_form(with_answers(valid_intake(), {
            "given_name": "Roland", "family_name": "Roletest",
            "signature_name": "Roland Roletest", "rf_bladder_bowel": "yes"}))
        expect(r.status == 303, "intake for the role tests: %d" % r.status)
        iid = int(psql("SELECT id FROM intakes WHERE submission_id = %s" % sql_literal(sid))[0][0])
        fid = int(psql("SELECT id FROM flags WHERE intake_id = %d AND severity = 'urgent'"
                       " ORDER BY position LIMIT 1" % iid)[0][0])
        _intake = (iid, fid)
    return _intake


def _count(sql):
    return int(psql(sql)[0][0])


def _denied(r, what):
    expect(r.status == 403, "%s: expected 403, got %d" % (what, r.status))
    check_security_headers(r, what)


def _allowed(r, what):
    expect(r.status not in (401, 403, 404, 405) and not
           (r.status == 303 and r.location == "/clinic/login"),
           "%s: refused with %d %s" % (what, r.status, r.location))


@test
def everyone_sees_the_dashboard_and_appointments():
    for role in ROLES:
        c = client(role)
        for path in ("/clinic/", "/clinic/appointments"):
            r = c.get(path)
            expect(r.status == 200, "%s GET %s: %d" % (role, path, r.status))
        aid = _appointment(role)
        r = c.get("/clinic/appointments/%d" % aid)
        expect(r.status == 200, "%s GET its appointment: %d" % (role, r.status))
        r = c.post("/clinic/appointments/%d" % aid, [
            ("patient_name", "Role Test Edited"), ("email", ""),
            ("starts_at", _tomorrow_at("11:00")), ("therapist", "therapist"),
            ("modality", "sports")], csrf_from="/clinic/appointments/%d" % aid)
        expect(r.status == 303 and r.location == "/clinic/appointments/%d" % aid,
               "%s editing: %d %s" % (role, r.status, r.location))
        r = c.post("/clinic/appointments/%d/cancel" % aid, csrf_from="/clinic/appointments/%d" % aid)
        expect(r.status == 303, "%s cancelling: %d" % (role, r.status))


@test
def only_therapists_see_an_intake_and_its_export():
    iid, _ = _urgent_intake()
    for role in ROLES:
        c = client(role)
        for path in ("/clinic/intakes/%d" % iid, "/clinic/intakes/%d.xml" % iid):
            before = _count("SELECT count(*) FROM audit_log")
            r = c.get(path)
            if role == "therapist":
                _allowed(r, "therapist GET %s" % path)
                expect(r.status == 200, "therapist GET %s: %d" % (path, r.status))
            else:
                _denied(r, "%s GET %s" % (role, path))
                expect(_count("SELECT count(*) FROM audit_log") == before,
                       "%s: a refused view was audited as a view" % role)
                expect(b"Roland" not in r.body, "%s: the 403 page shows the patient" % role)


@test
def only_therapists_decide_and_record_withdrawals():
    iid, fid = _urgent_intake()
    for role in ("front_desk", "admin"):
        c = client(role)
        d0 = _count("SELECT count(*) FROM flag_decisions")
        r = c.post("/clinic/intakes/%d/flags/%d" % (iid, fid),
                   [("decision", "refer"), ("note", "role test")])
        _denied(r, "%s deciding a flag" % role)
        expect(_count("SELECT count(*) FROM flag_decisions") == d0, "%s: a decision was stored" % role)
        c0 = _count("SELECT count(*) FROM consents WHERE intake_id = %d" % iid)
        r = c.post("/clinic/intakes/%d/consent-withdrawal" % iid, [("scope", "all"), ("note", "x")])
        _denied(r, "%s withdrawing consent" % role)
        expect(_count("SELECT count(*) FROM consents WHERE intake_id = %d" % iid) == c0,
               "%s: a consent record was added" % role)
    c = client("therapist")
    r = c.post("/clinic/intakes/%d/flags/%d" % (iid, fid), [("decision", "refer"), ("note", "")])
    _allowed(r, "therapist deciding a flag")
    r = c.post("/clinic/intakes/%d/consent-withdrawal" % iid, [("scope", "all"), ("note", "")])
    _allowed(r, "therapist withdrawing consent")


@test
def every_role_may_assign_an_intake():
    for role in ROLES:
        given = "Assign%s" % role.title().replace("_", "")
        r, sid = post_form(with_answers(valid_intake(), {
            "given_name": given, "signature_name": given + " Tremblay"}))
        expect(r.status == 303, "intake: %d" % r.status)
        iid = int(psql("SELECT id FROM intakes WHERE submission_id = %s" % sql_literal(sid))[0][0])
        aid = _appointment(role, "Assign Target")
        r = client(role).post("/clinic/intakes/%d/assign" % iid, [("appointment", str(aid))])
        _allowed(r, "%s assigning" % role)


@test
def only_admins_manage_staff_accounts():
    victim = "role.victim." + RUN
    staff_account(victim, "therapist")
    hash0 = psql("SELECT password_hash FROM staff WHERE username = %s" % sql_literal(victim))[0][0]
    for role in ("therapist", "front_desk"):
        c = client(role)
        _denied(c.get("/clinic/staff"), "%s GET /clinic/staff" % role)
        name = "made.by.%s.%s" % (role.replace("_", ""), RUN)
        r = c.post("/clinic/staff", [("username", name), ("display_name", "X"),
                                     ("role", "admin"), ("password", "")])
        _denied(r, "%s adding an account" % role)
        expect(_count("SELECT count(*) FROM staff WHERE username = %s" % sql_literal(name)) == 0,
               "%s made an account" % role)
        _denied(c.post("/clinic/staff/%s/disable" % victim), "%s disabling" % role)
        _denied(c.post("/clinic/staff/%s/reset" % victim, [("password", "")]), "%s resetting" % role)
        row = psql("SELECT disabled_at IS NULL, password_hash FROM staff WHERE username = %s"
                   % sql_literal(victim))[0]
        expect(row == ("t", hash0), "%s changed the account: %r" % (role, row))
    a = client("admin")
    r = a.get("/clinic/staff")
    expect(r.status == 200 and victim in r.text, "admin GET /clinic/staff: %d" % r.status)
    made = "made.by.admin." + RUN
    r = a.post("/clinic/staff", [("username", made), ("display_name", "Made By Admin"),
                                 ("role", "front_desk"), ("password", "")], csrf_from="/clinic/staff")
    expect(r.status == 200, "admin adding an account: %d" % r.status)
    shown = re.search(r'id="new-password">([^<]+)<', r.text)
    expect(shown, "the new password is not shown")
    expect(r.header("Cache-Control") == "no-store", "the password page is cacheable")
    staff_client(made, html.unescape(shown.group(1)))
    r = a.post("/clinic/staff/%s/reset" % victim, [("password", "")], csrf_from="/clinic/staff")
    expect(r.status == 200 and 'id="new-password"' in r.text, "admin resetting: %d" % r.status)
    r = a.post("/clinic/staff/%s/disable" % victim, csrf_from="/clinic/staff")
    expect(r.status == 303, "admin disabling: %d" % r.status)
    expect(psql("SELECT disabled_at IS NOT NULL FROM staff WHERE username = %s"
                % sql_literal(victim))[0][0] == "t", "the account is not disabled")


@test
def admins_manage_accounts_with_checked_forms():
    a = client("admin")
    n0 = _count("SELECT count(*) FROM staff")
    for fields, field in (
            ([("username", "Bad Name"), ("display_name", "X"), ("role", "therapist")], "username"),
            ([("username", "ok.name"), ("display_name", ""), ("role", "therapist")], "display_name"),
            ([("username", "ok.name"), ("display_name", "X"), ("role", "boss")], "role"),
            ([("username", "ok.name"), ("display_name", "X"), ("role", "therapist"),
              ("password", "short")], "password"),
            ([("username", "therapist"), ("display_name", "X"), ("role", "therapist")], "username")):
        r = a.post("/clinic/staff", fields, csrf_from="/clinic/staff")
        expect(r.status == 422, "bad account form (%s): %d" % (field, r.status))
        page = parse_page(r.text)
        expect(page.alerts >= 1, "422 without an error summary")
        expect("#" + field in page.links, "the summary does not link to %s" % field)
    expect(_count("SELECT count(*) FROM staff") == n0, "a refused form made an account")
    pw = "chosen by the admin " + random_token()[:6]
    r = a.post("/clinic/staff", [("username", "Chosen.PW." + RUN), ("display_name", "Chosen"),
                                 ("role", "therapist"), ("password", pw)], csrf_from="/clinic/staff")
    expect(r.status == 303 and r.location == "/clinic/staff", "account with a set password: %d" % r.status)
    staff_client("chosen.pw." + RUN, pw)
    me = "admin"
    r = a.post("/clinic/staff/%s/disable" % me, csrf_from="/clinic/staff")
    expect(r.status == 409, "an admin disabled their own account: %d" % r.status)
    r = a.post("/clinic/staff/no.such.person/disable", csrf_from="/clinic/staff")
    expect(r.status == 404, "disabling an unknown account: %d" % r.status)


@test
def front_desk_sees_status_and_severity_but_no_answers():
    iid, _ = _urgent_intake()
    fd = client("front_desk").get("/clinic/")
    expect(fd.status == 200, "front desk dashboard: %d" % fd.status)
    expect('data-intake="%d"' % iid in fd.text, "the unassigned intake is not listed")
    expect("/clinic/intakes/%d\"" % iid not in fd.text, "front desk gets a link to the intake")
    row = re.search(r'<tr data-intake="%d".*?</tr>' % iid, fd.text, re.S).group(0)
    expect("data-status=" in row and "data-severity=" in row, "no status or severity: %r" % row)
    for answer in ("Stiff neck", "Vitamin D", "Hay fever"):
        expect(answer not in fd.text, "front desk dashboard shows an answer")
    th = client("therapist").get("/clinic/")
    expect("/clinic/intakes/%d\"" % iid in th.text, "the therapist has no link to the intake")
