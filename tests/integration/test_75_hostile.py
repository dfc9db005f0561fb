"""A catalogue of hostile requests (api.md "Failures" and "Errors in
general", architecture.md): each has its expected status, is answered
within a generous bound, carries the security headers, leaks nothing and
stores nothing (the intakes table keeps its row count) unless it is a
valid intake carrying hostile text, which is stored once, encrypted.
The service is checked healthy at the end, and no document made the
parser fetch anything (every URL below points back at this nginx, so a
fetch would be in its access log).

Cases: XML (malformed, empty, deep, huge, DTDs, entities, XInclude, schema
hints, encodings), form posts (percent-encoding, UTF-8, NUL, controls,
bidi, duplicate, unknown and 10 000 fields), every rule broken, content
types, methods, transfer encodings and lengths, slow clients, SQL
injection, script in every free-text field, and /clinic/ (CSRF, session
fixation, brute force, role escalation)."""

import html as _html

from harness import *  # noqa: F401,F403
from harness import StaffClient, initial_passwords, staff_account, staff_as

BOUND = 20.0  # seconds: a generous bound on any single answer
FORM = "application/x-www-form-urlencoded"
XML = "application/xml"
LIMIT = 256 * 1024
MARK = "hostile-fetch-%s" % random_token()[:10]   # in every URL a parser might fetch
BASE = "http://%s:%d" % (HOST, PORT)
LEAKS = re.compile(rb"(root:x?:0:0|Traceback|SQLSTATE|syntax error at|/var/|/tmp/|/work/|\.c:\d+|"
                   rb"libxml|xmlParse|PG::|ERROR:\s|nginx/\d)", re.I)
CLOSED = "closed"     # the server closed the connection without an answer

_cases = []
_start = {}   # the state before the first case (hostile_000_baseline)


class Case:
    def __init__(self, name, status, stores, send, check):
        self.name, self.status, self.stores, self.send, self.check = name, status, stores, send, check


def case(name, status, stores=0, check=None):
    """Register send() as a hostile case expecting status (an int, a tuple
    of ints, or CLOSED) and `stores` new intakes."""
    def deco(send):
        _cases.append(Case(name, status, stores, send, check))
        return send
    return deco


def _run(c):
    before = count_all()
    t0 = time.time()
    r = c.send()
    dt = time.time() - t0
    expect(dt < BOUND, "%s: answered after %.1f s" % (c.name, dt))
    got = r.status if r is not None else CLOSED
    want = c.status if isinstance(c.status, tuple) else (c.status,)
    expect(got in want, "%s: expected %s, got %s" % (c.name, "/".join(map(str, want)), got))
    if r is not None:
        check_security_headers(r, "%s (%s)" % (c.name, got))
        m = LEAKS.search(r.body)
        expect(not m, "%s: the answer leaks %r" % (c.name, m.group(0) if m else ""))
        if got == 405:
            expect(r.header("Allow"), "%s: 405 without Allow" % c.name)
    if c.check is not None:
        c.check(r)
    after = count_all()
    expect(after - before == c.stores, "%s: %d intake(s) stored, expected %d" % (
        c.name, after - before, c.stores))


# ---- senders ----------------------------------------------------------------

def px(body, ctype=XML):
    return http("POST", "/intake/submissions", body, {"Content-Type": ctype, "Accept": "application/xml"},
                timeout=BOUND + 10)


def pf(body, ctype=FORM):
    h = {"Accept": "text/html"}
    if ctype is not None:
        h["Content-Type"] = ctype
    return http("POST", "/intake/submissions", body, h, timeout=BOUND + 10)


def rq(data, half_close=False):
    """Hand-made bytes; the parsed answer, or None when the server closed
    without one."""
    got = raw(data, timeout=BOUND - 5, half_close=half_close)
    if not got:
        return None
    return parse_raw(got, "RAW", data[:40].decode("latin-1"))


