"""A crash takes no other request with it; PostgreSQL going away is a 503
that loses nothing (architecture.md "Processes", api.md "Failures").
These tests disturb the stack, so they run last."""

import signal

from harness import *  # noqa: F401,F403


@test
def killed_child_is_replaced():
    wait_for(lambda: worker_pids()[1], 10)
    master, children = worker_pids()
    expect(master and children, "no intake-worker children found")
    victim = children[0]
    os.kill(victim, signal.SIGKILL)
    expect(wait_for(lambda: victim not in worker_pids()[1], 5), "the killed child is still there")
    back = wait_for(lambda: len(worker_pids()[1]) >= len(children), 10)
    expect(back, "the master did not replace the child: %d of %d" % (len(worker_pids()[1]), len(children)))
    for _ in range(2 * len(children) + 2):
        r = http("GET", "/intake/")
        expect(r.status == 200, "GET /intake/ after the kill: %d" % r.status)
    r, sid = post_form(valid_intake())
    expect(r.status == 303, "POST after the kill: %d" % r.status)
    expect(worker_pids()[0] == master, "the master changed")


@test
def postgresql_down_is_503_and_nothing_is_lost():
    pairs = valid_intake()
    sid = new_sid()
    stack("pg", "stop")
    try:
        r, _ = post_form(pairs, sid=sid)
        expect(r.status == 503, "form post with PostgreSQL stopped: %d" % r.status)
        expect((r.header("Retry-After") or "").strip(), "503 without Retry-After")
        expect(r.content_type == "text/html", "Content-Type %r" % r.header("Content-Type"))
        page = parse_page(r.text)
        check_kept(page, pairs, "503 form")
        expect(page.value("submission_id") == sid, "the 503 form changed the submission_id: "
               "a retry must be the same submission")
        rx, _ = post_xml(pairs)
        expect(rx.status == 503, "XML post with PostgreSQL stopped: %d" % rx.status)
        expect((rx.header("Retry-After") or "").strip(), "XML 503 without Retry-After")
        h = http("GET", "/intake/healthz")
        expect(h.status == 503, "healthz with PostgreSQL stopped: %d" % h.status)
        check_security_headers(r, "503")
    finally:
        stack("pg", "start")
    ok = wait_for(lambda: http("GET", "/intake/healthz").status == 200, 20, 0.5)
    expect(ok, "healthz is not 200 after PostgreSQL came back")
    r2, _ = post_form(pairs, sid=sid)
    expect(r2.status == 303, "the same submission after PostgreSQL came back: %d" % r2.status)
    expect(count_rows(sid) == 1, "expected one stored intake")
