"""Credentials go to the host they were given for, and nowhere else (issue 20, items 1
and 2): --src-creds never reach a mirror, --dest-creds never reach a second registry,
and a token request carrying a secret (Basic credentials, a refresh token) is never
replayed by a redirect to another origin or to plain http. Each case failed before its
fix: the mirror received the source's password, the http hop the refresh token."""

from __future__ import annotations

import base64
import json
import os

import itlib
import secret_scan  # tests/servers, on sys.path through conftest
import stack  # tests/servers, on sys.path through conftest
from hostile_registry import HostileRegistry, TokenRecorder, send
from itlib import EXIT_USAGE, run

LAYER = itlib.tar_bytes({"hello.txt": b"credentials stay home\n"})


def push_image(berth, reg, repo: str, tmp_path) -> str:
    layout = str(tmp_path / "src-layout")
    itlib.make_layout_image(layout, "v1", [LAYER])
    ref = "%s/%s:v1" % (reg.hostport, repo)
    berth.copy("oci:%s:v1" % layout, ref, "--dest-creds", "%s:%s" % (reg.username, reg.password))
    return ref


def challenging(realm: str):
    """Every request is answered 401 with a Basic challenge: a mirror that wants
    credentials, so any berth has for it are sent."""
    def handler(h) -> None:
        send(h, 401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
             {"WWW-Authenticate": 'Basic realm="%s"' % realm, "Content-Type": "application/json"})
    return handler


def authorizations(requests) -> list[str]:
    return [hdrs.get("Authorization", "") for _, _, hdrs in requests
            if hdrs.get("Authorization")]


def test_src_creds_never_reach_the_mirror(berth, basic_reg, repo, tmp_path):
    ref = push_image(berth, basic_reg, repo, tmp_path)
    creds = "%s:%s" % (basic_reg.username, basic_reg.password)
    secret = base64.b64encode(creds.encode()).decode()
    with HostileRegistry() as mirror:
        mirror.route("GET", r"/v2/.*", challenging("mirror"))
        mirror.route("HEAD", r"/v2/.*", challenging("mirror"))
        for cmd in ("pull", "copy"):
            out = "oci:%s:t" % (tmp_path / ("out-" + cmd))
            r = run([berth.binary, cmd, "--src-creds", creds, "--mirror",
                     "%s=%s" % (basic_reg.hostport, mirror.host), ref, out],
                    env=berth.env, check=False)
            assert r.returncode == 0, r.describe()  # served by the source after the mirror
        assert mirror.requests, "the mirror was never asked"
        leaked = [a for a in authorizations(mirror.requests) if secret in a or
                  basic_reg.password in a]
        assert leaked == [], "the mirror received the source's credentials"
        # The source itself did get them (the pull succeeded against htpasswd auth).


def test_a_mirror_uses_its_own_docker_config_entry(berth, basic_reg, repo, tmp_path):
    """What the keychain holds for the mirror's host is what the mirror gets."""
    ref = push_image(berth, basic_reg, repo, tmp_path)
    with HostileRegistry() as mirror:
        mirror.route("GET", r"/v2/.*", challenging("mirror"))
        mirror.route("HEAD", r"/v2/.*", challenging("mirror"))
        os.makedirs(berth.env["DOCKER_CONFIG"], exist_ok=True)
        mirror_secret = base64.b64encode(b"mirror-user:mirror-pass").decode()
        secret_scan.secret("mirror-pass")
        with open(os.path.join(berth.env["DOCKER_CONFIG"], "config.json"), "w") as f:
            json.dump({"auths": {mirror.host: {"auth": mirror_secret}}}, f)
        r = run([berth.binary, "pull", "--src-creds",
                 "%s:%s" % (basic_reg.username, basic_reg.password), "--mirror",
                 "%s=%s" % (basic_reg.hostport, mirror.host), ref,
                 "oci:%s:t" % (tmp_path / "out")], env=berth.env, check=False)
        assert r.returncode == 0, r.describe()
        assert authorizations(mirror.requests) and all(
            a == "Basic " + mirror_secret for a in authorizations(mirror.requests))


