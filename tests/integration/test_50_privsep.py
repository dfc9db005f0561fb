"""Privilege separation (architecture.md): processes, files, roles."""

import pwd
import grp
import stat

from harness import *  # noqa: F401,F403


def _uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


def _need_root():
    expect(IS_ROOT, "this check needs the stack started as root (CI runs as root)")


@test
def intake_writer_cannot_read_intakes():
    try:
        psql("SELECT * FROM %s LIMIT 1" % INTAKES_TABLE, role="intake_writer")
    except PsqlError as e:
        expect("permission denied" in str(e), "unexpected error: %s" % e)
    else:
        raise AssertionError("intake_writer may SELECT from %s" % INTAKES_TABLE)
    # ... nor change or delete what is stored.
    for sql in ("DELETE FROM %s" % INTAKES_TABLE, "UPDATE %s SET %s = %s" % (
            INTAKES_TABLE, SUBMISSION_ID_COLUMN, SUBMISSION_ID_COLUMN), "TRUNCATE %s" % INTAKES_TABLE):
        try:
            psql(sql, role="intake_writer")
        except PsqlError as e:
            expect("permission denied" in str(e), "%s: unexpected error: %s" % (sql, e))
        else:
            raise AssertionError("intake_writer may run: %s" % sql)


@test
def worker_runs_as_clinic_intake():
    _need_root()
    master, children = worker_pids("intake-worker")
    expect(master, "no intake-worker pid recorded")
    want = pwd.getpwnam("clinic-intake").pw_uid
    for pid in [master] + children:
        try:
            uids = _uid_of(pid)
        except OSError:
            continue  # a parser child that just finished
        expect(uids and set(uids) == {want}, "intake-worker %d runs with uids %r, not clinic-intake" % (pid, uids))
    expect(children, "the intake worker has no children")


@test
def socket_is_0660_group_www_data():
    _need_root()
    st = os.stat(os.path.join(VARDIR, "run", "intake.sock"))
    expect(stat.S_ISSOCK(st.st_mode), "intake.sock is not a socket")
    expect(stat.S_IMODE(st.st_mode) == 0o660, "intake.sock mode %o" % stat.S_IMODE(st.st_mode))
    expect(grp.getgrgid(st.st_gid).gr_name == "www-data", "intake.sock group %d" % st.st_gid)


@test
def clinic_intake_cannot_read_the_secret_keys():
    _need_root()
    secret = os.path.join(VARDIR, "keys", "secret")
    expect(os.path.isdir(secret), "no secret key directory %s" % secret)
    for args in (["ls", secret], ["cat", os.path.join(VARDIR, "keys", "clinic.secret")]):
        p = subprocess.run(["runuser", "-u", "clinic-intake", "--"] + args, cwd="/",
                           capture_output=True, timeout=10)
        expect(p.returncode != 0, "clinic-intake can run: %s" % " ".join(args))
    for name in os.listdir(secret):
        st = os.stat(os.path.join(secret, name))
        expect(stat.S_IMODE(st.st_mode) & 0o077 == 0, "%s is readable by others" % name)
    # And the running worker holds no secret key file open.
    master, children = worker_pids("intake-worker")
    for pid in [master] + children:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            expect(not target.startswith(secret), "intake-worker %d holds %s open" % (pid, target))


@test
def public_key_readable_by_the_intake_worker():
    _need_root()
    p = subprocess.run(["runuser", "-u", "clinic-intake", "--", "test", "-r",
                        os.path.join(VARDIR, "keys", "public.key")], cwd="/", timeout=10)
    expect(p.returncode == 0, "clinic-intake cannot read the public key")


@test
def postgresql_runs_as_clinic_db_on_a_unix_socket_only():
    _need_root()
    rows = psql("SELECT setting FROM pg_settings WHERE name = 'listen_addresses' AND setting <> ''")
    expect(not rows, "PostgreSQL listens on TCP: %r" % rows)
    with open(os.path.join(VARDIR, "pg", "postmaster.pid")) as f:
        pid = int(f.readline())
    want = pwd.getpwnam("clinic-db").pw_uid
    expect(set(_uid_of(pid)) == {want}, "postgres runs as %r" % _uid_of(pid))
    for setting in ("fsync", "synchronous_commit"):
        v = psql("SHOW %s" % setting)[0][0]
        expect(v == "on", "%s is %s" % (setting, v))
