"""The worker refuses a broken installation at start (screening.md: rules are
data; a broken rule file stops the worker with file, line and problem)."""

import os
import shutil
import subprocess
import tempfile

from harness import *  # noqa: F401,F403

CONF = os.path.join(VARDIR, "etc", "clinic.conf")
SHARE = os.path.join(VARDIR, "share")
WORKER = os.path.join(SHARE, "bin", "intake-worker")


def _check_with(edit):
    """Run `intake-worker -t` on a copy of share/ changed by edit(dir)."""
    d = tempfile.mkdtemp(prefix="clinic-share-")
    try:
        shutil.copytree(os.path.join(SHARE, "schemas"), os.path.join(d, "schemas"))
        edit(d)
        env = dict(os.environ, CLINIC_SHARE_DIR=d)
        p = subprocess.run([WORKER, "-t", "-c", CONF], env=env, capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _replace(path, old, new):
    with open(path) as f:
        text = f.read()
    expect(old in text, "fixture text not found in %s" % path)
    with open(path, "w") as f:
        f.write(text.replace(old, new, 1))


@test
def shipped_installation_passes_the_check():
    rc, out, _ = _check_with(lambda d: None)
    expect(rc == 0, "intake-worker -t refused the shipped files: %s" % out)


@test
def rule_naming_an_unknown_question_stops_the_worker():
    rules = lambda d: os.path.join(d, "schemas", "rules-v1.xml")
    rc, out, d = _check_with(lambda d: _replace(rules(d), 'q="rf_bladder_bowel"',
                                                'q="rf_bladder_bowle"'))
    expect(rc != 0, "a rule naming an unknown question was accepted")
    expect("rules-v1.xml:" in out, "message does not name the file and line: %r" % out)
    expect("rf_bladder_bowle" in out, "message does not name the problem: %r" % out)


@test
def rule_with_a_bad_severity_stops_the_worker():
    path = lambda d: os.path.join(d, "schemas", "rules-v1.xml")
    rc, out, _ = _check_with(lambda d: _replace(path(d), 'severity="urgent"',
                                                'severity="very_urgent"'))
    expect(rc != 0, "a rule with an unknown severity was accepted")
    expect("rules-v1.xml:" in out and "very_urgent" in out, "message: %r" % out)


@test
def malformed_rule_file_stops_the_worker():
    def edit(d):
        with open(os.path.join(d, "schemas", "rules-v1.xml"), "a") as f:
            f.write("<rule")
    rc, out, _ = _check_with(edit)
    expect(rc != 0, "a malformed rule file was accepted")
    expect("rules-v1.xml:" in out, "message does not name the file: %r" % out)


@test
def form_definition_with_an_unknown_choice_stops_the_worker():
    path = lambda d: os.path.join(d, "schemas", "form-v1.xml")
    rc, out, _ = _check_with(lambda d: _replace(path(d), 'any="lower_back mid_back"',
                                                'any="lower_back middle_back"'))
    expect(rc != 0, "a form condition naming an unknown choice was accepted")
    expect("form-v1.xml:" in out and "middle_back" in out, "message: %r" % out)