def post_raw(body, ctype):
    """A POST over a raw connection (nginx may answer 413 before it has
    read the whole body, and close)."""
    return rq(b"POST /intake/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
              b"Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype.encode(), len(body)) + body)


def vx(pairs=None, **kw):
    """A valid XML intake (fresh submission_id), or one with changed answers."""
    return xml_body(pairs if pairs is not None else valid_intake(), new_sid(), **kw)


def vf(pairs=None, extra=()):
    return form_body(pairs if pairs is not None else valid_intake(), new_sid(), extra=extra)


def broken(**changes):
    """A form body of the valid intake with answers changed (None removes)."""
    return vf(with_answers(valid_intake(), changes))


def _head_rest(body):
    head, rest = body.split(b"\n", 1)
    return head, rest


def _no_passwd(r):
    expect(r is None or b"root:" not in r.body, "the answer holds /etc/passwd")


def _allow(want):
    def check(r):
        expect(r is not None and want in (r.header("Allow") or ""), "Allow %r, expected %s" % (
            r.header("Allow") if r is not None else None, want))
    return check


# ---- XML --------------------------------------------------------------------

case("xml_mismatched_tag", 400)(lambda: px(vx().replace(b"</given_name>", b"</given_nam>")))
case("xml_empty_body", 400)(lambda: px(b""))
case("xml_declaration_only", 400)(lambda: px(b'<?xml version="1.0" encoding="UTF-8"?>\n'))
case("xml_truncated", 400)(lambda: px(vx()[:300]))
case("xml_two_roots", 400)(lambda: px(vx() + vx().split(b"\n", 1)[1]))
case("xml_duplicate_attribute", 400)(lambda: px(vx().replace(b"<intake ", b'<intake form_version="1" ')))
case("xml_nul_byte", 400)(lambda: px(vx().replace(b">Alex<", b">Al\x00ex<")))
case("xml_invalid_utf8", 400)(lambda: px(vx().replace(b"Hay fever", b"Hay \xff\xfe fever")))
case("xml_overlong_utf8", 400)(lambda: px(vx().replace(b"Hay fever", b"Hay \xc0\xaf fever")))
case("xml_utf8_surrogate", 400)(lambda: px(vx().replace(b"Hay fever", b"Hay \xed\xa0\x80 fever")))
case("xml_utf16", 400)(lambda: px(("\ufeff" + vx().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"'))
                                  .encode("utf-16-le")))
case("xml_declared_latin1", 400)(lambda: px(vx().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')))
case("xml_control_char_reference", 400)(lambda: px(vx().replace(b">Alex<", b">Al&#x1;ex<")))
case("xml_1_1_control_char", 400)(lambda: px(vx().replace(b'version="1.0"', b'version="1.1"')
                                             .replace(b">Alex<", b">Al&#x1;ex<")))


def _doctype(decl, ref_from=None, ref_to=None):
    head, rest = _head_rest(vx())
    if ref_from:
        rest = rest.replace(ref_from, ref_to)
    return head + b"\n" + decl + b"\n" + rest


case("dtd_internal_entity", 400)(lambda: px(_doctype(b'<!DOCTYPE intake [<!ENTITY e "Alex">]>',
                                                     b">Alex<", b">&e;<")))
case("dtd_external_entity_file", 400, check=_no_passwd)(lambda: px(_doctype(
    b'<!DOCTYPE intake [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b">Hay fever in spring.<", b">&x;<")))
case("dtd_external_entity_url", 400)(lambda: px(_doctype(
    b'<!DOCTYPE intake [<!ENTITY x SYSTEM "%s/%s-entity">]>' % (BASE.encode(), MARK.encode()),
    b">Hay fever in spring.<", b">&x;<")))
case("dtd_external_subset", 400)(lambda: px(_doctype(
    b'<!DOCTYPE intake SYSTEM "%s/%s-subset.dtd">' % (BASE.encode(), MARK.encode()))))
case("dtd_parameter_entity", 400)(lambda: px(_doctype(
    b'<!DOCTYPE intake [<!ENTITY %% p SYSTEM "%s/%s-param.dtd"> %%p;]>' % (BASE.encode(), MARK.encode()))))
case("dtd_quadratic_blowup", 400)(lambda: px(_doctype(
    b'<!DOCTYPE intake [<!ENTITY a "' + b"a" * 20000 + b'">]>', b">Hay fever in spring.<",
    b">" + b"&a;" * 5000 + b"<")))
case("dtd_entity_without_doctype_keyword", 400)(lambda: px(vx().replace(
    b"<intake ", b'<!ENTITY e "x"><intake ')))
case("xinclude_file", 422, check=_no_passwd)(lambda: px(vx().replace(
    b"<allergies>Hay fever in spring.</allergies>",
    b'<allergies><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
    b'parse="text"/></allergies>')))
case("xinclude_url", 422)(lambda: px(vx().replace(
    b"<medications>", b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="%s/%s-xinclude"/>'
    b"<medications>" % (BASE.encode(), MARK.encode()))))
# A schema hint names another schema: it is ignored (never fetched), the
# document is checked against ours, and this one is valid.
case("foreign_schema_location", 201, stores=1)(lambda: px(vx().replace(
    b"<intake ", b'<intake xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation='
    b'"urn:clinic-intake:intake:1 %s/%s-hint.xsd" ' % (BASE.encode(), MARK.encode()))))
case("foreign_no_namespace_schema_location", 201, stores=1)(lambda: px(vx().replace(
    b"<intake ", b'<intake xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xsi:noNamespaceSchemaLocation="%s/%s-nons.xsd" ' % (BASE.encode(), MARK.encode()))))
case("xsi_type_overrides_int", 422)(lambda: px(vx().replace(
    b"<intake ", b'<intake xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    b'xmlns:xs="http://www.w3.org/2001/XMLSchema" ').replace(
    b"<pain_intensity>4</pain_intensity>", b'<pain_intensity xsi:type="xs:string">eleven</pain_intensity>')))
case("xml_deep_300", 400)(lambda: px(vx().replace(
    b"<given_name>Alex</given_name>", b"<given_name>" + b"<a>" * 300 + b"x" + b"</a>" * 300 + b"</given_name>")))
case("xml_deep_20000", 400)(lambda: px(vx().replace(
    b"<given_name>Alex</given_name>", b"<given_name>" + b"<a>" * 20000 + b"</a>" * 20000 + b"</given_name>")))
case("xml_nested_in_answer", 422)(lambda: px(vx().replace(
    b"<given_name>Alex</given_name>", b"<given_name><b>Alex</b></given_name>")))
case("xml_10000_unknown_elements", 422)(lambda: px(vx().replace(b"</intake>", b"<x/>" * 10000 + b"</intake>")))
case("xml_10000_attributes", 422)(lambda: px(vx().replace(
    b"<intake ", b"<intake " + b" ".join(b'a%d="x"' % i for i in range(10000)) + b" ")))
case("xml_answer_of_250k", 422)(lambda: px(vx(with_answers(valid_intake(), [
    ("other_health_notes", "a" * 250000)]))))
case("xml_over_the_limit", 413)(lambda: post_raw(vx(with_answers(valid_intake(), [
    ("other_health_notes", "a" * (LIMIT + 1))])), XML))
case("xml_wrong_namespace", 422)(lambda: px(vx().replace(INTAKE_NS.encode(), b"urn:example:other")))
case("xml_no_namespace", 422)(lambda: px(vx().replace(b' xmlns="%s"' % INTAKE_NS.encode(), b"")))
case("xml_wrong_root", 422)(lambda: px(vx().replace(b"<intake ", b"<intakes ").replace(
    b"</intake>", b"</intakes>")))
case("xml_answers_outside_the_namespace", 422)(lambda: px(vx().replace(
    b'<intake xmlns="', b'<i:intake xmlns:i="').replace(b"</intake>", b"</i:intake>")))
case("xml_duplicate_answer", 422)(lambda: px(vx().replace(
    b"<family_name>", b"<family_name>Other</family_name>\n  <family_name>")))
case("xml_huge_submission_id", 422)(lambda: px(re.sub(
    rb'submission_id="[^"]*"', b'submission_id="' + b"a" * 200000 + b'"', vx())))
case("xml_submission_id_not_a_uuid", 422)(lambda: px(re.sub(
    rb'submission_id="[^"]*"', b"submission_id=\"1' OR '1'='1\"", vx())))
# 4294967297 is 1 modulo 2^32: it must not pass for form version 1.
case("xml_form_version_wraps", 422)(lambda: px(vx(form_version="4294967297")))
case("xml_consent_version_huge", 422)(lambda: px(vx(consent_version="99999999999")))
case("xml_invite_not_a_token", 422)(lambda: px(vx(invite="../../etc/passwd")))
case("xml_form_body_as_xml", 400)(lambda: px(vf()))

# ---- form posts -------------------------------------------------------------

case("form_bad_percent", 400)(lambda: pf(vf() + b"&allergies=50%zz"))
case("form_truncated_percent", 400)(lambda: pf(vf(without(valid_intake(), "allergies")) + b"&allergies=50%4"))
case("form_nul_in_a_name", 400)(lambda: pf(vf() + b"&given%00name=x"))
case("form_nul_in_a_value", 422)(lambda: pf(vf(without(valid_intake(), "family_name")) + b"&family_name=Trem%00blay"))
case("form_invalid_utf8", 400)(lambda: pf(vf(without(valid_intake(), "allergies")) + b"&allergies=%FF%FE"))
case("form_overlong_utf8", 400)(lambda: pf(vf(without(valid_intake(), "allergies")) + b"&allergies=%C0%AF"))
case("form_utf8_surrogate", 400)(lambda: pf(vf(without(valid_intake(), "allergies")) + b"&allergies=%ED%A0%80"))
case("form_raw_bytes_not_utf8", 400)(lambda: pf(vf(without(valid_intake(), "allergies")) + b"&allergies=caf\xe9"))
case("form_control_character", 422)(lambda: pf(broken(family_name="Trem\x1bblay")))
case("form_c1_control_character", 422)(lambda: pf(broken(allergies="cats\u0085dogs")))
case("form_noncharacter_ffff", 422)(lambda: pf(broken(allergies="cats\uffff")))
# Bidirectional marks are text (intake-form.md): accepted, stored once.
case("form_bidi_marks_are_text", 303, stores=1)(lambda: pf(broken(
    other_health_notes="\u202eevil\u202c \u2066isolated\u2069 \u200fRLM", allergies="\u061cALM \u202bRLE\u202c")))
case("form_duplicate_answer", 422)(lambda: pf(vf() + b"&given_name=Sam"))
case("form_duplicate_submission_id", 422)(lambda: pf(vf(extra=[("submission_id", new_sid())])))
case("form_unknown_field", 422)(lambda: pf(vf() + b"&favourite_colour=blue"))
case("form_unknown_field_with_a_600_byte_name", 422)(lambda: pf(vf() + b"&" + b"n" * 600 + b"=1"))
case("form_unknown_field_with_a_long_multibyte_name", 422)(lambda: pf(vf() + b"&" + b"%C3%A9" * 300 + b"=1"))
case("form_10000_fields", 400)(lambda: pf(b"&".join(b"f%d=x" % i for i in range(10000))))
case("form_10000_values_of_one_field", 400)(lambda: pf(vf() + b"&pain_areas=neck" * 10000))
case("form_answer_of_250k", 422)(lambda: pf(broken(other_health_notes="a" * 250000)))
case("form_over_the_limit", 413)(lambda: post_raw(broken(other_health_notes="a" * (LIMIT + 1)), FORM))
case("form_empty_body", 422)(lambda: pf(b""))
case("form_only_separators", 422)(lambda: pf(b"&" * 5000))
case("form_pair_without_a_name", 400)(lambda: pf(vf() + b"&=x"))
case("form_xml_body_as_a_form", 422)(lambda: pf(vx()))
case("form_version_wraps", 422)(lambda: pf(vf().replace(b"form_version=1&", b"form_version=4294967297&")))

# ---- every rule broken -----------------------------------------------------------

_today = clinic_today()
_days = lambda n: (_today + datetime.timedelta(days=n)).isoformat()  # noqa: E731
RULES = [
    ("int_not_a_number", dict(pain_intensity="1e1")),
    ("int_far_out_of_range", dict(pain_intensity="99999999999999999999")),
    ("int_negative", dict(pain_intensity="-1")),
    ("int_range_when_asked", dict(pregnant="yes", pregnancy_weeks="43", pregnancy_high_risk="no",
                                  pregnancy_symptoms="no")),
    ("choice_wrong_case", dict(massage_type="Relaxation")),
    ("yesno_maybe", dict(first_massage="maybe")),
    ("multi_unknown_value", dict(pain_areas=["neck", "soul"])),
    ("multi_none_with_others", dict(conditions=["none", "diabetes"])),
    ("date_not_zero_padded", dict(date_of_birth="1980-5-7")),
    ("date_with_time", dict(date_of_birth="1980-05-17T00:00:00")),
    ("date_year_zero", dict(date_of_birth="0000-01-01")),
    ("date_29_february_1981", dict(date_of_birth="1981-02-29")),
    ("date_in_the_future", dict(recent_injury_date=_days(2), recent_injury_area="left ankle")),
    ("date_before_birth", dict(recent_injury_date="1970-01-01", recent_injury_area="left ankle")),
    ("age_over_120", dict(date_of_birth="1890-01-01")),
    ("required_when_pain_today", dict(pain_areas=None)),
    ("required_when_pregnant", dict(pregnant="yes", pregnancy_high_risk="no", pregnancy_symptoms="no")),
    ("required_area_of_a_condition", dict(conditions="skin_problem")),
    ("required_area_of_a_surgery", dict(recent_surgery_date=_days(-10))),
    ("minor_without_guardian", dict(date_of_birth=_days(-365 * 10))),
    ("signature_names_someone_else", dict(signature_name="Mallory Attacker")),
    ("consent_missing", dict(consent_treatment=None)),
    ("consent_choice_unknown", dict(consent_privacy="disagree")),
    ("phone_with_letters", dict(phone="call me maybe")),
    ("email_two_ats", dict(email="a@b@example.org")),
    ("contact_missing", dict(email=None, phone=None)),
    ("line_break_in_a_name", dict(given_name="Al\r\nex")),
    ("text_one_over_its_limit", dict(family_name="x" * 101)),
]
for _name, _changes in RULES:
    case("rule_" + _name, 422)((lambda ch: lambda: pf(broken(**ch)))(_changes))
case("rule_consent_version_not_in_force", 422)(lambda: pf(vf().replace(
    b"consent_version=%s" % versions()[1].encode(), b"consent_version=999")))
case("rule_form_version_unknown", 422)(lambda: pf(vf().replace(b"form_version=1&", b"form_version=2&")))
case("rule_everything_wrong_at_once", 422)(lambda: px(vx(with_answers(valid_intake(), dict(
    pain_intensity="11", massage_type="hot_stone", date_of_birth="2023-02-30", email="x",
    consent_treatment=None, signature_name="Nobody")))))

# ---- content types ----------------------------------------------------------------

case("ctype_text_plain", 415)(lambda: pf(vf(), "text/plain"))
case("ctype_json", 415)(lambda: pf(b'{"given_name": "Alex"}', "application/json"))
case("ctype_multipart", 415)(lambda: pf(
    b"--b\r\nContent-Disposition: form-data; name=\"given_name\"\r\n\r\nAlex\r\n--b--\r\n",
    "multipart/form-data; boundary=b"))
case("ctype_missing", 415)(lambda: pf(vf(), None))
case("ctype_two_types", 415)(lambda: pf(vf(), "application/x-www-form-urlencoded, application/xml"))
case("ctype_xml_lookalike", 415)(lambda: pf(vx(), "application/xmlx"))

# ---- methods ------------------------------------------------------------------------

for _m in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND"):
    case("method_%s_on_submissions" % _m.lower(), 405, check=_allow("POST"))(
        (lambda m: lambda: http(m, "/intake/submissions", None if m in ("GET", "HEAD") else vf(),
                                {"Content-Type": FORM}))(_m))
case("method_trace", 405)(lambda: http("TRACE", "/intake/submissions"))
case("method_post_on_the_form", 405, check=_allow("GET"))(lambda: http(
    "POST", "/intake/", vf(), {"Content-Type": FORM}))
case("method_post_on_healthz", 405, check=_allow("GET"))(lambda: http(
    "POST", "/intake/healthz", b"x=1", {"Content-Type": FORM}))
case("method_post_on_a_static_file", 405)(lambda: http(
    "POST", "/static/errors/errors.css", vf(), {"Content-Type": FORM}))

# ---- transfer encodings, lengths, request lines -----------------------------------------

_H = b"POST /intake/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"


def _chunked(body, n=1000):
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + n]), body[i:i + n])
                    for i in range(0, len(body), n)) + b"0\r\n\r\n"


case("chunked_valid_intake", 201, stores=1)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(vx())))
case("chunked_bad_size", 400)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"))
case("chunked_over_the_limit", 413)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(b"a" * (LIMIT + 10), 65536)))
case("content_length_and_chunked", 400)(lambda: (lambda b: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(b)
    + _chunked(b)))(vx()))
