"""intakectl's administration commands against the real stack (api.md,
Administration; architecture.md, Audit and the envelope): the audit chain
verifier, key backup and restore, key rotation and re-sealing, a patient's
export, and deletion past retention. Every patient here has names of its
own; exports and backups go to temporary files outside VARDIR, removed
afterwards. The rotation test restarts the stack, so it comes last."""

import pwd
import random
import shutil
import stat
import string
import tempfile

from harness import *  # noqa: F401,F403

INTAKECTL = os.path.join(VARDIR, "share", "bin", "intakectl")
CONF = os.path.join(VARDIR, "etc", "clinic.conf")
SECRET = os.path.join(VARDIR, "keys", "secret")
PUBLIC = os.path.join(VARDIR, "keys", "public.key")
RECORD_XSD = os.path.join(REPO, "schemas", "record.xsd")
PASS = b"synthetic passphrase for the admin tests"
HEAD_RE = re.compile(r"(\d+):([0-9a-f]{64})")


def ctl(*args, stdin=b"", env=None, timeout=300):
    """intakectl -c CONF ARGS; returns (exit status, stdout, stderr)."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([INTAKECTL, "-c", CONF, *args], input=stdin, env=e,
                       capture_output=True, timeout=timeout, cwd="/")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def ctl_ok(*args, **kw):
    rc, out, err = ctl(*args, **kw)
    expect(rc == 0, "intakectl %s: exit %d: %s %s" % (" ".join(args), rc, out, err))
    return out


def _name():
    return "".join(random.choice(string.ascii_lowercase) for _ in range(8)).capitalize()


def _canary():
    return "Adm%sQz" % "".join(random.choice(string.ascii_letters) for _ in range(16))


def _submit(given, family, dob, canary=None):
    """One intake of that patient (a guardian signs for a minor); its id."""
    pairs = canary_intake(canary) if canary else valid_intake()
    pairs = with_answers(pairs, [("given_name", given), ("family_name", family),
                                 ("date_of_birth", dob),
                                 ("signature_name", "%s %s" % (given, family))])
    born = datetime.date.fromisoformat(dob)
    today = clinic_today()
    if (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) < 18:
        pairs = with_answers(pairs, [("guardian_name", "Pat %s" % family),
                                     ("guardian_relationship", "parent"),
                                     ("signature_name", "Pat %s" % family)])
    r, sid = post_xml(pairs)
    expect(r.status == 201, "intake of %s %s: %d %r" % (given, family, r.status, r.body[:300]))
    return int(psql("SELECT id FROM intakes WHERE submission_id = %s" % sql_literal(sid))[0][0])


def _key_id_of(path):
    with open(path) as f:
        return f.read().split()[1]


# ---- the audit chain -------------------------------------------------------

def _head():
    out = ctl_ok("audit-head")
    m = HEAD_RE.search(out)
    expect(m, "audit-head printed no ID:HASH: %r" % out)
    return "%s:%s" % m.groups()


def _as_owner_unprotected(sql):
    """Change the log as its owner with the append-only triggers off: what
    an attacker holding the database would do. The triggers come back."""
    psql("BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; %s; "
         "ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT" % sql)


def _verify(*args):
    rc, out, err = ctl("audit-verify", *args)
    return rc, out + err


@test
def audit_head_and_verify_on_an_intact_log():
    for i in range(6):
        psql("SELECT audit_append('it-admin', 'view', 'intake:%d', '127.0.0.1')" % (i + 1))
    head = _head()
    rc, out = _verify("--head", head)
    expect(rc == 0, "an intact log fails: %s" % out)
    expect("intact" in out, "no verdict: %s" % out)
    # A head kept earlier stays good while the log grows.
    psql("SELECT audit_append('it-admin', 'view', NULL, NULL)")
    rc, out = _verify("--head", head)
    expect(rc == 0, "a kept head fails after an append: %s" % out)
    rc, out = _verify("--head", head.split(":")[1])
    expect(rc == 0, "a kept hash alone fails: %s" % out)
    rc, out = _verify("--head", "nonsense")
    expect(rc == 2, "a malformed --head: exit %d" % rc)


@test
def audit_verify_catches_an_edited_row():
    head = _head()
    last = int(head.split(":")[0])
    victim = last - 3
    orig = psql("SELECT target FROM audit_log WHERE id = %d" % victim)[0][0]
    _as_owner_unprotected("UPDATE audit_log SET target = 'intake:999999' WHERE id = %d" % victim)
    try:
        rc, out = _verify("--head", head)
        expect(rc == 1, "an edited row passes: %s" % out)
        expect("broken at row %d" % victim in out and "changed" in out,
               "the edited row is not the one named: %s" % out)
    finally:
        _as_owner_unprotected("UPDATE audit_log SET target = %s WHERE id = %d" % (
            sql_literal(orig) if orig != "" else "NULL", victim))
    rc, out = _verify("--head", head)
    expect(rc == 0, "the restored log fails: %s" % out)


@test
def audit_verify_catches_a_deleted_row():
    head = _head()
    victim = int(head.split(":")[0]) - 2
    psql("DROP TABLE IF EXISTS it_audit_saved; CREATE TABLE it_audit_saved AS "
         "SELECT * FROM audit_log WHERE id = %d" % victim)
    _as_owner_unprotected("DELETE FROM audit_log WHERE id = %d" % victim)
    try:
        rc, out = _verify()
        expect(rc == 1, "a row deleted in the middle passes: %s" % out)
        expect("broken at row %d" % victim in out and "missing" in out,
               "the deleted row is not the one named: %s" % out)
    finally:
        _as_owner_unprotected("INSERT INTO audit_log SELECT * FROM it_audit_saved")
        psql("DROP TABLE it_audit_saved")
    rc, out = _verify("--head", head)
    expect(rc == 0, "the restored log fails: %s" % out)


@test
def audit_verify_catches_a_truncated_tail():
    head = _head()
    last = int(head.split(":")[0])
    cut = last - 1          # rows cut..last go
    psql("DROP TABLE IF EXISTS it_audit_saved; CREATE TABLE it_audit_saved AS "
         "SELECT * FROM audit_log WHERE id >= %d" % cut)
    _as_owner_unprotected("DELETE FROM audit_log WHERE id >= %d" % cut)
    try:
        # The head row still names the last row: seen without --head.
        rc, out = _verify()
        expect(rc == 1, "a deleted tail passes while the head row remembers it: %s" % out)
        expect("deleted from the end" in out, "not called a deleted tail: %s" % out)
        # Covering the tracks: the head row rewound too. Only the head
        # kept elsewhere shows it now.
        psql("UPDATE audit_head SET id = %d, hash = (SELECT hash FROM audit_log WHERE id = %d)"
             % (cut - 1, cut - 1))
        rc, out = _verify()
        expect(rc == 0, "the rewound log should look whole without --head: %s" % out)
        rc, out = _verify("--head", head)
        expect(rc == 1, "a truncated tail passes against the kept head: %s" % out)
        expect("deleted from the end" in out, "not called a deleted tail: %s" % out)
        rc, out = _verify("--head", head.split(":")[1])
        expect(rc == 1, "a truncated tail passes against the kept hash: %s" % out)
    finally:
        _as_owner_unprotected("INSERT INTO audit_log SELECT * FROM it_audit_saved")
        psql("UPDATE audit_head SET id = %d, hash = (SELECT hash FROM audit_log WHERE id = %d)"
             % (last, last))
        psql("DROP TABLE it_audit_saved")
    rc, out = _verify("--head", head)
    expect(rc == 0, "the restored log fails: %s" % out)


# ---- export ----------------------------------------------------------------

@test
def export_one_patient_valid_against_record_xsd():
    given, family, canary = _name(), _name(), _canary()
    a = _submit(given, family, "1975-04-03", canary)
    # The same patient, written otherwise (api.md: normalised names).
    b = _submit("  %s " % given.upper(), family.lower(), "1975-04-03")
    other = _submit(given, family, "1975-04-04")
    d = tempfile.mkdtemp(prefix="clinic-export-")
    try:
        out = os.path.join(d, "export.xml")
        before = int(psql("SELECT count(*) FROM audit_log WHERE action = 'export'")[0][0])
        ctl_ok("export", "--given", given.lower(), "--family", " %s" % family,
               "--dob", "1975-04-03", "-o", out)
        st = os.stat(out)
        expect(stat.S_IMODE(st.st_mode) == 0o600, "the export is mode %o" % stat.S_IMODE(st.st_mode))
        with open(out, "rb") as f:
            data = f.read()
        root = ET.fromstring(data)
        expect(local(root.tag) == "records", "root element %s" % root.tag)
        ids = sorted(int(r.get("intake")) for r in root if local(r.tag) == "record")
        expect(ids == sorted([a, b]), "exported intakes %r, want %r (not %d)" % (ids, [a, b], other))
        expect(canary.encode() in data, "the sensitive answers are not in the export")
        expect(b"unreadable" not in data, "a part of the export could not be read")
        p = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", RECORD_XSD, out],
                           capture_output=True, timeout=60)
        expect(p.returncode == 0, "the export is not valid against record.xsd: %s" % p.stderr[-2000:])
        rows = psql("SELECT actor, target FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1")
        expect(int(psql("SELECT count(*) FROM audit_log WHERE action = 'export'")[0][0]) == before + 1,
               "the export was not audited")
        expect(rows[0][1] == "intakes:%d,%d" % tuple(sorted([a, b])), "audit target %r" % (rows[0],))
        expect(canary not in rows[0][1], "the audit row holds an answer")
        # Never replaces a file; unknown patient; a bad date.
        rc, _, err = ctl("export", "--given", given, "--family", family, "--dob", "1975-04-03", "-o", out)
        expect(rc == 1 and "exists" in err, "an export replaced a file: %d %s" % (rc, err))
        rc, _, _ = ctl("export", "--given", given, "--family", family, "--dob", "1975-04-05")
        expect(rc == 1, "an unknown patient: exit %d" % rc)
        rc, _, _ = ctl("export", "--given", given, "--family", family, "--dob", "1975-02-30")
        expect(rc == 2, "an impossible date of birth: exit %d" % rc)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- key backup and restore ------------------------------------------------

@test
def key_backup_restore_into_empty_dir_and_a_record_still_decrypts():
    given, family, canary = _name(), _name(), _canary()
    _submit(given, family, "1988-09-12", canary)
    work = tempfile.mkdtemp(prefix="clinic-keys-")
    restored = tempfile.mkdtemp(prefix="clinic-restored-")   # empty, 0700
    try:
        backup = os.path.join(work, "keys.cib")
        rc, _, err = ctl("key-backup", backup, stdin=b"short\n")
        expect(rc == 1 and not os.path.exists(backup), "a short passphrase was taken: %s" % err)
        out = ctl_ok("key-backup", backup, stdin=PASS + b"\n")
        expect(stat.S_IMODE(os.stat(backup).st_mode) == 0o600, "the backup is not mode 0600")
        with open(backup, "rb") as f:
            blob = f.read()
        for name in os.listdir(SECRET):
            with open(os.path.join(SECRET, name)) as f:
                sk = f.read().split()[3]
            expect(sk.encode() not in blob and bytes.fromhex(sk) not in blob,
                   "a secret key is in the backup in clear")
        rc, _, _ = ctl("key-backup", backup, stdin=PASS + b"\n")
        expect(rc == 1, "a backup replaced a file")

        env = {"CLINIC_SECRET_KEYS": restored}
        rc, _, err = ctl("key-restore", backup, stdin=b"not the passphrase at all\n", env=env)
        expect(rc == 1 and "passphrase" in err, "a wrong passphrase: %d %s" % (rc, err))
        expect(os.listdir(restored) == [], "a failed restore left files")
        out = ctl_ok("key-restore", backup, stdin=PASS + b"\n", env=env)
        expect(sorted(os.listdir(restored)) == sorted(os.listdir(SECRET)),
               "restored %r, the keys are %r" % (os.listdir(restored), os.listdir(SECRET)))
        for name in os.listdir(restored):
            p = os.path.join(restored, name)
            st = os.stat(p)
            expect(stat.S_IMODE(st.st_mode) == 0o600, "%s is mode %o" % (name, st.st_mode))
            if IS_ROOT:
                expect(pwd.getpwuid(st.st_uid).pw_name == "clinic-staff",
                       "%s is not the clinic worker's" % name)
            with open(p, "rb") as f, open(os.path.join(SECRET, name), "rb") as g:
                expect(f.read() == g.read(), "%s differs from the original" % name)
        # A record opens with the restored keys alone.
        out_xml = os.path.join(work, "export.xml")
        ctl_ok("export", "--given", given, "--family", family, "--dob", "1988-09-12",
               "-o", out_xml, env=env)
        with open(out_xml, "rb") as f:
            data = f.read()
        expect(canary.encode() in data and b"unreadable" not in data,
               "the record does not decrypt with the restored keys")
        # Restoring again changes nothing.
        out = ctl_ok("key-restore", backup, stdin=PASS + b"\n", env=env)
        expect("already" in out, "a second restore: %s" % out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(restored, ignore_errors=True)


# ---- retention -------------------------------------------------------------

DUE_RE = re.compile(r"^due: (.+?), (.+?), born (\S+): .*; intakes ([\d,]+); appointments (\S+)$", re.M)


def _due(out):
    return {(m.group(1), m.group(2)): (m.group(4), m.group(5)) for m in DUE_RE.finditer(out)}


def _received(intake, when):
    """Set an intake's received_at to a clinic-local date (noon), or an SQL
    expression."""
    if isinstance(when, datetime.date):
        when = "(%s::date + time '12:00') AT TIME ZONE 'America/Toronto'" % sql_literal(when.isoformat())
    psql("UPDATE intakes SET received_at = %s WHERE id = %d" % (when, intake))


def _appointment(intake, when, cancelled=False):
    appt = int(psql("INSERT INTO appointments (patient_name, starts_at, therapist, modality, cancelled_at)"
                    " VALUES ('Someone', %s, 'it-admin', 'relaxation', %s) RETURNING id"
                    % (when, "now()" if cancelled else "NULL"))[0][0])
    psql("UPDATE intakes SET appointment_id = %d WHERE id = %d" % (appt, intake))
    return appt


def _years_ago(today, n, days=0):
    try:
        d = today.replace(year=today.year - n)
    except ValueError:          # 29 February
        d = today.replace(year=today.year - n, day=28)
    return d - datetime.timedelta(days=days)


@test
def purge_removes_exactly_what_is_due():
    today = clinic_today()
    fam = _name()
    P = {}

    def patient(key, given, dob, canary=None):
        P[key] = (fam, given, _submit(given, fam, dob, canary))
        return P[key][2]

    # Due: an adult seen (intake only) 11 years ago, with flags and a
    # review decision.
    i = patient("adult_old", "Olda", "1970-01-01", _canary())
    _received(i, "now() - interval '11 years'")
    staff = int(psql("INSERT INTO staff (username, display_name, role, password_hash)"
                     " VALUES (%s, 'IT', 'therapist', '$argon2id$it') RETURNING id"
                     % sql_literal("it-" + fam.lower()))[0][0])
    psql("INSERT INTO flag_decisions (flag_id, intake_id, staff_id, decision)"
         " SELECT f.id, f.intake_id, %d, 'defer' FROM flags AS f WHERE f.intake_id = %d" % (staff, i))
    expect(int(psql("SELECT count(*) FROM flag_decisions WHERE intake_id = %d" % i)[0][0]) > 0,
           "the canary intake raised no flag to decide on")
    # Kept: an intake 11 years ago, but an appointment 5 years ago.
    i = patient("adult_appt_recent", "Appr", "1970-01-01")
    _received(i, "now() - interval '11 years'")
    P["adult_appt_recent"] += (_appointment(i, "now() - interval '5 years'"),)
    # Due: intake 12 years ago tied to an appointment 11 years ago.
    i = patient("adult_appt_old", "Appo", "1965-07-07")
    _received(i, "now() - interval '12 years'")
    P["adult_appt_old"] += (_appointment(i, "now() - interval '11 years'"),)
    # Due: the only recent appointment was cancelled: the intake counts.
    i = patient("adult_cancelled", "Canc", "1960-03-03")
    _received(i, "now() - interval '11 years'")
    P["adult_cancelled"] += (_appointment(i, "now() - interval '2 years'", cancelled=True),)
    # Retention ends today: kept. It ended yesterday: due.
    if not (today.month == 2 and today.day == 29):
        i = patient("ends_today", "Tday", "1950-05-05")
        _received(i, _years_ago(today, 10))
    i = patient("ended_yesterday", "Yday", "1950-05-05")
    _received(i, _years_ago(today, 10, days=1))
    # A minor seen 11 years ago: kept until 10 years after turning 18.
    i = patient("minor_kept", "Mink", "%d-06-01" % (today.year - 15))
    _received(i, "now() - interval '11 years'")
    # Born 29 February 1992, seen at 9: 18 on 1 March 2010, due since
    # 2 March 2020.
    i = patient("minor_due_feb29", "Minf", "1992-02-29")
    _received(i, datetime.date(2001, 6, 1))
    # Born 29 February 2012, seen at 3: kept until 1 March 2040.
    i = patient("minor_kept_feb29", "Minl", "2012-02-29")
    _received(i, "now() - interval '11 years'")

    due = {"adult_old", "adult_appt_old", "adult_cancelled", "ended_yesterday", "minor_due_feb29"}
    want = {(P[k][0], P[k][1]): P[k][2] for k in due}
    docs = psql("SELECT count(*) FROM consent_documents")[0][0]

    rc, dry, err = ctl("purge", "--dry-run")
    expect(rc == 0, "purge --dry-run: %d %s" % (rc, err))
    listed = {k: v for k, v in _due(dry).items() if k[0] == fam}
    expect(set(listed) == set(want), "the dry run lists %r, want %r" % (sorted(listed), sorted(want)))
    for k, (ids, appts) in listed.items():
        expect(ids == str(want[k]), "%r: intakes %s, want %d" % (k, ids, want[k]))
    expect(listed[(fam, "Appo")][1] == str(P["adult_appt_old"][3]), "the old appointment is not listed")
    for k in P:
        expect(int(psql("SELECT count(*) FROM intakes WHERE id = %d" % P[k][2])[0][0]) == 1,
               "the dry run deleted %s" % k)

    audits = int(psql("SELECT count(*) FROM audit_log WHERE action = 'purge'")[0][0])
    rc, out, err = ctl("purge")
    expect(rc == 0, "purge: %d %s %s" % (rc, out, err))
    done = {k: v for k, v in _due(out).items() if k[0] == fam}
    expect(done == listed, "purge and its dry run differ: %r / %r" % (done, listed))
    for k in P:
        intake = P[k][2]
        n = int(psql("SELECT count(*) FROM intakes WHERE id = %d" % intake)[0][0])
        expect(n == (0 if k in due else 1), "%s: %d intakes left" % (k, n))
        for table in ("flags", "consents", "flag_decisions"):
            left = int(psql("SELECT count(*) FROM %s WHERE intake_id = %d" % (table, intake))[0][0])
            expect(k not in due or left == 0, "%s: %d rows of %s left" % (k, left, table))
        if len(P[k]) > 3:
            left = int(psql("SELECT count(*) FROM appointments WHERE id = %d" % P[k][3])[0][0])
            expect(left == (0 if k in due else 1), "%s: its appointment %s" % (
                k, "stayed" if left else "went"))
    expect(int(psql("SELECT count(*) FROM consents WHERE intake_id = %d" % P["minor_kept"][2])[0][0]) > 0,
           "a kept patient lost their consent record")
    expect(psql("SELECT count(*) FROM consent_documents")[0][0] == docs, "a consent text went")
    expect(int(psql("SELECT count(*) FROM audit_log WHERE action = 'purge'")[0][0]) >= audits + len(due),
           "the purge was not audited, one row per patient")
    targets = [r[0] for r in psql("SELECT target FROM audit_log WHERE action = 'purge'")]
    for k in due:
        expect(any(("intakes:%d" % P[k][2]) in t for t in targets), "no audit row for %s" % k)
    expect(not any(fam in t for t in targets), "a purge audit row names the patient")
    rc, out = _verify()
    expect(rc == 0, "the audit log after a purge: %s" % out)
    rc, again, _ = ctl("purge")
    expect(rc == 0 and not [k for k in _due(again) if k[0] == fam], "a second purge: %s" % again)


# ---- rotation (restarts the stack: last) ------------------------------------

def _blob(table, column, row):
    return bytes.fromhex(psql("SELECT encode(%s, 'hex') FROM %s WHERE id = %d" % (column, table, row))[0][0])


@test
def rotate_and_rewrap_round_trip():
    old_id = _key_id_of(PUBLIC)
    given, family, canary = _name(), _name(), _canary()
    a = _submit(given, family, "1979-11-30", canary)
    before = _blob("intakes", "answers_blob", a)
    flags = [int(r[0]) for r in psql("SELECT id FROM flags WHERE intake_id = %d ORDER BY id" % a)]
    expect(flags, "the canary intake raised no flag")
    flag_before = _blob("flags", "blob", flags[0])
    # A withdrawal note (consents refuse every other change): a sealed
    # value of another patient's intake, so that it is re-sealed too.
    holder = _submit(_name(), _name(), "1990-01-01")
    note_row = int(psql("INSERT INTO consents (intake_id, kind, consent_version, treatment, privacy,"
                        " note_blob, scope) SELECT %d, 'withdrawn', consent_version, false, false,"
                        " answers_blob, 'all' FROM intakes WHERE id = %d RETURNING id" % (holder, holder))[0][0])

    out = ctl_ok("key-rotate")
    new_id = _key_id_of(PUBLIC)
    expect(new_id != old_id, "the public key file still names %s" % old_id)
    expect("restart" in out and "intake worker" in out, "the output does not say to restart: %s" % out)
    names = sorted(os.listdir(SECRET))
    expect(names == sorted([old_id + ".key", new_id + ".key"]), "secret keys after rotation: %r" % names)
    if IS_ROOT:
        for n in names:
            expect(pwd.getpwuid(os.stat(os.path.join(SECRET, n)).st_uid).pw_name == "clinic-staff",
                   "%s is not the clinic worker's" % n)
    # Until it restarts, the intake worker seals to the key it read.
    b = _submit(_name(), _name(), "1985-01-01")
    expect(psql("SELECT encode(key_id, 'hex') FROM intakes WHERE id = %d" % b)[0][0] == old_id,
           "the running intake worker changed key without a restart")
    stack("stop")
    stack("start", "--port", str(PORT))
    c = _submit(_name(), _name(), "1985-01-02")
    expect(psql("SELECT encode(key_id, 'hex') FROM intakes WHERE id = %d" % c)[0][0] == new_id,
           "a submission after the restart is not sealed to the new key")
    expect(_blob("intakes", "answers_blob", c)[5:13].hex() == new_id, "the blob names another key")

    out = ctl_ok("key-rewrap", "--batch", "2")
    expect("re-sealed" in out, "no progress lines: %s" % out)
    for table, column in (("intakes", "answers_blob"), ("flags", "blob"), ("consents", "note_blob"),
                          ("flag_decisions", "note_blob")):
        left = psql("SELECT count(*) FROM %s WHERE %s IS NOT NULL AND substring(%s FROM 6 FOR 8) <> %s"
                    % (table, column, column, "decode(%s, 'hex')" % sql_literal(new_id)))[0][0]
        expect(left == "0", "%s.%s: %s values still sealed to another key" % (table, column, left))
    expect(psql("SELECT count(*) FROM intakes WHERE key_id <> decode(%s, 'hex')" % sql_literal(new_id))[0][0] == "0",
           "intakes.key_id not updated")
    for old, new in ((before, _blob("intakes", "answers_blob", a)),
                     (flag_before, _blob("flags", "blob", flags[0]))):
        expect(len(old) == len(new), "a re-sealed value changed length")
        expect(old[:5] == new[:5] and old[93:] == new[93:], "the payload (nonce, ciphertext) changed")
        expect(old[5:13].hex() == old_id and new[5:13].hex() == new_id, "key ids %s -> %s" % (
            old[5:13].hex(), new[5:13].hex()))
        expect(old[13:93] != new[13:93], "the data key was not re-sealed")
    expect(_blob("consents", "note_blob", note_row)[5:13].hex() == new_id, "the withdrawal note was not re-sealed")
    # Idempotent.
    out = ctl_ok("key-rewrap")
    expect("nothing to re-seal" in out and "done: 0 values" in out, "a second run re-sealed: %s" % out)
    # Consent records still refuse every other change.
    try:
        psql("UPDATE consents SET treatment = true WHERE id = %d" % note_row)
    except PsqlError as e:
        expect("append-only" in str(e), "unexpected error: %s" % e)
    else:
        raise AssertionError("a consent record could be changed")

    # The old record opens with the new key alone.
    only_new = tempfile.mkdtemp(prefix="clinic-newkey-")
    d = tempfile.mkdtemp(prefix="clinic-export-")
    try:
        shutil.copy2(os.path.join(SECRET, new_id + ".key"), only_new)
        if IS_ROOT:
            u = pwd.getpwnam("clinic-staff")
            for p in (only_new, os.path.join(only_new, new_id + ".key")):
                os.chown(p, u.pw_uid, u.pw_gid)
        out_xml = os.path.join(d, "a.xml")
        ctl_ok("export", "--given", given, "--family", family, "--dob", "1979-11-30", "-o", out_xml,
               env={"CLINIC_SECRET_KEYS": only_new})
        with open(out_xml, "rb") as f:
            data = f.read()
        expect(canary.encode() in data and b"unreadable" not in data,
               "the re-sealed record does not open with the new key alone")
    finally:
        shutil.rmtree(only_new, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
