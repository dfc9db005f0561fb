"""Appointments and their invites, and the dashboard (api.md, clinic side)."""

from harness import *  # noqa: F401,F403
from harness import staff_as

_c = None


def desk():
    global _c
    if _c is None:
        _c = staff_as("front_desk")
    return _c


def _day(n):
    return (clinic_today() + datetime.timedelta(days=n)).isoformat()


def _fields(**kw):
    f = {"patient_name": "Pat Appointment", "email": "pat@example.org",
         "starts_at": _day(2) + "T14:15", "therapist": "therapist", "modality": "deep_tissue"}
    f.update(kw)
    return list(f.items())


def _create(**kw):
    r = desk().post("/clinic/appointments", _fields(**kw), csrf_from="/clinic/appointments")
    expect(r.status == 303, "creating an appointment: %d" % r.status)
    m = re.match(r"^/clinic/appointments/(\d+)$", r.location or "")
    expect(m, "Location is not the appointment's page: %r" % r.location)
    return int(m.group(1))


def _invite(aid):
    """The invite token the appointment's page shows (None when none)."""
    r = desk().get("/clinic/appointments/%d" % aid)
    expect(r.status == 200, "appointment page: %d" % r.status)
    expect(r.header("Cache-Control") == "no-store", "the page with the invite is cacheable")
    m = re.search(r'href="/intake/\?invite=([A-Za-z0-9_-]{43})"', r.text)
    return m.group(1) if m else None


def _appointments():
    return int(psql("SELECT count(*) FROM appointments")[0][0])


def _intake(given, family, invite=None, **answers):
    changes = {"given_name": given, "family_name": family,
               "signature_name": "%s %s" % (given, family)}
    changes.update(answers)
    extra = [("invite", invite)] if invite else ()
    r, sid = post_form(with_answers(valid_intake(), changes), extra=extra)
    expect(r.status == 303, "intake %s %s: %d" % (given, family, r.status))
    return int(psql("SELECT id FROM intakes WHERE submission_id = %s" % sql_literal(sid))[0][0])


def _row(page, attr, ident):
    m = re.search(r'<tr %s="%d".*?</tr>' % (attr, ident), page, re.S)
    return m.group(0) if m else None


def _state(row):
    st = re.search(r'data-status="([^"]*)"', row)
    sev = re.search(r'data-severity="([^"]*)"', row)
    return (st.group(1) if st else None, sev.group(1) if sev else None)


@test
def creating_an_appointment_shows_its_working_invite_link():
    n0 = _appointments()
    aid = _create()
    expect(_appointments() == n0 + 1, "not one appointment stored")
    tok = _invite(aid)
    expect(tok, "the appointment's page shows no invite link")
    # the database keeps the token's hash, never the token
    expect(tok.encode() not in pg_dump(), "the invite token is stored in clear")
    r = http("GET", "/intake/?invite=" + tok)
    expect(r.status == 200, "the invite link answers %d" % r.status)
    expect(parse_page(r.text).value("invite") == tok, "the form does not carry the invite")
    # shown again, the same link
    expect(_invite(aid) == tok, "the link changed between two views")
    lst = desk().get("/clinic/appointments")
    expect(lst.status == 200 and "/clinic/appointments/%d\"" % aid in lst.text, "not on the list")


@test
def the_invite_expires_at_the_start_of_the_day_after():
    aid = _create(starts_at=_day(3) + "T09:00")
    row = psql("SELECT invite_expires_at = ((date_trunc('day', starts_at AT TIME ZONE"
               " 'America/Toronto') + interval '1 day') AT TIME ZONE 'America/Toronto'),"
               " to_char(starts_at AT TIME ZONE 'America/Toronto', 'YYYY-MM-DD HH24:MI')"
               " FROM appointments WHERE id = %d" % aid)[0]
    expect(row == ("t", _day(3) + " 09:00"), "start or invite expiry wrong: %r" % (row,))
    tok = _invite(aid)
    psql("UPDATE appointments SET invite_expires_at = now() - interval '1 minute' WHERE id = %d" % aid)
    expect(http("GET", "/intake/?invite=" + tok).status == 404, "an expired invite still works")
    expect(_invite(aid) is None, "the page still offers an expired link")


