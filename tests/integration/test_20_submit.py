"""Accepted submissions, receipts, idempotency and conflicts (api.md)."""

from harness import *  # noqa: F401,F403

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _xml_receipt(path):
    r = http("GET", path, headers={"Accept": "application/xml"})
    expect(r.status == 200, "GET %s (Accept: application/xml): %d" % (path, r.status))
    expect(r.content_type in ("application/xml", "text/xml"), "Content-Type %r" % r.header("Content-Type"))
    root = xml_root(r)
    expect(local(root.tag) == "receipt", "root element %s" % root.tag)
    return root


def _check_receipt_attrs(root):
    ref, received = root.get("reference"), root.get("received")
    expect(ref and ref.strip(), "receipt has no reference")
    expect(received and RFC3339.match(received), "received %r is not an RFC 3339 time" % received)
    return ref


@test
def form_post_redirects_to_a_receipt():
    r, sid = post_form(valid_intake())
    expect(r.status == 303, "valid form post: %d %r" % (r.status, r.text[:300]))
    path = receipt_path(r)
    expect(path.startswith("/intake/"), "receipt %s is not under /intake/" % path)
    expect(sid not in path and sid.replace("-", "") not in path,
           "the receipt path holds the client's submission_id: %s" % path)
    token = max(path.split("/"), key=len)
    expect(len(token) >= 22, "the receipt path holds no unguessable token: %s" % path)
    expect(count_rows(sid) == 1, "expected one stored intake for %s" % sid)


@test
def html_receipt_shows_reference_and_no_health_answer():
    pairs = valid_intake()
    r, sid = post_form(pairs)
    expect(r.status == 303, "valid form post: %d" % r.status)
    path = receipt_path(r)
    h = http("GET", path, headers={"Accept": "text/html"})
    expect(h.status == 200, "GET receipt: %d" % h.status)
    expect(h.content_type == "text/html", "Content-Type %r" % h.header("Content-Type"))
    ref = _check_receipt_attrs(_xml_receipt(path))
    page = parse_page(h.text)
    expect(ref in page.text, "the HTML receipt does not show the reference %r" % ref)
    answers = dict(pairs)
    for q in SENSITIVE_TEXT + ["pain_intensity"]:
        if q in answers and len(answers[q]) > 3:
            expect(answers[q] not in h.text, "the receipt shows the answer to %s" % q)
    expect(page.alerts == 0, "a receipt without urgent flags has a role=alert element")
    expect(not page.controls_named("reason_for_visit"), "the receipt holds form fields")


@test
def receipt_of_an_unknown_token_is_404():
    r, _ = post_form(valid_intake())
    expect(r.status == 303, "valid form post: %d" % r.status)
    path = receipt_path(r)
    token = max(path.split("/"), key=len)
    other = path.replace(token, random_token()[: len(token)])
    g = http("GET", other)
    expect(g.status == 404, "GET receipt with a made-up token: %d" % g.status)


@test
def urgent_advice_on_the_receipt():
    """screening.md: one role=alert with the urgent advice; XML <advice>."""
    pairs = with_answers(valid_intake(), [("rf_bladder_bowel", "yes")])
    r, _ = post_form(pairs)
    expect(r.status == 303, "form post: %d" % r.status)
    path = receipt_path(r)
    h = http("GET", path, headers={"Accept": "text/html"})
    expect(h.status == 200, "GET receipt: %d" % h.status)
    page = parse_page(h.text)
    expect(page.alerts == 1, "expected exactly one role=alert, got %d" % page.alerts)
    root = _xml_receipt(path)
    adv = [e for e in root if local(e.tag) == "advice"]
    expect(adv, "XML receipt has no <advice>")
    a = adv[0]
    expect(a.get("severity") == "urgent", "advice severity %r" % a.get("severity"))
    expect(a.get("rule") == "cauda_equina_signs", "advice rule %r" % a.get("rule"))
    expect(a.get("timeframe") == "emergency", "advice timeframe %r" % a.get("timeframe"))


