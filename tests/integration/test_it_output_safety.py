"""Text from a hostile registry reaches berth's stdout and stderr neutralised (issue 20,
item 5): its error messages, its token service's replies and its tag and repository
lists may hold line breaks, ESC sequences and GitHub workflow commands
("::stop-commands::" would make the runner ignore berth's later "::add-mask::").
Each case failed before the fix."""

from __future__ import annotations

import json
import re
import subprocess

import itlib
from hostile_registry import HostileRegistry, send

# What a registry may try to smuggle into a log or a terminal.
EVIL = ("x\n::stop-commands::tok\n::error::pwned\r\n  ::warning::w "
        "\x1b[31mred\x1b]0;title\x07 \u009b2J ##[add-mask]m \u202eevil")
EVIL_TAGS = ["v1", "bad\n::stop-commands::tok", "::error::x", "\x1b[31mred", "ok-2",
             "##[error]y", "a b", "-leading-dash", "x" * 129]
EVIL_REPOS = ["app", "team/svc", "Upper/case", "evil\n::error::x", "\x1b[2Jclear", "ok/a-b_c.d"]


def berth_run(berth, *args: str, github: bool = True) -> tuple[int, bytes, bytes]:
    """Runs berth, returning raw bytes: output that is not even UTF-8 must not slip
    through a decoding step unnoticed."""
    env = dict(berth.env)
    if github:
        env["GITHUB_ACTIONS"] = "true"
    p = subprocess.run([berth.binary, *args], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout, p.stderr


def assert_neutral(stream: bytes, what: str) -> None:
    """UTF-8 with no control character but line breaks (C0, DEL, C1), no bidi override,
    no workflow command berth did not write itself."""
    text = stream.decode("utf-8")  # bytes that are not UTF-8 are escaped, never printed
    bad = re.findall(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert not bad, (what, bad, text)
    assert "##[" not in text, (what, text)
    for line in re.split(r"\r\n|\r|\n", text):
        if line.lstrip().startswith("::"):
            assert line.startswith("::add-mask::"), (what, line, text)


def error_reply(status: int, body: bytes, content_type: str = "application/json"):
    def handler(h):
        send(h, status, body, {"Content-Type": content_type})
    return handler


def test_registry_error_messages_are_neutralised(berth):
    with HostileRegistry() as reg:
        body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": EVIL,
                                       "detail": EVIL}]}).encode()
        reg.route("GET", r"/v2/app/manifests/json", error_reply(404, body))
        reg.route("HEAD", r"/v2/app/manifests/json", error_reply(404, b""))
        evil_code = json.dumps({"errors": [{"code": "::error::CODE\n::stop-commands::t",
                                            "message": "m"}]}).encode()
        reg.route("GET", r"/v2/app/manifests/code", error_reply(400, evil_code))
        reg.route("GET", r"/v2/app/manifests/text",
                  error_reply(500, EVIL.encode() + b"\n\xff\xfe", "text/plain"))
        for tag in ("json", "code", "text"):
            rc, out, err = berth_run(berth, "manifest", "%s/app:%s" % (reg.host, tag))
            assert rc != 0, (tag, out, err)
            assert_neutral(out, "stdout of manifest " + tag)
            assert_neutral(err, "stderr of manifest " + tag)
            # the message is still there to read, escaped, on one line (after the notices
            # of the retries a 500 gets, which name only the registry)
            lines = err.strip().splitlines()
            notices = [l for l in lines if l.startswith(b"berth: retrying ")]
            assert all(re.fullmatch(rb"berth: retrying \d/5 after HTTP 500 from "
                                    rb"http://127\.0\.0\.1:\d+", l) for l in notices), err
            assert len(lines) - len(notices) == 1, err
        rc, out, err = berth_run(berth, "manifest", "%s/app:json" % reg.host)
        assert b"\\n:" in err and b"\\x1b[31mred" in err, err


def test_token_service_errors_are_neutralised(berth):
    with HostileRegistry() as reg:
        reg.bearer_realm = "http://%s/token" % reg.host
        body = json.dumps({"errors": [{"code": "DENIED", "message": EVIL}]}).encode()
        reg.route("GET", r"/token", error_reply(403, body))
        rc, out, err = berth_run(berth, "manifest", "%s/app:v1" % reg.host)
        assert rc != 0, (out, err)
        assert b"token" in err, err
        assert_neutral(out, "stdout")
        assert_neutral(err, "stderr")


def test_text_quoted_by_berth_itself_is_neutralised_too(berth):
    """The token realm comes from the registry's challenge and is quoted by berth's own
    message when the token service answers without a token: the CLI's last line of
    defence escapes the runner's legacy command form ("##[name]" anywhere in a line)
    in it. (A realm with control characters is refused by libcurl as a URL.)"""
    with HostileRegistry() as reg:
        reg.bearer_realm = "http://%s/token#x##[stop-commands]tok" % reg.host
        reg.route("GET", r"/token", error_reply(200, b'{"nothing":1}'))
        rc, out, err = berth_run(berth, "manifest", "%s/app:v1" % reg.host)
        assert rc != 0, (out, err)
        assert b"has no token" in err, err
        assert_neutral(out, "stdout")
        assert_neutral(err, "stderr")


def test_ls_prints_only_valid_tags(berth):
    with HostileRegistry() as reg:
        reg.route("GET", r"/v2/app/tags/list", error_reply(
            200, json.dumps({"name": "app", "tags": EVIL_TAGS}).encode()))
        rc, out, err = berth_run(berth, "ls", reg.host + "/app")
        assert rc == 0, (out, err)
        assert out.decode().splitlines() == ["v1", "ok-2"], out
        assert_neutral(out, "stdout of ls")
        assert_neutral(err, "stderr of ls")
        assert err.count(b"skipped") == len(EVIL_TAGS) - 2, err
        rc, out, err = berth_run(berth, "ls", "--format", "json", reg.host + "/app")
        assert rc == 0, (out, err)
        assert json.loads(out)["tags"] == ["v1", "ok-2"], out
        assert_neutral(err, "stderr of ls --format json")


def test_catalog_prints_only_valid_repository_names(berth):
    with HostileRegistry() as reg:
        reg.route("GET", r"/v2/_catalog", error_reply(
            200, json.dumps({"repositories": EVIL_REPOS}).encode()))
        rc, out, err = berth_run(berth, "catalog", reg.host)
        assert rc == 0, (out, err)
        assert out.decode().splitlines() == ["app", "team/svc", "ok/a-b_c.d"], out
        assert_neutral(out, "stdout of catalog")
        assert_neutral(err, "stderr of catalog")


def test_honest_output_is_unchanged(berth):
    """Neutralising changes nothing a well-behaved registry sends."""
    with HostileRegistry() as reg:
        reg.add_image("app", "v1", [reg.add_blob("app", itlib.tar_bytes({"a": b"a\n"}))])
        reg.route("GET", r"/v2/app/tags/list", error_reply(
            200, json.dumps({"name": "app", "tags": ["v1", "1.0_rc-2"]}).encode()))
        rc, out, err = berth_run(berth, "ls", reg.host + "/app")
        assert (rc, out, err) == (0, b"v1\n1.0_rc-2\n", b""), (rc, out, err)
        rc, out, err = berth_run(berth, "manifest", "%s/app:missing" % reg.host)
        assert rc != 0 and b"HTTP 404 NOT_FOUND: unknown" in err, err
