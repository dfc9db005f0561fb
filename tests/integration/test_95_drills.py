"""Failure drills (architecture.md "Processes", api.md "Failures"), most
under load from other threads posting valid intakes in a loop:

- a client that goes away mid-response leaves the worker serving;
- a key file missing or open to others stops a worker at start, with a
  message naming the file;
- a statement stuck on a lock is a 503 well before nginx's time-out;
- PostgreSQL down at submit is a 503 that keeps the form;
- a worker child killed mid-load fails only its own request, and is
  replaced;
- PostgreSQL restarted mid-load: every success has its row, no duplicate,
  only 503s while it is down, and the service comes back on its own.

They disturb the stack, so they run last (after test_90)."""

import pwd
import select
import shutil
import signal
import tempfile

from harness import *  # noqa: F401,F403
import harness

OK = (201, 303)
FORM = "application/x-www-form-urlencoded"


def _children_back(n, timeout=15):
    return wait_for(lambda: len(worker_pids()[1]) >= n, timeout)


def _healthy():
    expect(wait_for(lambda: http("GET", "/intake/healthz").status == 200, 30, 0.5),
           "healthz is not 200")
    r, sid = post_form(valid_intake())
    expect(r.status == 303 and count_rows(sid) == 1, "a valid intake afterwards: %d" % r.status)


def _run_load(during, kinds=("form", "xml", "form"), warmup=1.5, cooldown=2.0):
    """Start loaders, let them run, call during(), run on, stop; returns
    (every result, what during() returned)."""
    loaders = [Loader(k, pause=0.01) for k in kinds]
    for ld in loaders:
        ld.start()
    try:
        time.sleep(warmup)
        out = during()
        time.sleep(cooldown)
    finally:
        for ld in loaders:
            ld.stop()
    results = [r for ld in loaders for r in ld.results]
    expect(results, "the loaders sent nothing")
    return results, out


def _resend_until_stored(sids):
    """Send each submission again (a patient pressing "send" once more): it
    is stored exactly once."""
    for sid in sids:
        r = http("POST", "/intake/submissions", form_body(valid_intake(), sid),
                 {"Content-Type": FORM}, timeout=40)
        expect(r.status == 303, "resending %s: %d" % (sid, r.status))
    rows = rows_by_sid(sids)
    dup = {s: n for s, n in rows.items() if n != 1}
    expect(not dup, "after resending, rows per submission: %r" % dup)


# ---- a client that goes away --------------------------------------------------

def _abort(data, read=0, rst=True):
    s = socket.create_connection((HOST, PORT), timeout=10)
    try:
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(data)
        if read:
            s.recv(read)
    except OSError:
        pass
    finally:
        s.close()


def _fcgi(params, body):
    """One FastCGI request (a responder, as nginx sends it)."""
    import struct

    def rec(kind, data):
        return struct.pack(">BBHHBB", 1, kind, 1, len(data), 0, 0) + data

    def nv(k, v):
        k, v = k.encode(), v.encode()
        ln = lambda n: bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)  # noqa: E731
        return ln(len(k)) + ln(len(v)) + k + v
    out = rec(1, struct.pack(">HB5x", 1, 0))
    out += rec(4, b"".join(nv(k, v) for k, v in params.items())) + rec(4, b"")
    for i in range(0, len(body), 65535):
        out += rec(5, body[i:i + 65535])
    return out + rec(5, b"")