@test
def xml_post_is_201_with_location_and_receipt():
    for ctype in ("application/xml", "text/xml"):
        r, sid = post_xml(valid_intake(), content_type=ctype)
        expect(r.status == 201, "XML post (%s): %d %r" % (ctype, r.status, r.text[:300]))
        path = receipt_path(r)
        expect(sid not in path, "the receipt path holds the submission_id")
        expect(r.content_type in ("application/xml", "text/xml"), "Content-Type %r" % r.header("Content-Type"))
        root = xml_root(r)
        expect(local(root.tag) == "receipt", "root %s" % root.tag)
        ref = _check_receipt_attrs(root)
        again = _xml_receipt(path)
        expect(again.get("reference") == ref, "GET Location shows another reference")
        expect(count_rows(sid) == 1, "expected one stored intake")


@test
def empty_optional_answers_are_absent():
    pairs = with_answers(valid_intake(), [("physician_name", "   "), ("pain_onset", ""),
                                          ("emergency_contact_name", "")])
    r, sid = post_form(pairs)
    expect(r.status == 303, "form post with empty optional answers: %d" % r.status)


@test
def resend_same_answers_gives_the_same_receipt_and_one_row():
    pairs = valid_intake()
    r1, sid = post_form(pairs)
    expect(r1.status == 303, "first post: %d" % r1.status)
    # A double click: the same bytes.
    r2, _ = post_form(pairs, sid=sid)
    expect(r2.status == 303, "resend: %d" % r2.status)
    expect(receipt_path(r2) == receipt_path(r1), "resend got another receipt")
    expect(count_rows(sid) == 1, "expected one stored intake after resends")


@test
def resend_normalised_equal_answers():
    """'Same' compares the answers after normalisation, not the bytes: an
    extra empty input and another order of multi values are the same."""
    pairs = valid_intake()
    r1, sid = post_form(pairs)
    expect(r1.status == 303, "first post: %d" % r1.status)
    same = with_answers(pairs, [("pain_areas", ["shoulders", "neck"])])
    same = same + [("guardian_name", ""), ("pain_onset", "gradual")]
    same = [p for i, p in enumerate(same) if p not in same[:i]]  # no duplicate pairs
    r2, _ = post_form(same, sid=sid)
    expect(r2.status == 303, "resend with normalised-equal answers: %d" % r2.status)
    expect(receipt_path(r2) == receipt_path(r1), "normalised-equal resend got another receipt")
    expect(count_rows(sid) == 1, "expected one stored intake")


@test
def xml_resend_is_idempotent():
    pairs = valid_intake()
    r1, sid = post_xml(pairs)
    expect(r1.status == 201, "first XML post: %d" % r1.status)
    r2, _ = post_xml(pairs, sid=sid)
    expect(r2.status in (200, 201), "XML resend: %d" % r2.status)
    expect(receipt_path(r2) == receipt_path(r1), "XML resend got another receipt")
    expect(xml_root(r2).get("reference") == xml_root(r1).get("reference"), "another reference")
    expect(count_rows(sid) == 1, "expected one stored intake")


