"""Clinic side: GET /clinic/intakes/{id}.xml, the record as XML.

Valid against schemas/record.xsd (checked with xmllint), holding every
answer, each flag (id, rule, severity, advice, areas) with every decision
and its note, the consent text verbatim with the consent given and any
withdrawal; audited like a view; a part that does not open is said to be
unreadable and the export stays valid.
"""

from harness import *  # noqa: F401,F403

import sys
import tempfile

import harness

# Staff sessions and intake helpers: test_64_review.py's (files are loaded
# in name order; run alone, this file loads it, and its tests run too).
_review = (sys.modules.get("it_test_64_review") or
           harness._load(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      "test_64_review.py")))
staff, submit, flags_of = _review.staff, _review.submit, _review.flags_of
audit_count = _review.audit_count

RECORD_XSD = os.path.join(REPO, "schemas", "record.xsd")
R = "{urn:clinic-intake:record:1}"


def export(who, intake):
    r = who.get("/clinic/intakes/%d.xml" % intake)
    expect(r.status == 200, "export of %d: %r %s" % (intake, r, r.text[:300]))
    expect(r.content_type == "application/xml", "content type %s" % r.content_type)
    expect("no-store" in (r.header("Cache-Control") or ""), "export is cacheable")
    return r


def validate(body):
    """xmllint --schema schemas/record.xsd; the root element."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(body)
        f.flush()
        p = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", RECORD_XSD, f.name],
                           capture_output=True, timeout=60)
    expect(p.returncode == 0, "export not valid against record.xsd: %s\n%s" % (
        p.stderr.decode("utf-8", "replace")[-800:], body[:600]))
    return ET.fromstring(body)


# Every kind of answer: text over two lines, multi, int, date, choice.
ANSWERS = [
    ("reason_for_visit", "Sore calf <after> running & \"hills\"\nsince Tuesday"),
    ("leg_swelling", "yes"),
    ("conditions", ["varicose_veins", "implant_device"]),
    ("condition_areas", "pacemaker, left chest"),
    ("recent_injury_date", (clinic_today() - datetime.timedelta(days=2)).isoformat()),
    ("recent_injury_area", "right ankle"),
    ("consent_sensitive_areas", ["glutes"]),
]

_X = {}


def reviewed_intake():
    """An intake with decisions (one with a note) and a withdrawal."""
    if "id" not in _X:
        t = staff("therapist")
        iid, sid = submit(ANSWERS)
        urgent = [f for f, s in flags_of(iid) if s == "urgent"][0]
        _X["note"] = "Referred to the walk-in clinic %s" % random_token()[:8]
        for d, note in (("defer", ""), ("refer", _X["note"])):
            r = t.post("/clinic/intakes/%d/flags/%d" % (iid, urgent), {"decision": d, "note": note})
            expect(r.status == 303, "decision: %r" % r)
        r = t.post("/clinic/intakes/%d/consent-withdrawal" % iid, {"scope": "glutes"})
        expect(r.status == 303, "withdrawal: %r" % r)
        _X.update(id=iid, sid=sid, urgent=urgent)
    return _X["id"]


@test
def export_is_valid_against_record_xsd_and_audited():
    t = staff("therapist")
    iid = reviewed_intake()
    before = audit_count("intake-export", "intake:%d" % iid)
    r = export(t, iid)
    check_security_headers(r)
    root = validate(r.body)
    expect(root.tag == R + "record", "root is %s" % root.tag)
    expect(root.get("intake") == str(iid) and root.get("submission_id") == _X["sid"],
           "record names another intake: %r" % root.attrib)
    expect(audit_count("intake-export", "intake:%d" % iid) == before + 1, "export not audited")


@test
def export_holds_every_answer():
    t = staff("therapist")
    iid = reviewed_intake()
    root = validate(export(t, iid).body)
    got = {}
    for a in root.iter(R + "answer"):
        vals = [v.get("code") or v.text or "" for v in a.findall(R + "value")]
        got[a.get("question")] = vals
        expect(a.get("label"), "answer %s has no label" % a.get("question"))
    sent = {}
    for q, v in with_answers(valid_intake(), ANSWERS):
        sent.setdefault(q, []).append(v)
    for q, vals in sent.items():
        expect(q in got, "answer %s missing from the export" % q)
        if q not in ("family_name", "signature_name"):  # submit() gives its own
            expect(sorted(got[q]) == sorted(vals), "answer %s: sent %r, exported %r"
                   % (q, vals, got[q]))
    # sensitive answers carry the mark; choices their labels
    pa = [a for a in root.iter(R + "answer") if a.get("question") == "pain_areas"][0]
    expect(pa.get("sensitive") == "true", "pain_areas not marked sensitive")
    expect(pa.find(R + "value").text == "Neck", "choice label missing: %r" % pa.find(R + "value").text)


@test
def export_holds_flags_and_decisions():
    t = staff("therapist")
    iid = reviewed_intake()
    root = validate(export(t, iid).body)
    flags = root.find(R + "flags").findall(R + "flag")
    stored = dict(flags_of(iid))
    expect(sorted(int(f.get("id")) for f in flags) == sorted(stored), "flag ids %r vs %r" % (
        [f.get("id") for f in flags], sorted(stored)))
    by_rule = {f.get("rule"): f for f in flags}
    for f in flags:
        expect(f.get("severity") == stored[int(f.get("id"))], "severity of flag %s" % f.get("id"))
        expect(f.find(R + "advice") is not None and f.find(R + "advice").text,
               "flag %s has no advice" % f.get("rule"))
    expect(flags[0].get("severity") == "urgent", "urgent flag not first")
    dvt = by_rule.get("possible_dvt")
    expect(dvt is not None and dvt.get("timeframe") == "same_day", "possible_dvt: %r" % (
        dvt.attrib if dvt is not None else None))
    areas = [a.text for a in by_rule["varicose_veins"].findall(R + "area")]
    expect(areas == ["lower_legs", "thighs"], "varicose_veins areas: %r" % areas)
    typed = [a.text for a in by_rule["implant_device"].findall(R + "area")]
    expect(typed == ["pacemaker, left chest"], "typed areas: %r" % typed)
    decs = dvt.findall(R + "decision")
    expect([d.get("decision") for d in decs] == ["defer", "refer"], "decisions %r" % [
        d.attrib for d in decs])
    expect(all(d.get("by") == staff("therapist").username and d.get("at") for d in decs),
           "decision without reviewer or time")
    expect(decs[0].find(R + "note") is None, "a note where none was written")
    expect(decs[1].find(R + "note").text == _X["note"], "note not decrypted in the export")


@test
def export_holds_the_consent_verbatim():
    t = staff("therapist")
    iid = reviewed_intake()
    root = validate(export(t, iid).body)
    c = root.find(R + "consent")
    rows = psql("SELECT encode(convert_to(d.body, 'UTF8'), 'hex'), d.version, "
                "encode(d.sha256, 'hex') FROM consent_documents d "
                "JOIN intakes i ON i.consent_version = d.version WHERE i.id = %d" % iid)
    body = bytes.fromhex(rows[0][0]).decode("utf-8")
    expect(c.get("version") == rows[0][1] and c.get("sha256") == rows[0][2],
           "consent version or hash: %r" % c.attrib)
    expect(c.find(R + "text").text == body, "consent text not verbatim")
    given = c.findall(R + "given")
    wd = c.findall(R + "withdrawal")
    expect(len(given) == 1 and given[0].get("treatment") == "true", "consent given: %r" % [
        g.attrib for g in given])
    expect([a.text for a in given[0].findall(R + "sensitive_area")] == ["glutes"],
           "areas consented changed")
    expect(len(wd) == 1 and wd[0].get("scope") == "glutes" and
           wd[0].findall(R + "sensitive_area") == [], "withdrawal: %r" % [w.attrib for w in wd])


@test
def export_of_a_moved_ciphertext_says_unreadable():
    t = staff("therapist")
    a, _ = submit([("anticoagulant", "yes")])
    b, _ = submit([("reason_for_visit", "Another patient's words"), ("antiplatelet", "yes")])
    psql("UPDATE intakes SET answers_blob = (SELECT answers_blob FROM intakes WHERE id = %d) "
         "WHERE id = %d" % (b, a))
    body = export(t, a).body
    root = validate(body)
    un = root.find(R + "answers").findall(R + "unreadable")
    expect([(u.get("part"), u.get("reason")) for u in un] == [("sensitive", "authentication")],
           "unreadable parts: %r" % [u.attrib for u in un])
    expect(b"Another patient" not in body, "another intake's answers exported")
    qs = {x.get("question") for x in root.iter(R + "answer")}
    expect("given_name" in qs and "reason_for_visit" not in qs, "answers exported: %r" % qs)


@test
def export_needs_a_therapist():
    iid = reviewed_intake()
    r = http("GET", "/clinic/intakes/%d.xml" % iid)
    expect(r.status == 401, "anonymous export: %r" % r)
    r = staff("front_desk").get("/clinic/intakes/%d.xml" % iid)
    expect(r.status == 403 and b"walk-in" not in r.body, "front desk export: %r" % r)
    r = staff("therapist").get("/clinic/intakes/999999999.xml")
    expect(r.status == 404, "export of an unknown intake: %r" % r)