def _fcgi_abort(data, read):
    """Straight to the worker's socket, as nginx would be: send a request,
    read a little of the answer, reset the connection."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect(os.path.join(VARDIR, "run", "intake.sock"))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(data)
        if read:
            s.recv(read)
    except OSError:
        pass
    finally:
        s.close()


@test
def client_disconnecting_mid_response_leaves_the_worker_serving():
    master, children = worker_pids()
    since = log_offset("intake_worker")
    # A 422 page of about 550 KB (every '"' kept, escaped): more than
    # nginx buffers, so the worker may still be writing when the client goes.
    big = form_body(with_answers(valid_intake(), [("other_health_notes", '"' * 85000)]))
    post = (b"POST /intake/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"\r\n" % (FORM.encode(), len(big)) + big)
    half = post[: len(post) // 2]
    get = b"GET /intake/ HTTP/1.1\r\nHost: x\r\n\r\n"
    jobs = [(post, 1024, True), (post, 1, False), (post, 0, True), (half, 0, True), (get, 100, True)] * 6
    # ... and nginx itself going away mid-answer, at the worker's socket.
    fcgi = _fcgi({"REQUEST_METHOD": "POST", "DOCUMENT_URI": "/intake/submissions", "REQUEST_URI":
                  "/intake/submissions", "QUERY_STRING": "", "CONTENT_TYPE": FORM,
                  "CONTENT_LENGTH": str(len(big)), "SERVER_PROTOCOL": "HTTP/1.1",
                  "REMOTE_ADDR": "127.0.0.1"}, big)

    def worker(part):
        for data, read, rst in part:
            _abort(data, read, rst)
        for _ in range(4):
            _fcgi_abort(fcgi, 512)
    threads = [threading.Thread(target=worker, args=(jobs[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    time.sleep(1)
    m2, c2 = worker_pids()
    expect(m2 == master, "the intake worker's master changed")
    expect(set(c2) == set(children), "worker children died: %r -> %r" % (children, c2))
    log = log_since("intake_worker", since)
    expect(b"not delivered" in log, "the worker never met a client gone mid-answer")
    for bad in (b"killed by signal", b"exited with"):
        expect(bad not in log, "the intake worker log says %r" % bad)
    _healthy()


# ---- key files -------------------------------------------------------------------

def _start_refused(binary, env_extra, want, what):
    """Start a worker (not -t: the real start) with configuration
    overrides and its own socket; it must exit non-zero within 20 s with a
    message holding every item of want (a string, or a tuple of which one
    will do)."""
    tmp = tempfile.mkdtemp(prefix="clinic-drill-")
    os.chmod(tmp, 0o755)
    env = dict(os.environ)
    env.update({"CLINIC_INTAKE_SOCKET": os.path.join(tmp, "i.sock"),
                "CLINIC_CLINIC_SOCKET": os.path.join(tmp, "c.sock")})
    env.update(env_extra)
    p = subprocess.Popen([os.path.join(VARDIR, "share", "bin", binary), "-c",
                          os.path.join(VARDIR, "etc", "clinic.conf")], env=env, cwd="/",
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError("%s: %s started anyway" % (what, binary))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = out.decode("utf-8", "replace")
    expect(p.returncode != 0, "%s: %s exited 0: %s" % (what, binary, text))
    for w in want:
        alts = w if isinstance(w, tuple) else (w,)
        expect(any(a in text for a in alts), "%s: the message does not say %r: %s" % (
            what, w, text.strip()[:400]))


@test
def a_worker_with_a_key_file_missing_or_open_to_others_refuses_to_start():
    keys = os.path.join(VARDIR, "keys")
    base = tempfile.mkdtemp(prefix="clinic-keys-")
    os.chmod(base, 0o755)
    try:
        # intake worker: the public key, the token secret
        _start_refused("intake-worker", {"CLINIC_PUBLIC_KEY": os.path.join(base, "none.key")},
                       ["none.key"], "public key missing")
        pub = os.path.join(base, "public.key")
        shutil.copy(os.path.join(keys, "public.key"), pub)
        os.chmod(pub, 0o666)
        _start_refused("intake-worker", {"CLINIC_PUBLIC_KEY": pub}, ["public.key"], "public key writable by all")
        _start_refused("intake-worker", {"CLINIC_INTAKE_SECRET": os.path.join(base, "none.secret")},
                       ["none.secret"], "token secret missing")
        sec = os.path.join(base, "intake.secret")
        shutil.copy(os.path.join(keys, "intake.secret"), sec)
        os.chmod(sec, 0o644)
        _start_refused("intake-worker", {"CLINIC_INTAKE_SECRET": sec}, ["intake.secret", "other users"],
                       "token secret readable by all")
        # clinic worker: its secret keys, read as the user it runs as
        if os.path.exists(os.path.join(VARDIR, "share", "bin", "clinic-worker")):
            src = os.path.join(keys, "secret")
            st = os.stat(src)
            empty = os.path.join(base, "empty")
            os.mkdir(empty, 0o700)
            os.chown(empty, st.st_uid, st.st_gid)
            _start_refused("clinic-worker", {"CLINIC_SECRET_KEYS": empty}, [empty], "no secret key")
            _start_refused("clinic-worker", {"CLINIC_SECRET_KEYS": os.path.join(base, "nowhere")},
                           ["nowhere"], "secret key directory missing")
            open_dir = os.path.join(base, "readable")
            shutil.copytree(src, open_dir)
            for root, _, files in os.walk(open_dir):
                os.chown(root, st.st_uid, st.st_gid)
                for f in files:
                    os.chown(os.path.join(root, f), st.st_uid, st.st_gid)
                    os.chmod(os.path.join(root, f), 0o644)
            os.chmod(open_dir, 0o700)
            names = [f for f in os.listdir(open_dir) if f.endswith(".key")]
            expect(names, "no key file to copy in %s" % src)
            _start_refused("clinic-worker", {"CLINIC_SECRET_KEYS": open_dir}, [tuple(names), "other users"],
                           "secret key readable by all")
            if IS_ROOT:
                owner = pwd.getpwnam("clinic-intake")
                for f in names:
                    os.chmod(os.path.join(open_dir, f), 0o600)
                    os.chown(os.path.join(open_dir, f), owner.pw_uid, owner.pw_gid)
                _start_refused("clinic-worker", {"CLINIC_SECRET_KEYS": open_dir}, [tuple(names)],
                               "secret key owned by another user")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    # The running stack never noticed.
    expect(http("GET", "/intake/healthz").status == 200, "healthz after the key drills")
    if os.path.exists(os.path.join(VARDIR, "share", "bin", "clinic-worker")):
        expect(http("GET", "/clinic/login").status == 200, "the clinic worker after the key drills")


# ---- a statement stuck on a lock -------------------------------------------------

@test
def a_statement_stuck_on_a_lock_is_a_503_well_before_nginx_gives_up():
    pairs = valid_intake()
    sid = new_sid()
    p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", harness.PGHOST,
                          "-U", "clinic_owner", "-d", "clinic"], cwd="/", text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        p.stdin.write("BEGIN;\nLOCK TABLE %s IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n" % INTAKES_TABLE)
        p.stdin.flush()
        ready, _, _ = select.select([p.stdout], [], [], 20)
        line = p.stdout.readline() if ready else ""
        expect("locked" in line, "could not lock %s: %r" % (INTAKES_TABLE, line))
        t0 = time.time()
        r = http("POST", "/intake/submissions", form_body(pairs, sid),
                 {"Content-Type": FORM, "Accept": "text/html"}, timeout=60)
        dt = time.time() - t0
        expect(r.status == 503, "a form post while %s is locked: %d after %.1f s" % (INTAKES_TABLE, r.status, dt))
        expect(dt < 20, "the 503 came after %.1f s: nginx gives up at 30" % dt)
        expect((r.header("Retry-After") or "").strip(), "503 without Retry-After")
        check_kept(parse_page(r.text), pairs, "the 503 form")
        check_security_headers(r, "503 (lock)")
        t0 = time.time()
        rx = http("POST", "/intake/submissions", xml_body(pairs),
                  {"Content-Type": "application/xml", "Accept": "application/xml"}, timeout=60)
        expect(rx.status == 503 and time.time() - t0 < 20, "an XML post while locked: %d after %.1f s"
               % (rx.status, time.time() - t0))
    finally:
        try:
            p.stdin.write("ROLLBACK;\n\\q\n")
            p.stdin.flush()
            p.communicate(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.communicate()
    r, _ = post_form(pairs, sid=sid)
    expect(r.status == 303, "the same intake once the lock is gone: %d" % r.status)
    expect(count_rows(sid) == 1, "expected one stored intake")


# ---- PostgreSQL down at submit -----------------------------------------------------

@test
def postgresql_down_at_submit_is_a_503_that_keeps_the_form():
    pairs = canary_intake("drill")
    sid = new_sid()
    r0, sid0 = post_form(valid_intake())
    expect(r0.status == 303, "an intake before the drill: %d" % r0.status)
    receipt = receipt_path(r0)
    stack("pg", "stop")
    try:
        for _ in range(3):  # on more than one child
            r, _ = post_form(pairs, sid=sid)
            expect(r.status == 503, "form post with PostgreSQL down: %d" % r.status)
            expect((r.header("Retry-After") or "").strip(), "503 without Retry-After")
            page = parse_page(r.text)
            check_kept(page, pairs, "the 503 form")
            expect(page.value("submission_id") == sid, "the 503 form changed the submission_id")
            check_security_headers(r, "503")
        rx, _ = post_xml(pairs, sid=sid)
        expect(rx.status == 503, "XML post with PostgreSQL down: %d" % rx.status)
        expect(local(xml_root(rx).tag) == "errors", "the XML 503 is not an <errors> document")
        g = http("GET", receipt)
        expect(g.status == 503, "a receipt with PostgreSQL down: %d" % g.status)
        f = http("GET", "/intake/")
        expect(f.status in (200, 503), "the form with PostgreSQL down: %d" % f.status)
        expect(http("GET", "/intake/healthz").status == 503, "healthz with PostgreSQL down")
    finally:
        stack("pg", "start")
    expect(wait_for(lambda: http("GET", "/intake/healthz").status == 200, 30, 0.5),
           "healthz is not back")
    r, _ = post_form(pairs, sid=sid)
    expect(r.status == 303, "the kept form sent again: %d" % r.status)
    expect(count_rows(sid) == 1, "expected one stored intake")


# ---- a worker child killed mid-load ---------------------------------------------------

@test
def a_worker_child_killed_mid_load_fails_only_its_request():
    master, children = worker_pids()
    expect(children, "no worker children")
    victim = {}

    def kill():
        kids = worker_pids()[1]
        victim["pid"] = kids[len(kids) // 2]
        victim["at"] = time.time()
        os.kill(victim["pid"], signal.SIGKILL)
        expect(wait_for(lambda: victim["pid"] not in worker_pids()[1], 5), "the child is still there")

    results, _ = _run_load(kill, kinds=("form", "xml", "form", "xml"))
    bad = [(sid, st) for sid, st, t0, dt in results if st not in OK]
    expect(len(bad) <= 1, "%d requests failed around the kill (only the one in flight may): %r"
           % (len(bad), bad[:5]))
    for sid, st in bad:
        expect(st in (502, 503, 500), "the killed request got %r" % (st,))
    expect(_children_back(len(children)), "the child was not replaced: %d of %d" % (
        len(worker_pids()[1]), len(children)))
    expect(worker_pids()[0] == master, "the master changed")
    ok = [sid for sid, st, t0, dt in results if st in OK]
    rows = rows_by_sid(ok)
    missing = [s for s, n in rows.items() if n != 1]
    expect(not missing, "%d answered submissions without exactly one row" % len(missing))
    after = [st for sid, st, t0, dt in results if t0 > victim["at"] + 1]
    expect(after and all(st in OK for st in after), "requests after the kill failed: %r" % after[:5])
    _resend_until_stored([sid for sid, _ in bad])
    _healthy()


# ---- PostgreSQL restarted mid-load --------------------------------------------------------

@test
def postgresql_restarted_mid_load_loses_and_duplicates_nothing():
    master = worker_pids()[0]
    marks = {}
    before = count_all()

    def restart():
        marks["down"] = time.time()
        stack("pg", "stop")
        time.sleep(2.0)
        stack("pg", "start")
        marks["up"] = time.time()
        marks["back"] = wait_for(lambda: http("GET", "/intake/healthz", timeout=10).status == 200, 30, 0.2) \
            and time.time()

    results, _ = _run_load(restart, cooldown=3.0)
    expect(marks.get("back"), "the service did not come back on its own")
    expect(marks["back"] - marks["up"] < 20, "back %.1f s after PostgreSQL" % (marks["back"] - marks["up"]))
    ok = [r for r in results if r[1] in OK]
    unavailable = [r for r in results if r[1] == 503]
    other = [r for r in results if r[1] not in OK and r[1] != 503]
    expect(not other, "besides 503, the outage gave %r" % sorted({r[1] for r in other}))
    expect(unavailable, "no request met the outage (the loaders sent %d)" % len(results))
    for sid, st, t0, dt in unavailable:
        expect(t0 + dt >= marks["down"] - 0.5 and t0 <= marks["back"] + 2,
               "a 503 outside the outage (%.1f s before it)" % (marks["down"] - t0 - dt))
        expect(dt < 20, "a 503 took %.1f s" % dt)
    late = [r for r in results if r[2] > marks["back"] + 2]
    expect(late and all(r[1] in OK for r in late), "after the outage: %r" % [r[1] for r in late][:10])
    rows = rows_by_sid([r[0] for r in results])
    lost = [r[0] for r in ok if rows[r[0]] != 1]
    expect(not lost, "%d successes without exactly one row" % len(lost))
    expect(all(n <= 1 for n in rows.values()), "a submission was stored twice")
    # What a 503 left behind: nothing, or (committed as the server went
    # down) one row; either way a resend is stored once.
    expect(count_all() - before == sum(rows.values()), "rows appeared that no request made")
    _resend_until_stored([r[0] for r in unavailable][:50])
    expect(worker_pids()[0] == master, "the intake worker's master changed")
    _healthy()
