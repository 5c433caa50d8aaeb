"""The secrets scan itself (tests/servers/secret_scan.py) must be able to fail: a known
leak fed to it is found, the session fixture turns it into a failure, and its
exclusions are as narrow as documented."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import itlib
import secret_scan
from secret_scan import Record, find_leaks

SECRET = "s3cr3t-" + os.urandom(8).hex()
BERTH = "/usr/bin/berth"


def leaks_of(argv, rc, out, err, env=None) -> list[str]:
    saved = list(secret_scan.RECORDS)
    try:
        del secret_scan.RECORDS[:]
        secret_scan.record(argv, rc, out, err, env)
        return find_leaks(list(secret_scan.RECORDS), {SECRET})
    finally:
        secret_scan.RECORDS[:] = saved


def test_a_leak_anywhere_is_found_and_never_printed(tmp_path):
    assert leaks_of([BERTH, "pull", "x"], 1, "", "error: token %s refused\n" % SECRET)
    assert leaks_of([BERTH, "ls", "x"], 0, SECRET + "\n", "")
    assert leaks_of([BERTH, "copy", "a", "b"], 0, "", '{"event":"x","url":"?%s"}\n' % SECRET)
    summary = tmp_path / "summary.md"
    summary.write_text("| password | %s |\n" % SECRET)
    leaks = leaks_of([BERTH, "ecr", "scan-gate", "r"], 0, "", "",
                     {"GITHUB_STEP_SUMMARY": str(summary)})
    assert leaks and "GITHUB_STEP_SUMMARY of berth ecr scan-gate" in leaks[0]
    assert SECRET not in "".join(leaks)
    # shapes no test registered: a pre-signed URL's signature, a JWT
    sig = "https://s3/x?X-Amz-Signature=" + "ab" * 32
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZyJ9.c2lnbmF0dXJlLWJ5dGVz"
    for text in (sig, jwt):
        assert find_leaks([Record("stderr of berth", text)], set()), text


def test_exclusions_are_narrow():
    # a secret is the result of these, on stdout, when they succeed ...
    assert not leaks_of([BERTH, "ecr", "get-login-password"], 0, SECRET, "")
    assert not leaks_of([BERTH, "aws", "credentials", "--format", "env"], 0, SECRET, "")
    assert not leaks_of(["/x/docker-credential-berth", "get"], 0, SECRET, "")
    # ... never on stderr, never when they fail, never for another command
    assert leaks_of([BERTH, "ecr", "get-login-password"], 0, "", SECRET)
    assert leaks_of([BERTH, "ecr", "get-login-password"], 1, SECRET, "")
    assert leaks_of([BERTH, "ecr", "login"], 0, SECRET, "")
    assert leaks_of(["/x/docker-credential-berth", "list"], 0, SECRET, "")
    # GitHub's mask command hides a value; anything else on that line is not hidden
    assert not leaks_of([BERTH, "aws", "assume-role"], 0, "", "::add-mask::%s\n" % SECRET)
    assert leaks_of([BERTH, "aws", "assume-role"], 0, "", "note ::add-mask::%s\n" % SECRET)


def test_the_session_fixture_fails_a_suite_that_leaked(tmp_path):
    """A throwaway suite records one leak; pytest must fail it and not print it."""
    servers = os.path.join(os.path.dirname(__file__), "..", "servers")
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        from secret_scan import secret_scan_session  # noqa: F401
    """ % servers))
    (tmp_path / "test_leak.py").write_text(textwrap.dedent("""
        import secret_scan

        def test_leaks():
            secret_scan.secret(%r)
            secret_scan.record(["berth", "pull"], 5, "", "denied: %s")
    """ % (SECRET, SECRET)))
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                       timeout=60)
    assert p.returncode != 0, p.stdout
    assert "secrets scan: 1 leak(s)" in p.stdout, p.stdout
    assert "stderr of berth pull holds the secret s3c..." in p.stdout, p.stdout
    assert SECRET not in p.stdout + p.stderr


def test_github_outputs_of_an_authenticated_push_hold_no_secret(token_reg, small_image, berth,
                                                                repo, tmp_path):
    """A push with a password, a Bearer token from the token server and GitHub Actions
    on: $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY are written (and recorded for the
    session scan) and hold neither the password nor any token issued."""
    out, summary = tmp_path / "gh-output", tmp_path / "gh-summary"
    env = dict(berth.env, GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(out),
               GITHUB_STEP_SUMMARY=str(summary))
    creds = "%s:%s" % (token_reg.username, token_reg.password)
    dst = "%s/%s:v1" % (token_reg.hostport, repo)
    r = itlib.run([berth.binary, "push", "--json", "--dest-creds", creds, small_image["ref"], dst,
                   "--tag", "v2"], env=env)
    issued = [t["token"] for t in token_reg.token_server.issued]
    assert issued, "no token was issued: the push did not authenticate"
    text = out.read_text() + (summary.read_text() if summary.exists() else "")
    assert "digest=sha256:" in out.read_text(), text
    for s in [token_reg.password] + issued:
        assert s not in text + r.stdout + r.stderr, secret_scan.hint(s)