@test
def invalid_appointments_are_422_with_the_form_kept():
    n0 = _appointments()
    cases = [
        ("patient_name", dict(patient_name="")),
        ("patient_name", dict(patient_name="x" * 251)),
        ("email", dict(email="not an email")),
        ("starts_at", dict(starts_at="2026-02-30T10:00")),
        ("starts_at", dict(starts_at="tomorrow at ten")),
        ("starts_at", dict(starts_at="2026-03-01 10:00")),
        ("therapist", dict(therapist="admin")),
        ("therapist", dict(therapist="nobody")),
        ("modality", dict(modality="hot_stones")),
    ]
    for field, kw in cases:
        fields = _fields(**kw)
        r = desk().post("/clinic/appointments", fields, csrf_from="/clinic/appointments")
        expect(r.status == 422, "%r: %d" % (kw, r.status))
        page = parse_page(r.text)
        expect(page.alerts >= 1 and "#" + field in page.links, "%r: no summary linking %s" % (kw, field))
        ctl = page.ids.get(field)
        expect(ctl and ctl.get("aria-describedby") == field + "-error" and field + "-error" in page.ids,
               "%r: the message is not beside %s" % (kw, field))
        kept = dict((k, v) for k, v in fields)
        vals = page.values()
        for k in ("patient_name", "email", "starts_at"):
            expect(vals.get(k, [""])[0] == kept[k], "%r: %s not kept" % (kw, k))
    expect(_appointments() == n0, "a refused form stored an appointment")
    r = desk().post("/clinic/appointments", _fields(), token=None)
    expect(r.status == 403, "no CSRF token: %d" % r.status)
    r = desk().post("/clinic/appointments", _fields(), csrf_from="/clinic/appointments",
                    headers={"Origin": "https://evil.example"})
    expect(r.status == 403, "foreign Origin: %d" % r.status)
    r = desk().post("/clinic/appointments", _fields(), token=random_token())
    expect(r.status == 403, "wrong CSRF token: %d" % r.status)
    expect(_appointments() == n0, "a forged post stored an appointment")


@test
def editing_changes_the_appointment_and_moves_its_invite():
    aid = _create()
    tok = _invite(aid)
    r = desk().post("/clinic/appointments/%d" % aid, _fields(
        patient_name="Pat Edited", email="", starts_at=_day(5) + "T08:45", modality="sports"),
        csrf_from="/clinic/appointments/%d" % aid)
    expect(r.status == 303 and r.location == "/clinic/appointments/%d" % aid,
           "edit: %d %s" % (r.status, r.location))
    row = psql("SELECT patient_name, email IS NULL, modality,"
               " to_char(starts_at AT TIME ZONE 'America/Toronto', 'YYYY-MM-DD HH24:MI'),"
               " to_char(invite_expires_at AT TIME ZONE 'America/Toronto', 'YYYY-MM-DD HH24:MI')"
               " FROM appointments WHERE id = %d" % aid)[0]
    expect(row == ("Pat Edited", "t", "sports", _day(5) + " 08:45", _day(6) + " 00:00"),
           "after the edit: %r" % (row,))
    expect(_invite(aid) == tok, "editing changed the invite link")
    expect(http("GET", "/intake/?invite=" + tok).status == 200, "the invite stopped working")
    r = desk().post("/clinic/appointments/%d" % aid, _fields(starts_at="soon"),
                    csrf_from="/clinic/appointments/%d" % aid)
    expect(r.status == 422, "a bad edit: %d" % r.status)
    expect(desk().get("/clinic/appointments/999999999").status == 404, "unknown appointment")


