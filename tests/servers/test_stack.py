"""Self-tests of the test stack with real clients (skopeo, curl).

Run: python3 -m pytest -q tests/servers
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import stack

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- helpers


def run(cmd: list[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s -> %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-3000:]))
    return p


def skopeo_push(image: dict, dest: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["skopeo", "copy", "--retry-times", "0", *extra, image["ref"], "docker://" + dest],
               check=check)


def curl(*args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess:
    return run(["curl", "-sS", "--max-time", "30", *args], check=check, timeout=timeout)


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
         ctx=None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def push_blob(base: str, repo: str, data: bytes, headers: dict | None = None, ctx=None) -> str:
    """Monolithic upload (POST + PUT); returns the digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = http("POST", "%s/v2/%s/blobs/uploads/" % (base, repo), b"", headers, ctx)
    assert st == 202, st
    loc = h["location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    st, _, body = http("PUT", loc + sep + "digest=" + digest, data,
                       dict(headers or {}, **{"Content-Type": "application/octet-stream"}), ctx)
    assert st == 201, (st, body)
    return digest


# ---------------------------------------------------------------- registries


def test_plain_registry_skopeo(plain_registry, oci_image, tmp_path):
    reg = plain_registry
    skopeo_push(oci_image, reg.hostport + "/berth/plain:v1", "--dest-tls-verify=false")
    out = run(["skopeo", "inspect", "--tls-verify=false", "docker://%s/berth/plain:v1" % reg.hostport])
    info = json.loads(out.stdout)
    assert len(info["Layers"]) == 1
    # and back out again, to an OCI layout
    run(["skopeo", "copy", "--src-tls-verify=false", "docker://%s/berth/plain:v1" % reg.hostport,
         "oci:%s:v1" % (tmp_path / "back")])
    st, _, body = http("GET", reg.url + "/v2/_catalog")
    assert st == 200 and json.loads(body)["repositories"] == ["berth/plain"]
    # deletes are enabled
    st, h, _ = http("HEAD", reg.url + "/v2/berth/plain/manifests/v1",
                    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert st == 200
    st, _, _ = http("DELETE", reg.url + "/v2/berth/plain/manifests/" + h["docker-content-digest"])
    assert st == 202
    assert "GET /v2/_catalog" in reg.log_text()


def test_htpasswd_registry_skopeo(htpasswd_registry, oci_image):
    reg = htpasswd_registry
    assert (reg.username, reg.password) == (stack.DEFAULT_USER, stack.DEFAULT_PASSWORD)
    dest = reg.hostport + "/berth/basic:v1"
    p = skopeo_push(oci_image, dest, "--dest-tls-verify=false", check=False)
    assert p.returncode != 0 and "authentication required" in p.stderr.lower()
    p = skopeo_push(oci_image, dest, "--dest-tls-verify=false", "--dest-creds", "testuser:wrong",
                    check=False)
    assert p.returncode != 0
    skopeo_push(oci_image, dest, "--dest-tls-verify=false",
                "--dest-creds", "%s:%s" % (reg.username, reg.password))
    st, h, _ = http("GET", reg.url + "/v2/")
    assert st == 401 and h["www-authenticate"].startswith("Basic ")
    st, _, _ = http("GET", reg.url + "/v2/berth/basic/tags/list",
                    headers={"Authorization": basic(reg.username, reg.password)})
    assert st == 200


def test_token_registry_skopeo(registry_factory, oci_image):
    reg = registry_factory(auth="token", users={
        "testuser": "testpass", "reader": {"password": "readpass", "access": {"*": ["pull"]}}})
    ts = reg.token_server
    dest = reg.hostport + "/berth/token:v1"
    st, h, _ = http("GET", reg.url + "/v2/")
    assert st == 401
    assert h["www-authenticate"] == 'Bearer realm="%s",service="%s"' % (ts.realm, ts.service)

    skopeo_push(oci_image, dest, "--dest-tls-verify=false", "--dest-creds", "testuser:testpass")
    reqs = ts.requests
    assert reqs and all(r["authorization"] and r["username"] == "testuser" for r in reqs)
    assert any("repository:berth/token:pull,push" in r["scopes"] for r in reqs), reqs
    assert all(r["status"] == 200 for r in reqs)
    # one token per scope set: far fewer token requests than registry requests
    assert len(reqs) <= 3, reqs
    granted = [g for r in reqs for g in r["granted"]]
    assert {"type": "repository", "name": "berth/token", "actions": ["pull", "push"]} in granted

    # a pull-only user and anonymous cannot push; the reader can pull
    ts.clear_requests()
    p = skopeo_push(oci_image, reg.hostport + "/berth/token:v2", "--dest-tls-verify=false",
                    "--dest-creds", "reader:readpass", check=False)
    assert p.returncode != 0
    assert ts.requests[0]["granted"] == [] or all(
        "push" not in g["actions"] for r in ts.requests for g in r["granted"])
    p = skopeo_push(oci_image, reg.hostport + "/berth/token:v3", "--dest-tls-verify=false", check=False)
    assert p.returncode != 0
    run(["skopeo", "inspect", "--tls-verify=false", "--creds", "reader:readpass", "docker://" + dest])
    p = run(["skopeo", "inspect", "--tls-verify=false", "--creds", "reader:bad", "docker://" + dest],
            check=False)
    assert p.returncode != 0
    assert any(r["status"] == 401 for r in ts.requests)


@pytest.mark.parametrize("alg,key_mode,backend", [
    ("RS256", "x5c", "cryptography"),
    ("ES256", "x5c", "openssl"),
    ("RS256", "kid", "openssl"),
    ("ES256", "kid", "cryptography"),
    ("ES256", "both", "openssl"),
])
def test_token_protocol(registry_factory, alg, key_mode, backend):
    if backend == "cryptography" and not stack._have_cryptography():
        pytest.skip("cryptography not importable")
    reg = registry_factory(auth="token", token_options={
        "alg": alg, "key_mode": key_mode, "signing_backend": backend})
    ts = reg.token_server
    assert ts.signer.backend == backend
    q = "?service=%s&scope=repository:berth/proto:pull,push" % ts.service

    # GET with Basic -> token the registry accepts
    st, _, body = http("GET", ts.realm + q + "&offline_token=true",
                       headers={"Authorization": basic("testuser", "testpass")})
    assert st == 200, body
    tok = json.loads(body)
    assert tok["token"] == tok["access_token"] and tok["expires_in"] == 300 and tok["refresh_token"]
    header, claims = ts.decode(tok["token"])
    assert header["alg"] == alg
    assert ("x5c" in header) == (key_mode in ("x5c", "both"))
    assert ("kid" in header) == (key_mode in ("kid", "both"))
    assert claims["aud"] == ts.service and claims["iss"] == ts.issuer and claims["sub"] == "testuser"
    assert {"iat", "nbf", "exp", "jti"} <= set(claims)
    bearer = {"Authorization": "Bearer " + tok["token"]}
    digest = push_blob(reg.url, "berth/proto", b"x" * 1000, bearer)
    st, _, _ = http("HEAD", "%s/v2/berth/proto/blobs/%s" % (reg.url, digest), headers=bearer)
    assert st == 200

    # a token for another repository is refused with insufficient_scope
    st, h, _ = http("HEAD", "%s/v2/berth/other/blobs/%s" % (reg.url, digest), headers=bearer)
    assert st == 401 and 'error="insufficient_scope"' in h["www-authenticate"]
    assert "scope=\"repository:berth/other:pull\"" in h["www-authenticate"]

    # a forged token (wrong key) is refused
    with stack.TokenServer(alg=alg, key_mode=key_mode, service=ts.service, issuer=ts.issuer) as other:
        forged = other.mint("testuser", claims["access"])
    st, _, _ = http("HEAD", "%s/v2/berth/proto/blobs/%s" % (reg.url, digest),
                    headers={"Authorization": "Bearer " + forged})
    assert st == 401

    # OAuth2 POST: password grant with access_type=offline, then refresh_token grant
    form = "grant_type=password&username=testuser&password=testpass&service=%s" \
           "&scope=repository:berth/proto:pull&client_id=berth-tests&access_type=offline" % ts.service
    st, _, body = http("POST", ts.realm, form.encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200, body
    o = json.loads(body)
    assert o["refresh_token"] and o["scope"] == "repository:berth/proto:pull" and "token" not in o
    form = "grant_type=refresh_token&refresh_token=%s&service=%s" \
           "&scope=repository:berth/proto:pull&client_id=berth-tests" % (o["refresh_token"], ts.service)
    st, _, body = http("POST", ts.realm, form.encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 200, body
    r = json.loads(body)
    assert "refresh_token" not in r
    st, _, _ = http("HEAD", "%s/v2/berth/proto/blobs/%s" % (reg.url, digest),
                    headers={"Authorization": "Bearer " + r["access_token"]})
    assert st == 200
    st, _, _ = http("POST", ts.realm, form.replace("refresh_token=berth", "refresh_token=bogus").encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 401
    st, _, _ = http("GET", ts.realm + q, headers={"Authorization": basic("testuser", "nope")})
    assert st == 401

    grants = [(x["method"], x["grant_type"], x["status"]) for x in ts.requests]
    assert grants == [("GET", None, 200), ("POST", "password", 200), ("POST", "refresh_token", 200),
                      ("POST", "refresh_token", 401), ("GET", None, 401)]
    assert ts.requests[1]["form"]["password"] == ["***"]


def test_token_expiry_and_failures(registry_factory):
    reg = registry_factory(auth="token", token_options={"expires_in": 2, "exact_expiry": True,
                                                        "post_enabled": False})
    ts = reg.token_server
    st, _, body = http("GET", ts.realm + "?service=%s&scope=repository:a/b:pull" % ts.service,
                       headers={"Authorization": basic("testuser", "testpass")})
    tok = json.loads(body)
    assert tok["expires_in"] == 2
    bearer = {"Authorization": "Bearer " + tok["token"]}
    st, _, _ = http("GET", reg.url + "/v2/a/b/tags/list", headers=bearer)
    assert st == 404  # authorized; the repository just does not exist
    # POST disabled -> 404 (clients fall back to GET)
    st, _, _ = http("POST", ts.realm, b"grant_type=password", {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 404
    ts.fail_next(1, 503)
    st, _, _ = http("GET", ts.realm + "?service=%s" % ts.service)
    assert st == 503
    st, _, body = http("GET", ts.realm + "?service=%s" % ts.service)  # anonymous: empty access
    assert st == 200 and ts.decode(json.loads(body)["token"])[1]["access"] == []
    time.sleep(3.1)
    st, h, _ = http("GET", reg.url + "/v2/a/b/tags/list", headers=bearer)
    assert st == 401 and "Bearer" in h["www-authenticate"]


def test_tls_registry_skopeo_and_curl(tls_registry, oci_image, tmp_path):
    reg = tls_registry
    assert reg.url.startswith("https://") and os.path.exists(os.path.join(reg.cert_dir, "ca.crt"))
    p = skopeo_push(oci_image, reg.hostport + "/berth/tls:v1", check=False)
    assert p.returncode != 0 and "certificate" in p.stderr.lower()
    skopeo_push(oci_image, reg.hostport + "/berth/tls:v1", "--dest-cert-dir", reg.cert_dir)
    skopeo_push(oci_image, reg.tls_hostport + "/berth/tls:v2", "--dest-cert-dir", reg.cert_dir)
    p = curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", reg.ca_file,
             "https://%s/v2/" % reg.tls_hostport)
    assert p.returncode == 0 and p.stdout == "200"
    p = curl("-o", "/dev/null", reg.url + "/v2/")  # no CA: verification fails
    assert p.returncode == 60
    other = stack.TestCA(str(tmp_path / "other-ca"))
    p = curl("-o", "/dev/null", "--cacert", other.cert_file, reg.url + "/v2/")
    assert p.returncode == 60
    # a cert for another name fails the hostname check
    with stack.Registry(tls=True, ca=reg.ca, tls_hosts=["wrong.example"]) as wrong:
        p = curl("-o", "/dev/null", "--cacert", wrong.ca_file, "https://%s/v2/" % wrong.tls_hostport)
        assert p.returncode == 60 and "subject name" in p.stderr


def test_token_over_tls_stack(stack_factory, oci_image):
    st = stack_factory("token", tls=True, token_options={"alg": "ES256"})
    reg, ts = st.registry, st.token_server
    assert ts.realm.startswith("https://") and reg.url.startswith("https://")
    skopeo_push(oci_image, reg.hostport + "/berth/tlstoken:v1", "--dest-cert-dir", reg.cert_dir,
                "--dest-creds", "testuser:testpass")
    assert ts.requests and ts.requests[0]["username"] == "testuser"
    s = st.state()
    assert s["tls"]["ca_file"] == reg.ca_file and s["token"]["realm"] == ts.realm


# ---------------------------------------------------------------- fault proxy


def test_proxy_503_then_success(fault_proxy, tmp_path):
    px = fault_proxy
    rule = px.fail("GET", r"^/v2/$", status=503, times=1, retry_after=1)
    p = curl("-i", px.url + "/v2/")
    assert p.stdout.startswith("HTTP/1.1 503") and "Retry-After: 1" in p.stdout
    p = curl("-i", px.url + "/v2/")
    assert p.stdout.startswith("HTTP/1.1 200") and "Docker-Distribution-Api-Version" in p.stdout
    assert rule.hits == 1
    # curl's own retry honours Retry-After and gets through; 429 likewise
    px.clear_requests()
    px.throttle("GET", r"^/v2/$", times=1, retry_after=1)
    t0 = time.monotonic()
    p = curl("-o", str(tmp_path / "out"), "-w", "%{http_code}", "--retry", "2", px.url + "/v2/")
    assert p.stdout == "200" and time.monotonic() - t0 >= 0.9
    assert [(r["method"], r["status"]) for r in px.requests] == [("GET", 429), ("GET", 200)]
    assert px.requests[0]["headers"]["user-agent"].startswith("curl/")


def test_proxy_dropped_response_and_request(fault_proxy, tmp_path):
    px = fault_proxy
    data = os.urandom(3 * 1024 * 1024 + 123)
    digest = push_blob(px.url, "berth/big", data)   # through the proxy, Location via proxy
    assert [r["method"] for r in px.requests] == ["POST", "PUT"]
    assert px.requests[1]["request_bytes"] == len(data)
    blob_url = "%s/v2/berth/big/blobs/%s" % (px.url, digest)

    px.drop_response("GET", r"/blobs/", after_bytes=100_000, times=1)
    out = tmp_path / "partial"
    p = curl("-o", str(out), blob_url)
    assert p.returncode == 18 and out.stat().st_size == 100_000  # 18 = partial file
    rec = px.requests[-1]
    assert rec["action"] == "drop_response" and rec["response_bytes"] == 100_000
    p = curl("-o", str(out), blob_url)
    assert p.returncode == 0 and hashlib.sha256(out.read_bytes()).hexdigest() == digest[7:]

    # a request body cut after 64 KiB: the client sees the connection die, nothing stored
    src = tmp_path / "src"
    data2 = os.urandom(2 * 1024 * 1024)
    src.write_bytes(data2)
    d2 = "sha256:" + hashlib.sha256(data2).hexdigest()
    st, h, _ = http("POST", px.url + "/v2/berth/big/blobs/uploads/", b"")
    px.drop_request("PUT", r"/blobs/uploads/", after_bytes=65536, times=1)
    p = curl("-X", "PUT", "-H", "Content-Type: application/octet-stream", "-H", "Expect:",
             "--data-binary", "@" + str(src), h["location"] + "&digest=" + d2)
    assert p.returncode in (52, 55, 56), (p.returncode, p.stderr)
    assert px.requests[-1]["action"] == "drop_request" and px.requests[-1]["request_bytes"] == 65536
    st, _, _ = http("HEAD", "%s/v2/berth/big/blobs/%s" % (px.url, d2))
    assert st == 404
    # retried, with Expect: 100-continue this time, it goes through
    st, h, _ = http("POST", px.url + "/v2/berth/big/blobs/uploads/", b"")
    p = curl("-X", "PUT", "-H", "Content-Type: application/octet-stream",
             "-H", "Expect: 100-continue", "-o", "/dev/null", "-w", "%{http_code}",
             "--data-binary", "@" + str(src), h["location"] + "&digest=" + d2)
    assert p.stdout == "201", p
    st, _, _ = http("HEAD", "%s/v2/berth/big/blobs/%s" % (px.url, d2))
    assert st == 200


def test_proxy_redirect_to_storage(registry_factory, proxy_factory, tmp_path):
    reg = registry_factory(auth="htpasswd")
    px = proxy_factory(reg)
    auth = {"Authorization": basic(reg.username, reg.password)}
    data = os.urandom(1024 * 1024)
    digest = push_blob(px.url, "berth/redir", data, auth)
    px.redirect_blobs()
    url = "%s/v2/berth/redir/blobs/%s" % (px.url, digest)
    creds = "%s:%s" % (reg.username, reg.password)

    p = curl("-i", "-u", creds, url)  # no -L: just the 307
    assert p.stdout.startswith("HTTP/1.1 307")
    assert "Location: %s/" % px.storage_url in p.stdout

    out = tmp_path / "blob"
    p = curl("-L", "-u", creds, "-o", str(out), "-w", "%{http_code}", url)
    assert p.stdout == "200" and hashlib.sha256(out.read_bytes()).hexdigest() == digest[7:]
    s = px.storage_requests[-1]
    assert s["authorization"] is False and s["status"] == 200 and s["bytes"] == len(data)

    # curl told to forward credentials across hosts: storage says 400, like S3
    p = curl("-L", "--location-trusted", "-u", creds, "-o", str(out), "-w", "%{http_code}", url)
    assert p.stdout == "400"
    s = px.storage_requests[-1]
    assert s["authorization"] is True and s["status"] == 400
    assert b"Only one auth mechanism allowed" in out.read_bytes()

    # the proxy saw the registry requests with credentials
    gets = px.find("GET", r"/blobs/sha256:")
    assert gets and all(r["authorization"] and r["status"] == 307 for r in gets)


def test_proxy_with_skopeo(fault_proxy, oci_image, tmp_path):
    """skopeo push (chunked PATCH) and pull (following blob redirects) through the proxy."""
    px = fault_proxy
    px.fail("PUT", r"/manifests/", status=503, times=1, retry_after=1)
    p = skopeo_push(oci_image, px.hostport + "/berth/px:v1", "--dest-tls-verify=false", check=False)
    assert p.returncode != 0 and "503" in p.stderr
    skopeo_push(oci_image, px.hostport + "/berth/px:v1", "--dest-tls-verify=false")
    assert any(r["method"] == "PATCH" and r["status"] == 202 for r in px.requests)
    px.clear_requests()
    px.redirect_blobs()
    run(["skopeo", "copy", "--src-tls-verify=false", "docker://%s/berth/px:v1" % px.hostport,
         "oci:%s:v1" % (tmp_path / "pulled")])
    assert len(px.storage_requests) >= 2  # config + layer
    assert all(s["status"] == 200 and not s["authorization"] for s in px.storage_requests)


def test_proxy_control_api(fault_proxy):
    px = fault_proxy
    st, _, body = http("POST", px.control_url + "/rules", json.dumps(
        {"action": "status", "method": "GET", "path": "^/v2/$", "status": 500, "times": 2,
         "retry_after": None}).encode(), {"Content-Type": "application/json"})
    assert st == 200 and json.loads(body)["times"] == 2
    assert [http("GET", px.url + "/v2/")[0] for _ in range(3)] == [500, 500, 200]
    st, _, body = http("GET", px.control_url + "/rules")
    assert json.loads(body)[0]["hits"] == 2
    st, _, body = http("GET", px.control_url + "/requests")
    assert [r["status"] for r in json.loads(body)] == [500, 500, 200]
    http("POST", px.control_url + "/reset", b"{}", {"Content-Type": "application/json"})
    assert px.rules == [] and px.requests == []


# ---------------------------------------------------------------- CLI


def _cli(*args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, os.path.join(HERE, "stack.py"), *args], timeout=90)


def test_cli_up_down(tmp_path):
    sd = tmp_path / "state"
    sd.mkdir()
    path = _cli("up", "--kind", "token", "--proxy", "--state-dir", str(sd),
                "--user", "testuser:testpass", "--user", "ro:ropass:pull").stdout.strip()
    assert path == str(sd / "stack.json")
    s = json.loads(open(path).read())
    try:
        assert s["kind"] == "token" and s["auth"]["type"] == "bearer"
        assert s["auth"]["username"] == "testuser" and s["auth"]["password"] == "testpass"
        assert s["registry"]["hostport"] == "127.0.0.1:%d" % s["registry"]["port"]
        assert s["token"]["realm"] == "http://localhost:%d/token" % int(s["token"]["hostport"].split(":")[1])
        assert os.path.exists(s["token"]["rootcertbundle"])
        assert set(s["proxy"]) >= {"url", "hostport", "control_url", "storage_url"}
        assert s["supervisor_pid"] in s["pids"] and s["registry"]["pid"] in s["pids"]
        assert "BERTH_TEST_REGISTRY=" in (sd / "stack.env").read_text()
        st, h, _ = http("GET", s["proxy"]["url"] + "/v2/")
        assert st == 401 and s["token"]["realm"] in h["www-authenticate"]
        st, _, body = http("GET", s["token"]["realm"] + "?service=%s&scope=repository:x/y:pull,push"
                           % s["token"]["service"], headers={"Authorization": basic("ro", "ropass")})
        assert json.loads(body)["token"]
        st, _, body = http("GET", s["token"]["requests_url"])
        assert json.loads(body)[0]["granted"] == [{"type": "repository", "name": "x/y",
                                                   "actions": ["pull"]}]
        assert json.loads(_cli("status", "--state-dir", str(sd)).stdout)["up"] is True
    finally:
        _cli("down", "--state-dir", str(sd))
    for pid in s["pids"]:
        assert not stack._pid_alive(pid), pid
    assert not os.path.exists(s["workdir"]) and not (sd / "stack.json").exists()
    assert sd.exists() and not s["state_dir_created"]  # an existing dir is left in place


def test_cli_default_state_dir_and_tls(tmp_path):
    path = _cli("up", "--kind", "tls").stdout.strip()
    s = json.loads(open(path).read())
    try:
        assert s["state_dir_created"] and s["registry"]["scheme"] == "https"
        p = curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", s["tls"]["ca_file"],
                 s["registry"]["url"] + "/v2/")
        assert p.stdout == "200"
    finally:
        _cli("down", "--state-dir", s["state_dir"])
    assert not os.path.exists(s["state_dir"])
    assert not any(stack._pid_alive(p) for p in s["pids"])


def test_cli_down_after_supervisor_crash(tmp_path):
    sd = tmp_path / "s"
    path = _cli("up", "--kind", "plain", "--state-dir", str(sd)).stdout.strip()
    s = json.loads(open(path).read())
    os.kill(s["supervisor_pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10  # the registry dies with its parent (PDEATHSIG)
    while stack._pid_alive(s["registry"]["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    _cli("down", "--state-dir", str(sd))
    assert not stack._pid_alive(s["registry"]["pid"])
    assert not os.path.exists(s["workdir"])


def test_proxy_close_delay_and_tls_front(stack_factory, oci_image, tmp_path):
    st = stack_factory("tls", proxy=True)
    px, reg = st.proxy, st.registry
    assert px.url.startswith("https://") and px.storage_url.startswith("https://")
    px.close_connection("GET", r"^/v2/$")
    p = curl("--cacert", reg.ca_file, px.url + "/v2/")
    assert p.returncode == 52  # empty reply
    px.delay("GET", r"^/v2/$", seconds=0.5)
    t0 = time.monotonic()
    p = curl("-o", "/dev/null", "-w", "%{http_code}", "--cacert", reg.ca_file, px.url + "/v2/")
    assert p.stdout == "200" and time.monotonic() - t0 >= 0.5
    # skopeo over TLS through the proxy, blobs redirected to the (TLS) storage side
    skopeo_push(oci_image, px.hostport + "/berth/tlspx:v1", "--dest-cert-dir", reg.cert_dir)
    loc = [r for r in px.requests if r["method"] == "POST"][0]["response_headers"]["location"]
    assert loc.startswith("https://%s/" % px.hostport)  # registry URLs point back at the proxy
    px.redirect_blobs()
    run(["skopeo", "copy", "--src-cert-dir", reg.cert_dir,
         "docker://%s/berth/tlspx:v1" % px.hostport, "oci:%s:v1" % (tmp_path / "out")])
    assert px.storage_requests and all(s["status"] == 200 for s in px.storage_requests)


def _crane() -> str | None:
    for c in (os.path.join(HERE, "..", "..", ".tools", "bin", "crane"), "crane"):
        found = shutil.which(c)
        if found:
            return found
    return None


def test_token_registry_crane(token_registry, oci_image, tmp_path, monkeypatch):
    """go-containerregistry's token dance: cross-repository copy asks for two scopes."""
    crane = _crane()
    if not crane:
        pytest.skip("crane not installed")
    reg, ts = token_registry, token_registry.token_server
    skopeo_push(oci_image, reg.hostport + "/berth/src:v1", "--dest-tls-verify=false",
                "--dest-creds", "testuser:testpass")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    run([crane, "auth", "login", reg.hostport, "-u", "testuser", "-p", "testpass"])
    ts.clear_requests()
    run([crane, "copy", "--insecure", reg.hostport + "/berth/src:v1", reg.hostport + "/berth/dst:v1"])
    scopes = {s for r in ts.requests for s in r["scopes"]}
    assert "repository:berth/src:pull" in scopes
    assert any("repository:berth/dst:" in s and "push" in s for s in scopes), scopes
    out = run([crane, "digest", "--insecure", reg.hostport + "/berth/dst:v1"]).stdout.strip()
    assert out.startswith("sha256:")
