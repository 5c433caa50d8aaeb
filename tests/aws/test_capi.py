"""The C ABI's AWS functions (berth_aws_*, berth_ecr_*) as a C caller sees them,
through ctypes in a child process with a clean environment, against moto (IAM auth
on): results, error codes and berth_last_error() fields."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest

import awslib
from awslib import ACCOUNT, moto_env, user_env

CHILD = textwrap.dedent(r'''
    import ctypes, json, sys
    from ctypes import POINTER, c_char_p, c_int, c_int32, c_int64, c_uint32, c_void_p

    class Opts(ctypes.Structure):
        _fields_ = [("version", c_uint32), ("region", c_char_p), ("profile", c_char_p),
                    ("role_arn", c_char_p), ("role_session_name", c_char_p),
                    ("external_id", c_char_p), ("role_duration_seconds", c_int64),
                    ("ecr_endpoint", c_char_p), ("sts_endpoint", c_char_p),
                    ("ca_bundle", c_char_p)]

    class ErrInfo(ctypes.Structure):
        _fields_ = [("code", c_int32), ("http_status", c_int32), ("message", c_char_p),
                    ("aws_code", c_char_p), ("request_id", c_char_p)]

    L = ctypes.CDLL(sys.argv[1])
    L.berth_last_error.restype = POINTER(ErrInfo)
    L.berth_free.argtypes = [c_void_p]
    out = c_void_p()

    def result(rc):
        if rc == 0:
            s = ctypes.string_at(out.value).decode()
            L.berth_free(out)
            return {"rc": 0, "out": s}
        e = L.berth_last_error().contents
        return {"rc": rc, "null_out": out.value is None, "http_status": e.http_status,
                "message": e.message.decode(), "aws_code": e.aws_code.decode(),
                "request_id": e.request_id.decode(), "code": e.code}

    o = Opts()
    assert L.berth_aws_options_init(ctypes.byref(o), 1) == 0
    for k, v in json.loads(sys.argv[3]).items():
        setattr(o, k, v.encode() if isinstance(v, str) else v)
    call = sys.argv[2]
    if call == "credentials":
        rc = L.berth_aws_credentials(ctypes.byref(out), ctypes.byref(o))
    elif call == "identity":
        rc = L.berth_aws_caller_identity(ctypes.byref(out), ctypes.byref(o))
    elif call == "login":
        rc = L.berth_ecr_login(ctypes.byref(out), sys.argv[4].encode() or None, ctypes.byref(o))
    elif call == "call":
        rc = L.berth_ecr_call(ctypes.byref(out), sys.argv[4].encode(), sys.argv[5].encode(),
                              ctypes.byref(o))
    elif call == "bad-version":
        o.version = 0
        rc = L.berth_aws_credentials(ctypes.byref(out), ctypes.byref(o))
    print(json.dumps(result(rc)))
''')


@pytest.fixture(scope="module")
def libberth(berth_bin: str) -> str:
    build = os.path.dirname(os.path.dirname(berth_bin))
    for name in ("libberth.so", os.path.join("lib", "libberth.so")):
        p = os.path.join(build, name)
        if os.path.exists(p):
            return p
    pytest.skip("libberth.so not found next to %s" % berth_bin)


def capi(lib: str, env: dict[str, str], call: str, opts: dict | None = None, *args: str,
         secrets: tuple[str, ...] = ()) -> dict:
    r = awslib.run([sys.executable, "-c", CHILD, lib, call, json.dumps(opts or {})] + list(args),
                   env, secrets=secrets)
    assert r.code == 0, r.err
    d = json.loads(r.out)
    if d["rc"] != 0:
        for s in secrets:
            assert s not in d["message"]
    return d


def test_credentials_json(libberth, world, home):
    u = world.users["puller"]
    d = capi(libberth, user_env(world, home, "puller", AWS_SESSION_TOKEN="tok-1"), "credentials")
    assert d["rc"] == 0
    assert json.loads(d["out"]) == {"Version": 1, "AccessKeyId": u.key,
                                    "SecretAccessKey": u.secret, "SessionToken": "tok-1",
                                    "Provider": "environment"}


def test_credentials_errors(libberth, world, home):
    d = capi(libberth, moto_env(world, home), "credentials", {"profile": "nope"})
    assert d["rc"] == -16 and d["code"] == -16  # BERTH_ECONFIG
    assert d["null_out"]
    assert "profile 'nope'" in d["message"]
    d = capi(libberth, moto_env(world, home), "credentials")
    assert d["rc"] == -6  # BERTH_EAUTH
    assert d["message"].startswith("no AWS credentials found")
    d = capi(libberth, moto_env(world, home), "bad-version")
    assert d["rc"] == -1  # BERTH_EINVAL
    assert "BERTH_AWS_OPTIONS_INIT" in d["message"]


def test_identity_and_assumed_role(libberth, world, home):
    d = capi(libberth, user_env(world, home, "assumer"), "identity",
             {"role_arn": world.roles["ecr-pusher"], "external_id": "berth-ext-7",
              "role_session_name": "capi"}, secrets=world.all_secrets())
    assert d["rc"] == 0, d
    assert json.loads(d["out"])["Arn"] == \
        "arn:aws:sts::%s:assumed-role/ecr-pusher/capi" % ACCOUNT


def test_ecr_login_and_call(libberth, world, home):
    env = user_env(world, home, "puller")
    d = capi(libberth, env, "login", {}, "")
    assert d["rc"] == 0, d
    login = json.loads(d["out"])
    assert login["registry"] == "%s.dkr.ecr.us-east-1.amazonaws.com" % ACCOUNT
    assert (login["username"], login["password"]) == ("AWS", "%s-auth-token" % ACCOUNT)
    assert isinstance(login["expiresAt"], int)
    d = capi(libberth, env, "call", {}, "CreateRepository", '{"repositoryName": "capi/x"}',
             secrets=world.all_secrets())
    assert d["rc"] == -7  # BERTH_EDENIED
    assert (d["http_status"], d["aws_code"]) == (403, "AccessDenied")
    assert "ecr:CreateRepository" in d["message"]
    assert d["request_id"]
    d = capi(libberth, user_env(world, home, "admin"), "call", {}, "DescribeRepositories",
             '{"repositoryNames": ["capi/none"]}')
    assert d["rc"] == -8  # BERTH_ENOTFOUND
    assert (d["http_status"], d["aws_code"]) == (400, "RepositoryNotFoundException")
