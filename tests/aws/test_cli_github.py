"""`berth aws credentials` inside GitHub Actions: stdout is the result alone in every
mode, masks go to stderr, $GITHUB_ENV is written so that no value can add a variable,
and credentials holding control characters are refused — whatever credential_process
(or a hostile ECS/IMDS/STS reply) returns."""

from __future__ import annotations

import json
import re
import stat
import subprocess

import awslib
from awslib import clean_env, write_aws_files

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzGITHUBSECRET"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEGITHUBSESSIONTOKEN"
awslib.KNOWN_SECRETS.update((SECRET, TOKEN))


def process_creds(home: str, tmp_path, doc: dict) -> None:
    p = tmp_path / "creds.sh"
    p.write_text("#!/bin/sh\ncat <<'EOF'\n%s\nEOF\n" % json.dumps(doc))
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    write_aws_files(home, "[default]\nregion = us-east-1\ncredential_process = %s\n" % p)


def good(home: str, tmp_path) -> None:
    process_creds(home, tmp_path, {"Version": 1, "AccessKeyId": "AKIDGITHUB",
                                   "SecretAccessKey": SECRET, "SessionToken": TOKEN,
                                   "Expiration": "2031-05-06T07:08:09Z"})


def runner_env_file(text: str) -> dict[str, str]:
    """Reads a $GITHUB_ENV file the way the Actions runner does (FileCommandManager):
    NAME=VALUE lines, or NAME<<DELIM, value lines, DELIM."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (eq < 0 or heredoc < eq):
            name, delim = line[:heredoc], line[heredoc + 2:]
            value = []
            while lines[i].rstrip("\r") != delim:
                value.append(lines[i].rstrip("\r"))
                i += 1
            i += 1
            out[name] = "\n".join(value)
        else:
            out[line[:eq]] = line[eq + 1:]
    return out


def test_json_format_is_json_in_github_actions(berth, home, tmp_path):
    good(home, tmp_path)
    for gha in ("true", "false"):
        r = berth(["aws", "credentials", "--format", "json"],
                  clean_env(home, GITHUB_ACTIONS=gha))
        assert r.code == 0, r.err
        doc = json.loads(r.out)  # nothing but the document on stdout
        assert doc == {"Version": 1, "AccessKeyId": "AKIDGITHUB", "SecretAccessKey": SECRET,
                       "SessionToken": TOKEN, "Expiration": "2031-05-06T07:08:09Z"}
        masks = [l for l in r.err.splitlines() if l.startswith("::add-mask::")]
        assert masks == (["::add-mask::AKIDGITHUB", "::add-mask::" + SECRET,
                          "::add-mask::" + TOKEN] if gha == "true" else [])


def test_env_format_evaluates_in_a_shell_in_github_actions(berth, home, tmp_path):
    good(home, tmp_path)
    r = berth(["aws", "credentials"], clean_env(home, GITHUB_ACTIONS="true"))
    assert r.code == 0, r.err
    assert "::" not in r.out
    sh = subprocess.run(["sh", "-c", r.out + 'printf "%s|%s|%s" "$AWS_ACCESS_KEY_ID" '
                         '"$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN"'],
                        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert sh.returncode == 0 and sh.stderr == ""
    assert sh.stdout == "AKIDGITHUB|%s|%s" % (SECRET, TOKEN)


def test_github_env_uses_the_delimiter_form(berth, home, tmp_path):
    good(home, tmp_path)
    env_file = tmp_path / "github_env"
    env_file.write_text("EARLIER=1\n")
    r = berth(["aws", "credentials", "--github-env", "--region", "eu-west-1"],
              clean_env(home, GITHUB_ACTIONS="true", GITHUB_ENV=str(env_file)))
    assert r.code == 0, r.err
    assert r.out == ""
    text = env_file.read_text()
    assert re.search(r"^AWS_SECRET_ACCESS_KEY<<ghadelimiter_berth_[0-9a-f]{32}$", text, re.M)
    assert runner_env_file(text) == {
        "EARLIER": "1", "AWS_ACCESS_KEY_ID": "AKIDGITHUB", "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}


def test_control_characters_in_credentials_are_refused(berth, home, tmp_path):
    """A hostile credential_process tries to add variables to every later step."""
    for field, value in (("SecretAccessKey", "abc\nNODE_OPTIONS=--require=/tmp/x.js"),
                         ("SessionToken", "tok\r\nBASH_ENV=/tmp/evil"),
                         ("AccessKeyId", "AKID\x1b[2J")):
        doc = {"Version": 1, "AccessKeyId": "AKIDGITHUB", "SecretAccessKey": SECRET}
        doc[field] = value
        process_creds(home, tmp_path, doc)
        env_file = tmp_path / "github_env"
        env_file.write_text("")
        for args in (["--github-env"], ["--format", "json"], []):
            r = berth(["aws", "credentials"] + args,
                      clean_env(home, GITHUB_ACTIONS="true", GITHUB_ENV=str(env_file)),
                      secrets=tuple(v for v in value.splitlines() if len(v) > 4))
            assert r.code != 0, (field, args, r.out)
            assert "control character" in r.err and field in r.err, r.err
            assert r.out == ""
        assert env_file.read_text() == ""


def test_a_secret_with_percent_and_lines_is_masked_line_by_line(berth, home, tmp_path):
    """The runner unescapes %25/%0A in command data: a '%' is sent escaped so the mask
    is the secret itself."""
    process_creds(home, tmp_path, {"Version": 1, "AccessKeyId": "AKIDGITHUB",
                                   "SecretAccessKey": "sec%0Aret/with%25percent"})
    r = berth(["aws", "credentials", "--format", "json"], clean_env(home, GITHUB_ACTIONS="true"))
    assert r.code == 0, r.err
    assert "::add-mask::sec%250Aret/with%2525percent\n" in r.err
    assert json.loads(r.out)["SecretAccessKey"] == "sec%0Aret/with%25percent"