@test
def cancelling_stops_the_invite():
    aid = _create(starts_at=_day(0) + "T23:50")
    tok = _invite(aid)
    expect('data-appointment="%d"' % aid in desk().get("/clinic/").text, "not on the dashboard")
    r = desk().post("/clinic/appointments/%d/cancel" % aid, token=None)
    expect(r.status == 403, "cancel without CSRF: %d" % r.status)
    expect(http("GET", "/intake/?invite=" + tok).status == 200, "a refused cancel cancelled")
    r = desk().post("/clinic/appointments/%d/cancel" % aid, csrf_from="/clinic/appointments/%d" % aid)
    expect(r.status == 303 and r.location == "/clinic/appointments/%d" % aid, "cancel: %d" % r.status)
    expect(http("GET", "/intake/?invite=" + tok).status == 404, "a cancelled appointment's invite works")
    page = desk().get("/clinic/appointments/%d" % aid)
    expect("cancelled" in page.text and _invite(aid) is None, "the page does not say cancelled")
    r = desk().post("/clinic/appointments/%d" % aid, _fields(), csrf_from="/clinic/appointments")
    expect(r.status == 409, "editing a cancelled appointment: %d" % r.status)
    expect('data-appointment="%d"' % aid not in desk().get("/clinic/").text,
           "a cancelled appointment is on the dashboard")
    # an intake sent with the dead invite is kept, unassigned
    iid = _intake("Cancel", "Latecomer", invite=tok)
    expect(psql("SELECT appointment_id IS NULL FROM intakes WHERE id = %d" % iid)[0][0] == "t",
           "an intake with a cancelled invite was tied to it")


@test
def the_dashboard_shows_each_intake_state():
    c = desk()
    # invited: an appointment today with no intake yet
    a_inv = _create(starts_at=_day(0) + "T23:10", patient_name="Ivy Invited")
    # submitted, urgent: an invited intake with an urgent flag
    a_urg = _create(starts_at=_day(0) + "T23:40", patient_name="Uma Urgent")
    _intake("Uma", "Urgent", invite=_invite(a_urg), rf_bladder_bowel="yes")
    # no flags at all
    a_none = _create(starts_at=_day(1) + "T09:00", patient_name="Nora None")
    i_none = _intake("Nora", "None", invite=_invite(a_none))
    nflags = int(psql("SELECT count(*) FROM flags WHERE intake_id = %d" % i_none)[0][0])
    # superseded: the same patient sends a second intake
    i_old = _intake("Sam", "Superseded", date_of_birth="1975-01-02")
    i_new = _intake("SAM", "superseded", date_of_birth="1975-01-02")
    # reviewed: every flag decided
    i_rev = _intake("Rita", "Reviewed", rf_saddle_numbness="yes")
    psql("INSERT INTO flag_decisions (flag_id, intake_id, staff_id, decision)"
         " SELECT f.id, f.intake_id, (SELECT id FROM staff WHERE username = 'therapist'), 'refer'"
         " FROM flags f WHERE f.intake_id = %d" % i_rev)

    r = c.get("/clinic/")
    expect(r.status == 200, "dashboard: %d" % r.status)
    t = r.text
    expect(_state(_row(t, "data-appointment", a_inv)) == ("invited", ""), "invited row")
    st, sev = _state(_row(t, "data-appointment", a_urg))
    expect((st, sev) == ("submitted", "urgent"), "urgent row: %r" % ((st, sev),))
    st, sev = _state(_row(t, "data-appointment", a_none))
    expect(st in ("submitted", "reviewed"), "no-flag row status %r" % st)
    if nflags == 0:
        expect("no flags" in _row(t, "data-appointment", a_none), "no flags is not said in words")
    expect(_state(_row(t, "data-intake", i_old))[0] == "superseded", "older intake not superseded")
    expect(_state(_row(t, "data-intake", i_new))[0] != "superseded", "newer intake superseded")
    expect(_state(_row(t, "data-intake", i_rev)) == ("reviewed", ""), "decided intake not reviewed")
    # urgent first: the urgent appointment comes before the earlier one today
    expect(t.index('data-appointment="%d"' % a_urg) < t.index('data-appointment="%d"' % a_inv),
           "urgent appointment not first")
    # and among intakes without an appointment
    i_urg = _intake("Ulla", "Unassigned", rf_bladder_bowel="yes")
    t = c.get("/clinic/").text
    first = re.search(r'<tr data-intake="(\d+)"', t)
    expect(first and int(first.group(1)) == i_urg, "urgent unassigned intake not first")
