"""Credential providers that need no AWS API: credential_process, the ECS container
endpoint, IMDSv2, static profiles and the chain's rules — driven through the
berth_aws_probe driver with real environments, files and loopback servers."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

import awslib
import secret_scan
from awslib import Ecs, Imds, clean_env, creds_json, write_aws_files

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzPROVIDERSECRET"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
awslib.KNOWN_SECRETS.update((SECRET, TOKEN))


def sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def script(tmp_path, name: str, body: str) -> str:
    p = tmp_path / name
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return str(p)


def process_profile(home: str, command: str) -> None:
    write_aws_files(home, "[default]\nregion = us-east-1\ncredential_process = %s\n" % command)


# ------------------------------------------------------------------ credential_process


def test_credential_process_good(probe, home, tmp_path):
    out = {"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": SECRET,
           "SessionToken": TOKEN, "Expiration": "2031-05-06T07:08:09Z"}
    argv_log = tmp_path / "argv.log"
    cmd = script(tmp_path, "creds.sh", "printf '%%s\\n' \"$0\" \"$@\" > '%s'\n"
                 "cat <<'EOF'\n%s\nEOF\n" % (argv_log, json.dumps(out)))
    process_profile(home, cmd + " --some-arg")
    d = probe(clean_env(home), secrets=(SECRET, TOKEN)).lines()
    argv = argv_log.read_text().splitlines()
    assert argv == [cmd, "--some-arg"], argv
    secret_scan.record_argv(argv, "credential_process")
    assert d == {"provider": "credential_process", "access_key_id": "AKIDPROCESS",
                 "session_token": "yes", "expiration": "2031-05-06T07:08:09Z",
                 "secret_sha256": sha(SECRET)}


def test_credential_process_sees_the_environment_and_arguments(probe, home, tmp_path):
    # The command line is run by a shell, with the caller's environment.
    cmd = script(tmp_path, "env.sh",
                 'printf \'{"Version": 1, "AccessKeyId": "%s-%s", "SecretAccessKey": "s"}\' '
                 '"$KEY_PREFIX" "$1"\n')
    process_profile(home, '"%s" "arg with space"' % cmd)
    d = probe(clean_env(home, KEY_PREFIX="AKIDFROMENV")).lines()
    assert d["access_key_id"] == "AKIDFROMENV-arg with space"
    assert d["session_token"] == "no"
    assert d["expiration"] == "none"


@pytest.mark.parametrize("version", [2, 0, '"1"'])
def test_credential_process_version_must_be_1(probe, home, tmp_path, version):
    cmd = script(tmp_path, "v.sh", 'echo \'{"Version": %s, "AccessKeyId": "AKID", '
                 '"SecretAccessKey": "%s"}\'\n' % (version, SECRET))
    process_profile(home, cmd)
    d = probe(clean_env(home), secrets=(SECRET,)).lines()
    assert d["error_code"] == "authentication failed"
    assert d["error"].startswith("credential_process: output Version must be 1")


def test_credential_process_bad_json_never_echoes_output(probe, home, tmp_path):
    cmd = script(tmp_path, "bad.sh", 'echo \'{"Version": 1, "SecretAccessKey": "%s", \'\n'
                 % SECRET)
    process_profile(home, cmd)
    d = probe(clean_env(home), secrets=(SECRET,)).lines()
    assert d["error_code"] == "authentication failed"
    assert d["error"].startswith("credential_process: credential_process output is not valid JSON")


def test_credential_process_missing_keys(probe, home, tmp_path):
    cmd = script(tmp_path, "half.sh", 'echo \'{"Version": 1, "AccessKeyId": "AKID"}\'\n')
    process_profile(home, cmd)
    d = probe(clean_env(home)).lines()
    assert d["error"] == "credential_process: output lacks AccessKeyId or SecretAccessKey"


def test_credential_process_failure_reports_exit_code_and_stderr(probe, home, tmp_path):
    cmd = script(tmp_path, "fail.sh",
                 "echo 'Error loading SSO Token: Token for corp does not exist' >&2\nexit 255\n")
    process_profile(home, cmd)
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "authentication failed"
    assert d["error"] == ("credential_process: the command exited with 255: Error loading SSO "
                          "Token: Token for corp does not exist")


def test_credential_process_bad_expiration(probe, home, tmp_path):
    cmd = script(tmp_path, "exp.sh", 'echo \'{"Version": 1, "AccessKeyId": "AKID", '
                 '"SecretAccessKey": "%s", "Expiration": "tomorrow"}\'\n' % SECRET)
    process_profile(home, cmd)
    d = probe(clean_env(home), secrets=(SECRET,)).lines()
    assert d["error_code"] == "authentication failed"
    assert "ISO 8601" in d["error"]


def test_credential_process_is_not_skipped_when_it_fails(probe, home, tmp_path):
    # A configured credential_process that fails is the answer: the chain must not go
    # on to the container endpoint (which would answer here).
    cmd = script(tmp_path, "fail.sh", "exit 3\n")
    process_profile(home, cmd)
    with Ecs(creds_json("AKIDECS", SECRET)) as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/c")).lines()
        assert ecs.requests == []
    assert d["error"] == "credential_process: the command exited with 3"


# ------------------------------------------------------------------ ECS


def test_ecs_full_uri_with_token(probe, home):
    with Ecs(creds_json("AKIDECS", SECRET, TOKEN, "2031-01-02T03:04:05Z"),
             require="Bearer ecs-token-1") as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/v1/creds?x=1",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer ecs-token-1"),
                  secrets=(SECRET, TOKEN)).lines()
        assert [(r.method, r.path) for r in ecs.requests] == [("GET", "/v1/creds?x=1")]
        assert ecs.requests[0].headers["authorization"] == "Bearer ecs-token-1"
    assert d == {"provider": "ecs", "access_key_id": "AKIDECS", "session_token": "yes",
                 "expiration": "2031-01-02T03:04:05Z", "secret_sha256": sha(SECRET)}


def test_ecs_token_file_wins_over_the_variable(probe, home, tmp_path):
    # EKS Pod Identity: the token is in a file that is rotated; read it each time.
    tf = tmp_path / "eks-pod-identity-token"
    tf.write_text("pod-identity-token-from-file\n")
    with Ecs(creds_json("AKIDPOD", SECRET), require="pod-identity-token-from-file") as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/v1/credentials",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tf),
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="stale-variable")).lines()
        assert ecs.requests[0].headers["authorization"] == "pod-identity-token-from-file"
    assert d["provider"] == "ecs"
    assert d["access_key_id"] == "AKIDPOD"


def test_ecs_relative_uri_goes_to_the_agent_address(probe, home):
    # RELATIVE_URI always means http://169.254.170.2; map that address to the stand-in.
    with Ecs(creds_json("AKIDREL", SECRET)) as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/abc-1",
                            BERTH_CONNECT_TO="169.254.170.2:80:127.0.0.1:%d" % ecs.port)).lines()
        assert [r.path for r in ecs.requests] == ["/v2/credentials/abc-1"]
        assert ecs.requests[0].headers["host"] == "169.254.170.2"
        assert "authorization" not in ecs.requests[0].headers
    assert d["provider"] == "ecs"
    assert d["access_key_id"] == "AKIDREL"


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "169.254.169.254",
                                  "127.0.0.1.nip.io", "127.evil.test", "localhost.evil.test"])
def test_ecs_full_uri_to_a_forbidden_host_is_refused(probe, home, host):
    # The token must never travel to an arbitrary host over plain HTTP. The stand-in
    # is reachable under that name, so a request that should not happen would show.
    with Ecs(creds_json("AKIDECS", SECRET)) as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://%s:%d/creds"
                            % (host, ecs.port),
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="do-not-send-me",
                            BERTH_CONNECT_TO="%s:%d:127.0.0.1:%d" % (host, ecs.port, ecs.port)),
                  secrets=("do-not-send-me",)).lines()
        assert ecs.requests == []
    assert d["error_code"] == "configuration error"
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback" in d["error"]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "[::1]"])
def test_ecs_full_uri_loopback_forms_are_allowed(probe, home, host):
    with Ecs(creds_json("AKIDLOOP", SECRET)) as ecs:
        env = clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://%s:%d/creds"
                        % (host, ecs.port))
        if host != "127.0.0.1":
            env["BERTH_CONNECT_TO"] = "%s:%d:127.0.0.1:%d" % (host, ecs.port, ecs.port)
        d = probe(env).lines()
    assert d.get("access_key_id") == "AKIDLOOP", d


def test_ecs_endpoint_refusal(probe, home):
    with Ecs(creds_json("AKIDECS", SECRET), require="right") as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/creds",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong-token-value"),
                  secrets=("wrong-token-value",)).lines()
    assert d["error_code"] == "authentication failed"
    assert d["error"] == "ecs: the credentials endpoint answered HTTP 401"


def test_ecs_token_with_a_line_break_is_refused(probe, home, tmp_path):
    tf = tmp_path / "token"
    tf.write_text("abc\nX-Injected: 1\n")
    with Ecs(creds_json("AKIDECS", SECRET)) as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/creds",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tf))).lines()
        assert ecs.requests == []
    assert d["error_code"] == "configuration error"


# ------------------------------------------------------------------ IMDSv2


def imds_env(home: str, imds: Imds, **extra: str) -> dict[str, str]:
    vars = {"AWS_EC2_METADATA_DISABLED": None,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url + "/"}
    vars.update(extra)
    return clean_env(home, **vars)


def test_imds_v2(probe, home):
    with Imds(creds_json("ASIAIMDS", SECRET, TOKEN, "2031-02-03T04:05:06Z")) as imds:
        d = probe(imds_env(home, imds), secrets=(SECRET, TOKEN)).lines()
        reqs = [(r.method, r.path) for r in imds.requests]
        assert reqs == [("PUT", "/latest/api/token"),
                        ("GET", "/latest/meta-data/iam/security-credentials/"),
                        ("GET", "/latest/meta-data/iam/security-credentials/berth-instance-role")]
        assert imds.requests[0].headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600"
        for r in imds.requests[1:]:
            assert r.headers["x-aws-ec2-metadata-token"] == Imds.TOKEN
    assert d == {"provider": "imds", "access_key_id": "ASIAIMDS", "session_token": "yes",
                 "expiration": "2031-02-03T04:05:06Z", "secret_sha256": sha(SECRET)}


@pytest.mark.parametrize("value", ["true", "TRUE", "True"])
def test_imds_disabled(probe, home, value):
    with Imds(creds_json("ASIAIMDS", SECRET)) as imds:
        d = probe(imds_env(home, imds, AWS_EC2_METADATA_DISABLED=value)).lines()
        assert imds.requests == []
    assert d["error_code"] == "authentication failed"
    assert d["error"].startswith("no AWS credentials found (")
    assert "imds: disabled by AWS_EC2_METADATA_DISABLED" in d["error"]


def test_imds_v1_only_is_refused(probe, home):
    with Imds(creds_json("ASIAV1", SECRET), mode="v1") as imds:
        d = probe(imds_env(home, imds)).lines()
        # No fallback to token-less GETs.
        assert [r.method for r in imds.requests] == ["PUT"]
    assert d["error"].startswith("no AWS credentials found (")
    assert "imds: token request answered HTTP 405" in d["error"]


def test_imds_unreachable_falls_through_quickly(probe, home):
    port = awslib.free_port()  # nothing listens there
    env = clean_env(home, AWS_EC2_METADATA_DISABLED=None,
                    AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d" % port)
    d = probe(env).lines()
    assert d["error"].startswith("no AWS credentials found (")
    assert "imds: no instance metadata service" in d["error"]


def test_imds_failed_code(probe, home):
    with Imds(json.dumps({"Code": "AssumeRoleUnauthorizedAccess", "Message": "x"})) as imds:
        d = probe(imds_env(home, imds)).lines()
    assert d["error_code"] == "authentication failed"
    assert d["error"] == "imds: credentials reply says AssumeRoleUnauthorizedAccess"


# ------------------------------------------------------------------ profiles and the chain


def test_environment_wins_over_profiles(probe, home):
    write_aws_files(home, credentials="[default]\naws_access_key_id = AKIDPROFILE\n"
                    "aws_secret_access_key = profile-secret\n")
    d = probe(clean_env(home, AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY=SECRET,
                        AWS_SESSION_TOKEN=TOKEN), secrets=(SECRET, TOKEN)).lines()
    assert (d["provider"], d["access_key_id"], d["session_token"]) == ("environment", "AKIDENV",
                                                                       "yes")


def test_static_profiles_by_name(probe, home):
    write_aws_files(home, config="[profile dev]\nregion = eu-west-1\n",
                    credentials="[default]\naws_access_key_id = AKIDDEFAULT\n"
                    "aws_secret_access_key = default-secret\n"
                    "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = %s\n"
                    "aws_session_token = %s\n" % (SECRET, TOKEN))
    assert probe(clean_env(home)).lines()["access_key_id"] == "AKIDDEFAULT"
    d = probe(clean_env(home, AWS_PROFILE="dev"), secrets=(SECRET, TOKEN)).lines()
    assert (d["provider"], d["access_key_id"], d["session_token"],
            d["secret_sha256"]) == ("static", "AKIDDEV", "yes", sha(SECRET))
    assert probe(clean_env(home), profile="dev").lines()["access_key_id"] == "AKIDDEV"


def test_explicit_profile_negates_environment_keys(probe, home):
    # As `aws --profile dev`: an explicitly chosen profile is used even when the
    # environment holds keys (AWS_PROFILE alone does not override them).
    write_aws_files(home, credentials="[dev]\naws_access_key_id = AKIDDEV\n"
                    "aws_secret_access_key = dev-secret\n")
    env = clean_env(home, AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY=SECRET)
    assert probe(env, profile="dev").lines()["access_key_id"] == "AKIDDEV"
    assert probe(dict(env, AWS_PROFILE="dev")).lines()["access_key_id"] == "AKIDENV"


def test_a_missing_named_profile_is_an_error_not_a_fall_through(probe, home):
    # Falling through would quietly pick up whatever the container endpoint serves.
    write_aws_files(home, credentials="[dev]\naws_access_key_id = AKIDDEV\n"
                    "aws_secret_access_key = s\n")
    with Ecs(creds_json("AKIDECS", SECRET)) as ecs:
        env = clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/c")
        for d in (probe(dict(env, AWS_PROFILE="prod")).lines(),
                  probe(env, profile="prod").lines()):
            assert d["error_code"] == "configuration error", d
            assert "profile 'prod'" in d["error"]
            assert "not found" in d["error"]
        assert ecs.requests == []
        # Without a chosen profile, a missing [default] just means "not here".
        assert probe(env).lines()["access_key_id"] == "AKIDECS"


def test_half_configured_profile(probe, home):
    write_aws_files(home, credentials="[default]\naws_access_key_id = AKIDHALF\n")
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "configuration error"
    assert d["error"] == ("profile 'default': has only one of aws_access_key_id and "
                          "aws_secret_access_key")


def test_malformed_credentials_file_names_file_and_line_never_the_value(probe, home):
    write_aws_files(home, credentials="[default]\naws_access_key_id = AKID\n"
                    "aws_secret_access_key %s\n" % SECRET)
    d = probe(clean_env(home), secrets=(SECRET,)).lines()
    assert d["error_code"] == "configuration error"
    assert d["error"] == "%s/.aws/credentials:3: expected 'key = value' (no '=' found)" % home


def test_sso_profiles_are_reported_unsupported(probe, home):
    write_aws_files(home, config="[default]\nsso_session = corp\nsso_account_id = 1\n")
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "not supported"
    assert "AWS SSO" in d["error"]


def test_role_profile_cycle_is_reported_without_any_request(probe, home):
    write_aws_files(home, config="[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\n"
                    "source_profile = b\n"
                    "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\n"
                    "source_profile = a\n")
    with Ecs(creds_json("AKIDECS", SECRET)) as sts:  # would record any STS call
        d = probe(clean_env(home, AWS_PROFILE="a", AWS_ENDPOINT_URL=sts.url)).lines()
        assert sts.requests == []
    assert d["error_code"] == "configuration error"
    assert d["error"] == "profile 'a': source_profile chain has a cycle"


def test_role_profile_with_a_missing_source_profile_stops_the_chain(probe, home):
    write_aws_files(home, config="[default]\nrole_arn = arn:aws:iam::123456789012:role/a\n"
                    "source_profile = nowhere\n")
    with Ecs(creds_json("AKIDECS", SECRET)) as ecs:
        d = probe(clean_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=ecs.url + "/c")).lines()
        assert ecs.requests == []
    assert d["error_code"] == "configuration error", d
    assert "'nowhere'" in d["error"]


def test_role_profile_without_a_source(probe, home):
    write_aws_files(home, config="[default]\nrole_arn = arn:aws:iam::123456789012:role/a\n")
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "configuration error"
    assert "needs source_profile, credential_source or web_identity_token_file" in d["error"]
    write_aws_files(home, config="[default]\nrole_arn = arn:aws:iam::123456789012:role/a\n"
                    "credential_source = Ec2Metadata\n")
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "configuration error"
    assert "unknown credential_source 'Ec2Metadata'" in d["error"]


def test_nothing_configured_lists_every_provider(probe, home):
    d = probe(clean_env(home)).lines()
    assert d["error_code"] == "authentication failed"
    msg = d["error"]
    assert msg.startswith("no AWS credentials found (environment: ")
    for part in ("environment:", "profile 'default'", "ecs:", "imds:"):
        assert part in msg