@test
def concurrent_identical_posts_store_one_row():
    for _ in range(3):
        pairs = valid_intake()
        sid = new_sid()
        barrier = threading.Barrier(2)
        results = []

        def go():
            barrier.wait()
            results.append(post_form(pairs, sid=sid)[0])

        ts = [threading.Thread(target=go) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        expect(len(results) == 2, "a request did not finish")
        expect(all(r.status == 303 for r in results), "statuses %r" % [r.status for r in results])
        expect(receipt_path(results[0]) == receipt_path(results[1]), "two receipts for one submission")
        expect(count_rows(sid) == 1, "concurrent identical posts stored %d rows" % count_rows(sid))


@test
def conflict_form_409_keeps_everything_with_a_fresh_id():
    pairs = valid_intake()
    r1, sid = post_form(pairs)
    expect(r1.status == 303, "first post: %d" % r1.status)
    changed = with_answers(pairs, [("pain_intensity", "7"), ("medications", "Vitamin D and iron.")])
    r2, _ = post_form(changed, sid=sid)
    expect(r2.status == 409, "same submission_id, other answers: %d" % r2.status)
    expect(r2.content_type == "text/html", "Content-Type %r" % r2.header("Content-Type"))
    expect("no-store" in (r2.header("Cache-Control") or ""), "409 form is not no-store")
    page = parse_page(r2.text)
    check_kept(page, changed, "409 form")
    fresh = page.value("submission_id")
    expect(is_uuid4(fresh) and fresh != sid, "409 form needs a fresh submission_id, got %r" % fresh)
    expect(count_rows(sid) == 1, "the conflicting post stored something")
    # Sending the corrected form again files a new intake.
    r3, _ = post_form(changed, sid=fresh)
    expect(r3.status == 303, "corrected resend: %d" % r3.status)
    expect(count_rows(fresh) == 1, "the corrected intake is not stored")


@test
def conflict_xml_409():
    pairs = valid_intake()
    r1, sid = post_xml(pairs)
    expect(r1.status == 201, "first XML post: %d" % r1.status)
    r2, _ = post_xml(with_answers(pairs, [("pain_intensity", "8")]), sid=sid)
    expect(r2.status == 409, "XML conflict: %d" % r2.status)
    expect(count_rows(sid) == 1, "the conflicting post stored something")


@test
def back_pain_questions_dropped_when_pain_is_only_in_the_neck():
    rf = [("rf_leg_weakness", "yes"), ("rf_cancer_history", "yes"), ("rf_weight_loss", "no"),
          ("rf_fever", "yes"), ("rf_trauma", "no"), ("rf_night_pain", "yes"),
          ("rf_immunosuppressed", "no")]
    pairs = with_answers(valid_intake(), [("pain_areas", ["neck"])] + rf)
    r, sid = post_form(pairs)
    expect(r.status == 303, "rf_* answered with neck pain only: %d %r" % (r.status, r.text[:200]))
    # Dropped, so not screened: no urgent advice on the receipt.
    root = xml_root(http("GET", receipt_path(r), headers={"Accept": "application/xml"}))
    expect(not [e for e in root if local(e.tag) == "advice"], "dropped answers raised urgent advice")
    rx, _ = post_xml(pairs)
    expect(rx.status == 201, "XML with dropped answers: %d" % rx.status)


@test
def back_pain_questions_required_with_back_pain():
    pairs = with_answers(valid_intake(), [("pain_areas", ["lower_back"])])
    r, sid = post_form(pairs)
    expect(r.status == 422, "back pain without the safety questions: %d" % r.status)
    page = parse_page(r.text)
    links = {h[1:] for h in page.links if h.startswith("#")}
    ids = {c["id"] for c in page.controls if (c["name"] or "").startswith("rf_leg_weakness")}
    expect(links & ids, "the error summary does not link rf_leg_weakness")
    expect(count_rows(sid) == 0, "a 422 stored something")


@test
def guardian_required_under_16():
    d = clinic_today()
    dob = d.replace(year=d.year - 12) if not (d.month == 2 and d.day == 29) else d.replace(year=d.year - 12, day=28)
    pairs = with_answers(valid_intake(), [("date_of_birth", dob.isoformat())])
    r, sid = post_form(pairs)
    expect(r.status == 422, "a 12-year-old without guardian: %d" % r.status)
    ok = with_answers(pairs, [("guardian_name", "Pat Tremblay"), ("guardian_relationship", "parent"),
                              ("signature_name", "Pat Tremblay")])
    r2, _ = post_form(ok)
    expect(r2.status == 303, "a 12-year-old with a guardian signing: %d %r" % (r2.status, r2.text[:200]))


@test
def signature_may_be_family_name_first_and_case_folded():
    pairs = with_answers(valid_intake(), [("signature_name", "  TREMBLAY   alex ")])
    r, _ = post_form(pairs)
    expect(r.status == 303, "signature 'TREMBLAY alex': %d" % r.status)
    bad = with_answers(valid_intake(), [("signature_name", "Somebody Else")])
    r2, _ = post_form(bad)
    expect(r2.status == 422, "signature naming someone else: %d" % r2.status)