case("transfer_encoding_gzip", 501)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nTransfer-Encoding: gzip\r\n\r\n" + vx()))
case("transfer_encoding_space_before_colon", 400)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nTransfer-Encoding : chunked\r\n\r\n" + _chunked(vx())))
case("content_length_negative", 400)(lambda: rq(_H + b"Content-Type: application/xml\r\nContent-Length: -1\r\n\r\n"))
case("content_length_not_a_number", 400)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: 12abc\r\n\r\n"))
case("content_length_twice", 400)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef"))
case("content_length_overflows", 400)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: 99999999999999999999999\r\n\r\n"))
case("expect_100_continue_over_the_limit", 413)(lambda: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (LIMIT + 1)))
# A body shorter than announced, then the client stops sending: nginx
# gives up (an answer or a plain close); nothing reaches the worker.
case("body_shorter_than_announced", (400, CLOSED))(lambda: rq(
    _H + b"Content-Type: application/xml\r\nContent-Length: 100000\r\n\r\n" + vx(), half_close=True))
# nginx refuses at 16 KiB and may reset the connection before the rest is
# read: the 414 page, or a plain close.
case("uri_of_20k", (414, CLOSED))(lambda: rq(b"GET /intake/?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
case("header_of_20k", 400)(lambda: rq(
    b"GET /intake/ HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 20000 + b"\r\nConnection: close\r\n\r\n"))
case("nul_in_the_path", 400)(lambda: rq(b"GET /intake/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
case("path_traversal", (400, 404), check=_no_passwd)(lambda: rq(
    b"GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
case("path_traversal_encoded", (400, 404), check=_no_passwd)(lambda: rq(
    b"GET /static/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
case("path_traversal_into_the_share", (400, 404))(lambda: rq(
    b"GET /static/../schemas/form-v1.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
# HTTP/0.9 cannot carry headers, so not the security headers: no answer.
case("http_0_9", CLOSED)(lambda: rq(b"GET /intake/\r\n\r\n"))
case("http_version_9_9", 505)(lambda: rq(b"GET /intake/ HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n"))
case("http_1_1_without_host", 400)(lambda: rq(b"GET /intake/ HTTP/1.1\r\nConnection: close\r\n\r\n"))
case("header_with_a_bare_cr", 400)(lambda: rq(
    b"GET /intake/healthz HTTP/1.1\r\nHost: x\r\nX: a\rb\r\nConnection: close\r\n\r\n"))


def _smuggle():
    """A GET whose body is a second request: one answer, the second never
    runs."""
    inner = b"POST /intake/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n" \
            b"Content-Length: %d\r\n\r\n" % len(vx()) + vx()
    req = b"GET /intake/healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner
    s = socket.create_connection((HOST, PORT), timeout=1)
    got = b""
    try:
        s.sendall(req)
        end = time.time() + 2
        while time.time() < end:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    expect(got.count(b"HTTP/1.1 ") == 1, "%d answers to one request" % got.count(b"HTTP/1.1 "))
    return parse_raw(got, "GET", "/intake/healthz (smuggling)")


case("request_smuggled_in_a_get_body", 200)(_smuggle)

# ---- injection in what is looked up -------------------------------------------------------

case("sql_in_an_invite", 404)(lambda: http("GET", "/intake/?invite=" + urllib.parse.quote(
    "x' OR '1'='1'; SELECT pg_sleep(30); --")))
case("bad_percent_in_an_invite", 404)(lambda: http("GET", "/intake/?invite=%zz%00"))
case("invite_of_10k", (404, 414))(lambda: http("GET", "/intake/?invite=" + "A" * 10000))
case("sql_in_a_receipt_path", 404)(lambda: http("GET", "/intake/receipts/" + urllib.parse.quote(
    "' OR 1=1; --", safe="")))
case("receipt_token_of_4k", 404)(lambda: http("GET", "/intake/receipts/" + "A" * 4000))
case("hostile_cookie_on_the_form", 200)(lambda: http("GET", "/intake/", headers={
    "Cookie": "clinic_session=' OR 1=1; x=" + "A" * 3000 + "; ;;=; \x7f"}))


@test
def hostile_000_baseline():
    """What the end of the catalogue compares with."""
    _start.update(intake_log=log_offset("intake_worker"), access=log_offset("access"),
                  master=worker_pids()[0])
    expect(_start["master"], "no intake worker")


for _i, _c in enumerate(_cases):
    def _make(c):
        def run():
            _run(c)
        run.__name__ = "hostile_%03d_%s" % (_i + 1, c.name)
        run.__module__ = __name__
        return run
    test(_make(_c))


# ---- slow clients (nginx's timeouts) ---------------------------------------------------------

@test
def slow_clients_are_cut_off_and_a_slow_phone_still_gets_through():
    """Headers trickled in are cut at client_header_timeout (15 s); a body
    that stalls at client_body_timeout (30 s); 50 slowloris connections do
    not stop anyone else; a slow but steady body (a phone on a bad line)
    is accepted. The slow cases run side by side (about 35 s in all)."""
    results = {}

    def slow_headers():
        parts = [b"GET /intake/ HTTP/1.1\r\n"] + [b"X-%d: y\r\n" % i for i in range(40)]
        results["headers"] = slow_send(parts, 1.0, timeout=40)

    def stalled_body():
        body = vf()
        head = (b"POST /intake/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                b"Content-Length: %d\r\n\r\n" % (FORM.encode(), len(body)))
        results["body"] = slow_send([head + body[:100], body[100:120]], 1.0, timeout=45)

    sid = new_sid()

    def steady_body():
        body = form_body(valid_intake(), sid)
        head = (b"POST /intake/submissions HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (FORM.encode(), len(body)))
        n = len(body) // 4 + 1
        results["steady"] = slow_send([head] + [body[i:i + n] for i in range(0, len(body), n)], 4.0, timeout=45)

    loris = []
    for _ in range(50):
        s = socket.create_connection((HOST, PORT), timeout=40)
        s.sendall(b"GET /intake/ HTTP/1.1\r\nHost: x\r\n")
        loris.append(s)
    threads = [threading.Thread(target=f) for f in (slow_headers, stalled_body, steady_body)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        t0 = time.time()
        h = http("GET", "/intake/healthz", timeout=10)
        expect(h.status == 200 and time.time() - t0 < 5,
               "healthz with 50 slowloris connections open: %d in %.1f s" % (h.status, time.time() - t0))
        r, s2 = post_form(valid_intake())
        expect(r.status == 303, "a patient with 50 slowloris connections open: %d" % r.status)
    finally:
        for t in threads:
            t.join(60)
        for s in loris:
            s.close()
    got, secs, sent_all = results["headers"]
    expect(not sent_all and secs < 25, "slow headers: still sending after %.1f s (sent all: %s)" % (secs, sent_all))
    got, secs, sent_all = results["body"]
    expect(secs < 40, "a stalled body held the connection %.1f s" % secs)
    expect(not got or b" 408 " in got.split(b"\r\n", 1)[0] or b" 400 " in got.split(b"\r\n", 1)[0],
           "a stalled body was answered %r" % got[:40])
    got, secs, sent_all = results["steady"]
    expect(sent_all and got.startswith(b"HTTP/1.1 303"), "a slow but steady body (%.0f s): %r" % (secs, got[:60]))
    expect(count_rows(sid) == 1, "the slow patient's intake is not stored")


# ---- SQL injection: accepted and stored verbatim, encrypted -----------------------------------

SQLI = [
    "Robert'); DROP TABLE intakes; --",
    "' OR '1'='1' --",
    "\\'; SELECT pg_sleep(20); --",
    "$$; DELETE FROM intakes; $$",
    "1); TRUNCATE intakes CASCADE; --",
    "%'; UPDATE staff SET role = 'admin'; --",
    "\u02bc OR 1=1 -- \uff07; DROP TABLE x; --",
    "E'\\\\x27' || chr(39) || '",
]


def _therapist():
    try:
        return staff_as("therapist")
    except Exception:  # noqa: BLE001 - no clinic worker in this build
        return None


@test
def sql_injection_strings_are_stored_verbatim_and_encrypted():
    sent = []
    fields = ["medications", "allergies", "other_health_notes", "reason_for_visit"]
    for i, s in enumerate(SQLI):
        mark = "Sqli%dz%s" % (i, random_token()[:8].replace("-", "q").replace("_", "w"))
        text = "%s %s" % (s, mark)
        before = count_all()
        t0 = time.time()
        r, sid = post_form(with_answers(valid_intake(), [(fields[i % len(fields)], text)]))
        expect(r.status == 303, "%r: %d" % (s, r.status))
        expect(time.time() - t0 < 5, "%r took %.1f s" % (s, time.time() - t0))
        expect(count_all() == before + 1 and count_rows(sid) == 1, "%r: not stored exactly once" % s)
        sent.append((sid, text, mark))
    r, sid = post_xml(with_answers(valid_intake(), [("medications", SQLI[0] + " viaxml")]))
    expect(r.status == 201, "SQL in an XML post: %d" % r.status)
    dump = pg_dump()
    for sid, text, mark in sent:
        expect(mark.encode() not in dump, "a sensitive answer is in clear in the database: %r" % text)
    # Verbatim: the clinic reads back exactly what was sent.
    c = _therapist()
    if c is None:
        return
    for sid, text, mark in sent:
        iid = psql("SELECT id FROM %s WHERE %s = %s" % (INTAKES_TABLE, SUBMISSION_ID_COLUMN, sql_literal(sid)))[0][0]
        page = c.get("/clinic/intakes/%s" % iid)
        expect(page.status == 200, "therapist view of intake %s: %d" % (iid, page.status))
        expect(text in _html.unescape(page.text), "%r is not shown verbatim to staff" % text)


# ---- script in every free-text field ---------------------------------------------------------

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg/onload=alert(2)>'
RAW_MARKERS = [b"<script>alert", b"<img src=x", b"<svg/onload"]


def _xss_intake():
    """Every free-text answer holds XSS (conditions chosen so each is asked;
    a guardian signs, so the names are free)."""
    ago = lambda n: (clinic_today() - datetime.timedelta(days=n)).isoformat()  # noqa: E731
    return with_answers(valid_intake(), [
        ("given_name", "Alex " + XSS), ("family_name", "T " + XSS),
        ("emergency_contact_name", XSS), ("physician_name", XSS),
        ("reason_for_visit", XSS), ("conditions", "skin_problem"), ("condition_areas", XSS),
        ("recent_surgery_date", ago(60)), ("recent_surgery_area", XSS),
        ("recent_injury_date", ago(20)), ("recent_injury_area", XSS),
        ("recent_fracture_date", ago(80)), ("recent_fracture_area", XSS),
        ("injection_recent", "yes"), ("injection_area", XSS),
        ("medications", XSS), ("allergies", XSS), ("other_health_notes", XSS),
        ("guardian_name", "Pat " + XSS), ("guardian_relationship", XSS),
        ("signature_name", "Pat " + XSS),
    ])


def _no_raw_script(body, what):
    for m in RAW_MARKERS:
        expect(m not in body, "%s: %r appears unescaped" % (what, m))


@test
def script_in_every_free_text_field_is_shown_as_text():
    pairs = _xss_intake()
    # 422: the form again keeps every value, escaped.
    r, sid = post_form(with_answers(pairs, [("pain_intensity", "11")]))
    expect(r.status == 422, "XSS with one error: %d" % r.status)
    _no_raw_script(r.body, "the 422 form")
    check_kept(parse_page(r.text), [(k, v) for k, v in pairs if XSS in v], "the 422 form")
    # ... also as an unknown field's name, and in an XML post's errors.
    r = http("POST", "/intake/submissions", form_body(valid_intake()) + b"&" + urllib.parse.quote(XSS).encode()
             + b"=1", {"Content-Type": FORM})
    expect(r.status == 422, "XSS as a field name: %d" % r.status)
    _no_raw_script(r.body, "the 422 form naming an unknown field")
    rx, _ = post_xml(with_answers(pairs, [("pain_intensity", "11")]))
    expect(rx.status == 422, "XSS in an XML post with one error: %d" % rx.status)
    xml_root(rx)
    _no_raw_script(rx.body, "the XML errors")
    # Accepted: the receipt shows no answer; staff see text, not markup.
    r, sid = post_form(pairs)
    expect(r.status == 303, "XSS in every free-text field: %d %r" % (r.status, r.text[:300]))
    rec = http("GET", receipt_path(r))
    expect(rec.status == 200, "receipt: %d" % rec.status)
    _no_raw_script(rec.body, "the receipt")
    c = _therapist()
    if c is None:
        return
    iid = psql("SELECT id FROM %s WHERE %s = %s" % (INTAKES_TABLE, SUBMISSION_ID_COLUMN, sql_literal(sid)))[0][0]
    for path in ("/clinic/intakes/%s" % iid, "/clinic/"):
        page = c.get(path)
        expect(page.status == 200, "GET %s: %d" % (path, page.status))
        _no_raw_script(page.body, "staff page %s" % path)
    page = c.get("/clinic/intakes/%s" % iid)
    expect(XSS in _html.unescape(page.text), "the staff page does not show the text as typed")
    x = c.get("/clinic/intakes/%s.xml" % iid)
    expect(x.status == 200, "export: %d" % x.status)
    root = xml_root(x)
    expect(XSS in "".join(root.itertext()), "the export does not hold the text as typed")


# ---- /clinic/: CSRF, session fixation, brute force, role escalation ---------------------------

def _clinic_built():
    return os.path.exists(os.path.join(VARDIR, "share", "bin", "clinic-worker"))


def _appointments():
    return int(psql("SELECT count(*) FROM appointments")[0][0])


def _appointment_fields(name):
    when = (clinic_today() + datetime.timedelta(days=3)).isoformat() + "T10:00"
    return [("patient_name", name), ("email", "x@example.org"), ("starts_at", when),
            ("therapist", "therapist"), ("modality", "relaxation")]


@test
def clinic_csrf_tokens_are_bound_to_their_session():
    if not _clinic_built():
        return
    a, b = staff_as("therapist"), staff_as("therapist")
    n0 = _appointments()
    tok_a = a.csrf("/clinic/appointments")
    r = b.post("/clinic/appointments", _appointment_fields("Csrf Swap"), token=tok_a)
    expect(r.status == 403, "another session's CSRF token: %d" % r.status)
    login = StaffClient()
    pre = login.csrf("/clinic/login")
    r = b.post("/clinic/appointments", _appointment_fields("Csrf Login"), token=pre)
    expect(r.status == 403, "a sign-in form's CSRF token on a session POST: %d" % r.status)
    r = b.post("/clinic/appointments", _appointment_fields("Csrf Empty"), token="")
    expect(r.status == 403, "an empty CSRF token: %d" % r.status)
    real = b.csrf("/clinic/appointments")
    r = b.request("POST", "/clinic/appointments", fields=_appointment_fields("Csrf Dup") + [
        ("csrf_token", "A" * 43), ("csrf_token", real)])
    expect(r.status == 403, "a forged CSRF token before the real one: %d" % r.status)
    for h in ({"Origin": "http://evil.example"}, {"Origin": "https://%s:%d" % (HOST, PORT)},
              {"Origin": "http://%s:%d.evil.example" % (HOST, PORT)},
              {"Origin": "http://%s:%d" % (HOST, PORT + 1)},
              {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
              {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}):
        r = b.post("/clinic/appointments", _appointment_fields("Csrf Origin"), headers=h)
        expect(r.status == 403, "%r: %d" % (h, r.status))
    expect(_appointments() == n0, "a refused POST created an appointment")
    check_security_headers(r, "403")


@test
def clinic_session_fixation_gains_nothing():
    if not _clinic_built():
        return
    attacker = StaffClient()
    pre = attacker.csrf("/clinic/login")
    planted_login = attacker.cookies.get("clinic_login")
    planted_session = random_token()
    victim = StaffClient()
    victim.cookies.update({"clinic_session": planted_session, "clinic_login": planted_login})
    user, (_, pw) = "therapist", initial_passwords()["therapist"]
    r = victim.request("POST", "/clinic/login", fields=[
        ("username", user), ("password", pw), ("csrf_token", pre)])
    expect(r.status in (303, 403), "sign-in with planted cookies: %d" % r.status)
    if r.status == 303:
        expect(victim.session and victim.session != planted_session, "the planted session id was kept")
    for tok in (planted_session, planted_login):
        probe = StaffClient()
        probe.cookies["clinic_session"] = tok
        g = probe.get("/clinic/")
        expect(g.status == 303 and "/clinic/login" in (g.location or ""),
               "a planted cookie gives a session: %d" % g.status)
    # The attacker's own cookies never become the victim's session either.
    g = attacker.get("/clinic/")
    expect(g.status == 303, "the attacker is signed in: %d" % g.status)


@test
def clinic_brute_force_is_locked_whatever_the_spelling():
    if not _clinic_built():
        return
    user = "hostile.lock." + re.sub(r"[^a-z0-9]", "x", random_token()[:6].lower())
    pw = staff_account(user, "therapist")
    c = StaffClient()
    for i, spelling in enumerate([user, user.upper(), user.title(), user[:8] + user[8:].upper(),
                                  user.swapcase().title().swapcase()]):
        tok = c.csrf("/clinic/login")
        r = c.request("POST", "/clinic/login", fields=[
            ("username", spelling), ("password", "guess-%d" % i), ("csrf_token", tok)])
        expect(r.status == 401, "guess %d (%s): %d" % (i + 1, spelling, r.status))
    r = c.login(user, pw)
    expect(r.status == 429, "the right password after five guesses in any spelling: %d" % r.status)
    check_security_headers(r, "429")
    expect(c.session is None, "a locked sign-in set a session")
    # The lock is the account's, not everyone's.
    staff_as("therapist")


@test
def clinic_role_escalation_is_refused():
    if not _clinic_built():
        return
    t = staff_as("therapist")
    staff_before = int(psql("SELECT count(*) FROM staff")[0][0])
    for path in ("/clinic/staff", "/clinic/staff/", "/clinic//staff", "/clinic/%73taff", "/clinic/./staff",
                 "/clinic/x/../staff", "/clinic/staff?role=admin", "/clinic/STAFF", "/clinic/staff;x"):
        r = t.get(path)
        expect(r.status in (403, 404), "therapist GET %s: %d" % (path, r.status))
        expect(b"new-password" not in r.body and b"/disable" not in r.body, "therapist sees staff on %s" % path)
    r = t.post("/clinic/staff", [("username", "escalated.one"), ("display_name", "E"), ("role", "admin"),
                                 ("password", "")])
    expect(r.status == 403, "therapist adding an admin: %d" % r.status)
    r = t.post("/clinic/staff/admin/reset", [("password", "")])
    expect(r.status == 403, "therapist resetting the admin: %d" % r.status)
    expect(int(psql("SELECT count(*) FROM staff")[0][0]) == staff_before, "an account was made")
    # front desk: no answers, whatever the path or the claimed role
    r0, sid = post_form(valid_intake())
    expect(r0.status == 303, "intake: %d" % r0.status)
    iid = psql("SELECT id FROM %s WHERE %s = %s" % (INTAKES_TABLE, SUBMISSION_ID_COLUMN, sql_literal(sid)))[0][0]
    fd = staff_as("front_desk")
    for path in ("/clinic/intakes/%s" % iid, "/clinic/intakes/%s.xml" % iid, "/clinic/intakes/%s/" % iid,
                 "/clinic/intakes/%s.XML" % iid, "/clinic/intakes/%s?role=therapist" % iid):
        r = fd.get(path, headers={"X-Role": "therapist"})
        expect(r.status in (403, 404), "front desk GET %s: %d" % (path, r.status))
        expect(b"Hay fever" not in r.body and b"Vitamin D" not in r.body, "front desk sees answers on %s" % path)


@test
def clinic_garbage_session_cookies_are_no_session():
    if not _clinic_built():
        return
    for cookie in ("clinic_session=" + "A" * 43, "clinic_session=" + "A" * 5000,
                   "clinic_session=%00" + "A" * 40, "clinic_session=' OR 1=1 --",
                   "clinic_session=;clinic_session=" + random_token(),
                   "clinic_session=" + random_token() + "=", "clinic_session=\u00e9" + "A" * 42):
        for path, want in (("/clinic/", 303), ("/clinic/intakes/1.xml", 401)):
            r = http("GET", path, headers={"Cookie": cookie.encode("utf-8").decode("latin-1")})
            expect(r.status == want, "Cookie %r on %s: %d" % (cookie[:40], path, r.status))
            check_security_headers(r, "garbage cookie")


# ---- nginx's hardening (nginx/), one test per item that a request can show ---------------------

def _spooled():
    return [os.path.join(r, n) for sub in ("client_body", "fastcgi")
            for r, _, ns in os.walk(os.path.join(VARDIR, "nginx", sub)) for n in ns]


@test
def nginx_keeps_bodies_and_pages_in_memory():
    """client_body_buffer_size = client_max_body_size, and
    fastcgi_max_temp_file_size 0: a body at the limit and a page larger
    than the response buffers never touch disk (nginx warns in its error
    log whenever it spools, and would leave the file in its temp paths)."""
    since = log_offset("nginx_error")
    body = form_body(with_answers(valid_intake(), [("other_health_notes", '"' * 86000)]))
    expect(len(body) <= LIMIT, "the body is over the limit: %d" % len(body))
    r = http("POST", "/intake/submissions", body, {"Content-Type": FORM})
    expect(r.status == 422, "a body at the limit: %d" % r.status)
    expect(len(r.body) > 520 * 1024 and r.body.rstrip().endswith(b"</html>"),
           "the large page arrived cut: %d bytes" % len(r.body))
    x = vx(with_answers(valid_intake(), [("other_health_notes", "b" * 255000)]))
    r = rq(b"POST /intake/submissions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/xml\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(x, 7000))
    expect(r is not None and r.status == 422, "a chunked body near the limit: %r" % r)
    time.sleep(0.3)
    log = log_since("nginx_error", since)
    expect(b"buffered to a temporary file" not in log, "nginx spooled to disk: %r" % log[-300:])
    expect(not _spooled(), "nginx left files in its temp paths: %s" % _spooled()[:3])


def _free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _http_at(port, method, path, body=None, headers=None):
    import http.client as hc
    c = hc.HTTPConnection(HOST, port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return Response(r.status, r.getheaders(), r.read(), r.reason)
    finally:
        c.close()


@test
def nginx_rate_limits_submissions_and_sign_ins():
    """limit_req on POST /intake/submissions and POST /clinic/login, seen
    through a second nginx run from this stack's own configuration with
    the shipped rate put back (tests lift it), in front of the same
    workers: a burst is cut with 429 (security headers, Retry-After);
    GETs are never limited."""
    import tempfile
    with open(os.path.join(VARDIR, "etc", "nginx.conf")) as f:
        conf = f.read()
    tmp = tempfile.mkdtemp(prefix="clinic-nginx-")
    os.chmod(tmp, 0o755)
    port = _free_port()
    conf = conf.replace("listen 127.0.0.1:%d " % PORT, "listen 127.0.0.1:%d " % port)
    conf = conf.replace(os.path.join(VARDIR, "nginx") + "/", tmp + "/")
    conf = conf.replace(LOGS["access"], os.path.join(tmp, "access.log"))
    conf = conf.replace(LOGS["nginx_error"], os.path.join(tmp, "error.log"))
    # tools/stack's defaults, the values nginx/README.md ships
    conf = re.sub(r"rate=\S+;", "rate=10r/s;", conf)
    conf = re.sub(r"burst=\d+", "burst=40", conf)
    expect("listen 127.0.0.1:%d " % port in conf, "cannot move the listener")
    path = os.path.join(tmp, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    p = subprocess.run(["nginx", "-p", tmp + "/", "-e", os.path.join(tmp, "error.log"), "-c", path],
                       capture_output=True, text=True, timeout=30)
    expect(p.returncode == 0, "the second nginx did not start: %s" % p.stderr)
    try:
        expect(wait_for(lambda: _http_at(port, "GET", "/intake/healthz").status == 200, 10),
               "the second nginx does not answer")
        for path_ in ("/intake/submissions", "/clinic/login"):
            # cheap for the worker (415): what is measured is nginx
            got, lock = [], threading.Lock()

            def send(n):
                for _ in range(n):
                    r = _http_at(port, "POST", path_, b"x", {"Content-Type": "text/plain"})
                    with lock:
                        got.append(r)
            t0 = time.time()
            threads = [threading.Thread(target=send, args=(25,)) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            secs = time.time() - t0
            limited = [r for r in got if r.status == 429]
            passed = len(got) - len(limited)
            # a burst of 40, then 10 a second
            expect(40 <= passed <= 41 + 10 * secs + 2, "POST %s: %d of %d posts in %.1f s let through" % (
                path_, passed, len(got), secs))
            expect(limited, "POST %s: nothing limited" % path_)
            for r in limited[:3]:
                check_security_headers(r, "429 on %s" % path_)
                expect(r.header("Retry-After"), "429 without Retry-After")
        gets = [_http_at(port, "GET", "/intake/healthz").status for _ in range(30)]
        expect(all(s == 200 for s in gets), "GETs were limited: %r" % sorted(set(gets)))
    finally:
        try:
            with open(os.path.join(tmp, "nginx.pid")) as f:
                os.kill(int(f.read().split()[0]), 15)
        except (OSError, ValueError):
            pass
        wait_for(lambda: not os.path.exists(os.path.join(tmp, "nginx.pid")), 10)
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    expect(count_all() >= 0, "the database is still there")


@test
def nginx_logs_no_query_string_even_for_errors():
    mark = "qs%s" % random_token()[:12].replace("-", "x").replace("_", "y")
    since = log_offset("access")
    http("GET", "/intake/nosuch?token=" + mark)
    http("GET", "/static/none.css?" + mark)
    http("POST", "/intake/submissions?invite=" + mark, b"x=%zz", {"Content-Type": FORM})
    http("GET", "/intake/receipts/" + random_token() + "?k=" + mark)
    rq(b"GET /intake/?" + mark.encode() + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    rq(b"GET /intake/?x=" + mark.encode() + b" HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n")
    time.sleep(0.5)
    log = log_since("access", since)
    expect(b"/intake/nosuch" in log, "the access log is not written")
    expect(mark.encode() not in log, "a query string reached the access log")
    expect(b"?" not in log, "the access log holds a '?'")


@test
def nginx_names_no_version_anywhere():
    for r in (http("GET", "/intake/"), http("GET", "/nowhere"),
              rq(b"GET /intake/ HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n"),
              rq(_H + b"Content-Type: application/xml\r\nTransfer-Encoding: gzip\r\n\r\n")):
        expect(r is not None, "no answer")
        expect(not re.search(r"\d", r.header("Server") or ""), "Server: %r" % r.header("Server"))
        expect(not re.search(rb"nginx/\d", r.body), "the %d page names nginx's version" % r.status)
        expect(r.header("X-Powered-By") is None, "X-Powered-By on %d" % r.status)


# ---- afterwards ------------------------------------------------------------------------------------

@test
def nothing_was_fetched_and_the_service_is_healthy():
    time.sleep(0.5)
    access = log_since("access", _start["access"])
    expect(MARK.encode() not in access, "a parser fetched a URL named in a document")
    # No control byte from a hostile request line reached the access log raw.
    expect(not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", access), "the access log holds a raw control byte")
    worker_log = log_since("intake_worker", _start["intake_log"])
    for bad in (b"killed by signal", b"died of signal", b"exited with"):
        expect(bad not in worker_log, "the intake worker log says %r" % bad)
    expect(worker_pids()[0] == _start["master"], "the intake worker's master changed")
    h = http("GET", "/intake/healthz")
    expect(h.status == 200, "healthz after the catalogue: %d" % h.status)
    r, sid = post_form(valid_intake())
    expect(r.status == 303 and count_rows(sid) == 1, "a valid intake after the catalogue: %d" % r.status)
    rx, sidx = post_xml(valid_intake())
    expect(rx.status == 201 and count_rows(sidx) == 1, "a valid XML intake after the catalogue: %d" % rx.status)
    expect(len(_cases) >= 60, "only %d hostile cases" % len(_cases))
