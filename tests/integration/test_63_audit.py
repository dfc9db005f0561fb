"""The audit log of the staff side (architecture.md, "Audit"): sign-ins,
failed sign-ins, sign-outs, appointment changes and account changes are
rows with who, what, which record and from where; never a password, a
token, a patient's name or a health answer. Refused requests write none."""

from harness import *  # noqa: F401,F403
from harness import StaffClient, intakectl, staff_account, staff_as, staff_client


def _last_id():
    return int(psql("SELECT coalesce(max(id), 0) FROM audit_log")[0][0])


def _rows(since):
    return psql("SELECT actor, action, coalesce(target, '-'), coalesce(address, '-')"
                " FROM audit_log WHERE id > %d ORDER BY id" % since)


def _has(rows, actor, action, target=None, address="127.0.0.1"):
    for r in rows:
        if r[0] == actor and r[1] == action and (target is None or r[2] == target) \
                and (address is None or r[3] == address):
            return True
    return False


def _tomorrow():
    return (clinic_today() + datetime.timedelta(days=1)).isoformat()


@test
def sign_ins_and_sign_outs_are_audited():
    user = "audit.person"
    pw = staff_account(user, "therapist")
    mark = _last_id()
    c = staff_client(user, pw)
    c.post("/clinic/logout")
    typed = "audit-unknown-" + random_token()[:8].lower()
    for who in (user, typed):
        c2 = StaffClient()
        tok = c2.csrf("/clinic/login")
        r = c2.request("POST", "/clinic/login", fields=[
            ("username", who), ("password", "wrong password here"), ("csrf_token", tok)])
        expect(r.status == 401, "failed sign-in: %d" % r.status)
    rows = _rows(mark)
    expect(_has(rows, user, "sign-in", "staff:" + user), "no sign-in row: %r" % rows)
    expect(_has(rows, user, "sign-out", "staff:" + user), "no sign-out row: %r" % rows)
    expect(_has(rows, user, "sign-in-failed", "staff:" + user), "no failed sign-in row: %r" % rows)
    expect(_has(rows, "unknown", "sign-in-failed", "-"), "no row for an unknown name: %r" % rows)
    flat = repr(psql("SELECT * FROM audit_log WHERE id > %d" % mark))
    expect(typed not in flat, "the name typed for an unknown account is in the audit log")
    expect(pw not in flat and "wrong password here" not in flat, "a password is in the audit log")


@test
def refused_requests_write_no_row():
    c = staff_as("front_desk")
    mark = _last_id()
    c.post("/clinic/appointments", [("patient_name", "Nobody"), ("starts_at", _tomorrow() + "T10:00"),
                                    ("therapist", "therapist"), ("modality", "sports")], token=None)
    c.post("/clinic/staff", [("username", "x"), ("display_name", "x"), ("role", "admin")])
    c.post("/clinic/appointments", [("patient_name", "")], csrf_from="/clinic/appointments")
    expect(_rows(mark) == [], "refused or invalid requests were audited: %r" % _rows(mark))


@test
def appointment_changes_are_audited_without_the_patient():
    c = staff_as("front_desk")
    name = "Audit Patientname"
    mark = _last_id()
    r = c.post("/clinic/appointments", [
        ("patient_name", name), ("email", "audit.patient@example.org"),
        ("starts_at", _tomorrow() + "T10:00"), ("therapist", "therapist"),
        ("modality", "sports")], csrf_from="/clinic/appointments")
    expect(r.status == 303, "create: %d" % r.status)
    aid = int(r.location.rsplit("/", 1)[1])
    page = "/clinic/appointments/%d" % aid
    r = c.post(page, [("patient_name", name + " Edited"), ("email", ""),
                      ("starts_at", _tomorrow() + "T11:00"), ("therapist", "therapist"),
                      ("modality", "sports")], csrf_from=page)
    expect(r.status == 303, "edit: %d" % r.status)
    r = c.post(page + "/cancel", csrf_from=page)
    expect(r.status == 303, "cancel: %d" % r.status)
    rows = _rows(mark)
    target = "appointment:%d" % aid
    for action in ("appointment-create", "appointment-edit", "appointment-cancel"):
        expect(_has(rows, "frontdesk", action, target), "no %s row: %r" % (action, rows))
    flat = repr(psql("SELECT * FROM audit_log WHERE id > %d" % mark))
    expect("Patientname" not in flat and "audit.patient" not in flat,
           "the patient's details are in the audit log")


@test
def account_changes_are_audited_from_the_web_and_intakectl():
    a = staff_as("admin")
    suffix = random_token()[:5].lower().replace("_", "x").replace("-", "x")
    user = "audited." + suffix
    mark = _last_id()
    pw = "admin set password " + suffix
    r = a.post("/clinic/staff", [("username", user), ("display_name", "Audited"),
                                 ("role", "therapist"), ("password", pw)], csrf_from="/clinic/staff")
    expect(r.status == 303, "add: %d" % r.status)
    r = a.post("/clinic/staff/%s/reset" % user, [("password", "")], csrf_from="/clinic/staff")
    expect(r.status == 200, "reset: %d" % r.status)
    shown = re.search(r'id="new-password">([^<]+)<', r.text).group(1)
    r = a.post("/clinic/staff/%s/disable" % user, csrf_from="/clinic/staff")
    expect(r.status == 303, "disable: %d" % r.status)
    cli = "cli.audited." + suffix
    intakectl("staff-add", cli, "front_desk", "--name", "CLI Audited", input="cli password " + suffix + "\n")
    intakectl("staff-reset", cli, input="cli password two " + suffix + "\n")
    intakectl("staff-disable", cli)
    rows = _rows(mark)
    t = "staff:" + user
    expect(_has(rows, "admin", "staff-add", t + " role:therapist"), "no web staff-add row: %r" % rows)
    expect(_has(rows, "admin", "staff-reset", t), "no web staff-reset row: %r" % rows)
    expect(_has(rows, "admin", "staff-disable", t), "no web staff-disable row: %r" % rows)
    me = "intakectl:root" if IS_ROOT else None
    for action, target in (("staff-add", "staff:%s role:front_desk" % cli), ("staff-reset", "staff:" + cli),
                           ("staff-disable", "staff:" + cli)):
        expect(any(r[1] == action and r[2] == target and r[0].startswith("intakectl:")
                   and (me is None or r[0] == me) and r[3] == "-" for r in rows),
               "no intakectl %s row: %r" % (action, rows))
    flat = repr(psql("SELECT * FROM audit_log WHERE id > %d" % mark))
    for secret in (pw, shown, "cli password " + suffix, "cli password two " + suffix):
        expect(secret not in flat, "a password is in the audit log")


@test
def no_password_or_session_token_reaches_a_log_or_the_database():
    user = "audit.logs"
    pw = staff_account(user, "therapist")
    c = staff_client(user, pw)
    tok = c.session
    c.post("/clinic/logout")
    dump = pg_dump()
    expect(pw.encode() not in dump and tok.encode() not in dump,
           "a password or a session token is in the database")
    for path, data in read_logs().items():
        expect(pw.encode() not in data, "the password reached %s" % path)
        expect(tok.encode() not in data, "a session token reached %s" % path)


@test
def the_audit_chain_still_verifies():
    p = intakectl("audit-verify", check=False)
    if p.returncode == 2 and "unknown command" in (p.stderr or ""):
        return  # the verifier is another module's; nothing to check here
    expect(p.returncode == 0, "audit-verify after the staff side wrote: %s %s" % (p.stdout, p.stderr))