def test_dest_creds_are_not_sent_to_a_second_registry(berth, basic_reg, plain_reg, repo,
                                                       tmp_path):
    ref = push_image(berth, basic_reg, repo, tmp_path)
    creds = "%s:%s" % (basic_reg.username, basic_reg.password)
    r = run([berth.binary, "replicate", "--src-creds", creds, "--dest-creds", creds, ref,
             "%s/%s:copy" % (basic_reg.hostport, repo), "%s/%s:copy" % (plain_reg.hostport, repo)],
            env=berth.env, check=False)
    assert r.returncode == EXIT_USAGE, r.describe()
    assert "one registry" in r.stderr
    assert basic_reg.password not in r.stderr


# ------------------------------------------------------------------ token realm redirects


def tls_pair(tmp_path):
    ca = stack.TestCA(str(tmp_path / "ca"))
    return ca, ca.issue("localhost", ("127.0.0.1", "localhost"))


def redirecting_realm(cert, to: str) -> HostileRegistry:
    """An https token realm that answers every token request with a 307 to `to`."""
    realm = HostileRegistry(tls_cert=(cert.chain_file, cert.key_file))
    for method in ("GET", "POST"):
        realm.route(method, "/token", lambda h: (h.rfile.read(int(h.headers.get(
            "Content-Length") or 0)), send(h, 307, b"", {"Location": to})))
    return realm


def test_basic_token_request_is_not_redirected_to_http(berth, tmp_path):
    ca, cert = tls_pair(tmp_path)
    recorder = TokenRecorder()
    secret_scan.secret("hunter2-realm")
    realm = redirecting_realm(cert, recorder.url)
    try:
        with HostileRegistry(tls_cert=(cert.chain_file, cert.key_file),
                             bearer_realm="https://%s/token" % realm.host) as reg:
            reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
            r = run([berth.binary, "pull", "--ca-bundle", ca.cert_file, "--src-creds",
                     "user:hunter2-realm", reg.host + "/app:v1", "oci:%s:t" % (tmp_path / "l")],
                    env=berth.env, check=False)
            assert r.returncode != 0, r.describe()
            assert "refusing to follow a redirect" in r.stderr, r.stderr
            assert recorder.hits == []
    finally:
        realm.close()
        recorder.close()


def test_refresh_token_is_not_replayed_across_a_redirect(berth, tmp_path):
    ca, cert = tls_pair(tmp_path)
    recorder = TokenRecorder()
    other_cert = ca.issue("localhost", ("localhost",))
    other = HostileRegistry(tls_cert=(other_cert.chain_file, other_cert.key_file))
    other_url = "https://localhost:%d/token" % other.port  # another origin, still https
    secret_scan.secret("refresh-me-not")
    try:
        for target, hops in ((recorder.url, lambda: recorder.hits),
                             (other_url, lambda: [q for q in other.requests])):
            realm = redirecting_realm(cert, target)
            try:
                with HostileRegistry(tls_cert=(cert.chain_file, cert.key_file),
                                     bearer_realm="https://%s/token" % realm.host) as reg:
                    reg.add_image("app", "v1", [reg.add_blob("app", LAYER)])
                    os.makedirs(berth.env["DOCKER_CONFIG"], exist_ok=True)
                    with open(os.path.join(berth.env["DOCKER_CONFIG"], "config.json"), "w") as f:
                        json.dump({"auths": {reg.host: {"identitytoken": "refresh-me-not"}}}, f)
                    r = run([berth.binary, "pull", "--ca-bundle", ca.cert_file,
                             reg.host + "/app:v1", "oci:%s:t" % (tmp_path / "l")],
                            env=berth.env, check=False)
                    assert r.returncode != 0, r.describe()
                    assert "refusing to follow a redirect" in r.stderr, r.stderr
                    assert hops() == [], target
                    posts = [q for q in realm.requests if q[0] == "POST"]
                    assert posts, "the refresh-token grant was never tried"
            finally:
                realm.close()
    finally:
        other.close()
        recorder.close()
