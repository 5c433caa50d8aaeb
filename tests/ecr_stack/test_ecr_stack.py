"""Self-tests of the ECR stack with real clients: awscli and boto3 against moto with IAM
auth on, skopeo and curl against the ECR front (TLS verification on everywhere).

Run: python3 -m pytest -q tests/ecr_stack
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

import ecr_stack as E

HERE = os.path.dirname(os.path.abspath(__file__))
ECR_HOST = E.ecr_host()
PUSH_TIMEOUT = 90


# ---------------------------------------------------------------- helpers


def run(cmd: list[str], env: dict | None = None, check: bool = True,
        timeout: float = PUSH_TIMEOUT) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s -> %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-3000:]))
    return p


def clean_env(extra: dict | None = None) -> dict:
    """The environment without AWS_* / proxy settings of the machine, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    env.update(extra or {})
    return env


def aws(st: E.EcrStack, *args: str, who: str = "pusher", env: dict | None = None,
        check: bool = False) -> subprocess.CompletedProcess:
    e = clean_env(st.aws_env(who))
    e.update(env or {})
    return run(["aws", *args, "--endpoint-url", st.moto.url, "--region", st.region], env=e,
               check=check)


def curl(st: E.EcrStack, *args: str) -> subprocess.CompletedProcess:
    """curl to the front by its ECR name (--connect-to, --cacert: verification on)."""
    return run(["curl", "-sS", "--max-time", "30", "--cacert", st.ca.cert_file,
                "--connect-to", st.front.connect_to, *args], env=clean_env(), check=False)


def skopeo_push(st: E.EcrStack, image: dict, repo: str, tag: str,
                check: bool = True) -> subprocess.CompletedProcess:
    """skopeo copy to the front under its ECR host name, through the CONNECT proxy."""
    return run(["skopeo", "copy", "--retry-times", "0",
                "--dest-creds", "AWS:" + st.front.password, "--dest-cert-dir", st.ca.cert_dir,
                image["ref"], "docker://" + st.front.reference(repo, tag)],
               env=clean_env(st.skopeo_env()), check=check)


def statuses(fr: E.EcrFront, method: str, path: str = ".*") -> list[int]:
    return [r["status"] for r in fr.find(method, path)]


def push_blob(fr: E.EcrFront, repo: str, data: bytes) -> str:
    """Monolithic upload (POST, then PUT with the whole blob)."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = fr.request("POST", "/v2/%s/blobs/uploads/" % repo)
    assert st == 202, (st, h)
    loc = h["location"]
    target = loc[loc.index("/v2/"):]
    sep = "&" if "?" in target else "?"
    st, h, body = fr.request("PUT", target + sep + "digest=" + digest, body=data,
                             headers={"Content-Type": "application/octet-stream"})
    assert st == 201, (st, body)
    return digest


def push_image(fr: E.EcrFront, repo: str, tag: str, layer: bytes | None = None,
               media_type: str = "application/vnd.oci.image.manifest.v1+json") -> tuple[str, bytes]:
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = layer if layer is not None else os.urandom(2048)
    cfg_d = push_blob(fr, repo, config)
    lay_d = push_blob(fr, repo, layer)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": media_type,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_d,
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": lay_d,
                    "size": len(layer)}]}).encode()
    st, h, body = fr.request("PUT", "/v2/%s/manifests/%s" % (repo, tag), body=manifest,
                             headers={"Content-Type": media_type})
    assert st == 201, (st, body)
    return h["docker-content-digest"], manifest


def error_code(body: bytes) -> str:
    return json.loads(body)["errors"][0]["code"]


# ---------------------------------------------------------------- moto + IAM


def test_setup_verified_with_auth_on(ecr_stack: E.EcrStack) -> None:
    v = ecr_stack.iam.verification
    assert v["pusher_get_authorization_token"] and v["password"] == "123456789012-auth-token"
    assert v["proxy_endpoint"] == "https://" + ECR_HOST
    # moto's refusal on the JSON ECR API is XML; botocore reports the HTTP status as code
    assert v["denial"].startswith("403 <?xml") and "AccessDenied" in v["denial"]
    pol = ecr_stack.iam.push_policy()
    assert pol["Statement"][0] == {"Sid": "EcrLogin", "Effect": "Allow",
                                   "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert sorted(pol["Statement"][1]["Action"]) == sorted(E.PUSH_ACTIONS)
    assert pol["Statement"][1]["Resource"] == \
        "arn:aws:ecr:us-east-1:123456789012:repository/berth/app"


def test_awscli_login_password_and_denied_create(ecr_stack: E.EcrStack) -> None:
    p = aws(ecr_stack, "ecr", "get-login-password", check=True)
    assert p.stdout.strip() == "123456789012-auth-token"
    assert ecr_stack.front.password == p.stdout.strip()

    p = aws(ecr_stack, "ecr", "create-repository", "--repository-name", "berth/denied")
    assert p.returncode != 0
    assert "(403)" in p.stderr and "<Code>AccessDenied</Code>" in p.stderr
    assert "ecr:CreateRepository" in p.stderr

    p = aws(ecr_stack, "ecr", "get-login-password",
            env={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                 "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
    assert p.returncode != 0 and "InvalidClientTokenId" in p.stderr

    # the admin may
    p = aws(ecr_stack, "ecr", "describe-repositories", who="admin", check=True)
    names = {r["repositoryName"] for r in json.loads(p.stdout)["repositories"]}
    assert {"berth/app", "berth/immutable"} <= names


def test_boto3_assume_role_least_privilege(ecr_stack: E.EcrStack) -> None:
    st = ecr_stack
    role = st.iam.roles["push_role"]
    creds = st.client("sts", "admin").assume_role(RoleArn=role["arn"],
                                                  RoleSessionName="berth-test")["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    ecr = st.moto.client("ecr", creds=creds)
    assert ecr.get_authorization_token()["authorizationData"][0]["proxyEndpoint"] == \
        "https://" + ECR_HOST
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ecr.create_repository(repositoryName="berth/denied")
    assert "AccessDenied" in E._client_error_text(ei.value)
    # the trust policy names the admin only
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        st.client("sts", "pusher").assume_role(RoleArn=role["arn"], RoleSessionName="nope")
    assert E._client_error_code(ei.value) == "AccessDenied"


def test_web_identity_with_oidc_endpoint(ecr_stack: E.EcrStack) -> None:
    st, oidc = ecr_stack, ecr_stack.oidc

    def fetch(token: str | None, audience: str | None) -> tuple[int, dict]:
        url = oidc.request_url + ("&audience=" + audience if audience else "")
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token}
                                     if token else {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    assert fetch(None, E.STS_AUDIENCE)[0] == 401
    assert fetch("wrong", E.STS_AUDIENCE)[0] == 401
    status, body = fetch(oidc.request_token, None)
    assert status == 200 and oidc.decode(body["value"])[1]["aud"] == "https://github.com/org"
    status, body = fetch(oidc.request_token, E.STS_AUDIENCE)
    assert status == 200
    token = body["value"]
    header, claims = oidc.decode(token)
    assert header["alg"] == "RS256" and header["kid"] == oidc.key_id
    assert oidc.verify(token, E.STS_AUDIENCE)["sub"] == "repo:org/app:ref:refs/heads/main"
    assert claims["iss"] == E.GITHUB_ISSUER and claims["exp"] > time.time()
    recs = oidc.requests
    assert [(r["authorization"], r["bearer_ok"], r["status"], r["audience"]) for r in recs] == [
        (False, False, 401, "sts.amazonaws.com"), (True, False, 401, "sts.amazonaws.com"),
        (True, True, 200, None), (True, True, 200, "sts.amazonaws.com")]

    sts = st.moto.client("sts", unsigned=True)
    role_arn = st.iam.roles["ci_pusher"]["arn"]
    # with auth on, moto answers an unsigned request with a 500 (HTML)
    with pytest.raises(Exception) as ei:
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="ci",
                                          WebIdentityToken=token)
    assert "500" in str(ei.value) or "Internal Server Error" in str(ei.value)
    with st.moto.unsigned_window(1):
        out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="ci",
                                                WebIdentityToken=token)
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/ci-pusher/ci")
    ecr = st.moto.client("ecr", creds=out["Credentials"])
    assert ecr.get_authorization_token()["authorizationData"]
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        ecr.create_repository(repositoryName="berth/denied")
    assert "AccessDenied" in E._client_error_text(ei.value)

    # the token-file variant through awscli's own credential chain
    assert open(st.token_file).read().count(".") == 2
    st.moto.reset_auth(1)
    try:
        p = run(["aws", "ecr", "get-login-password"], env=clean_env(st.web_identity_env()))
    finally:
        st.moto.auth_on()
    assert p.stdout.strip() == "123456789012-auth-token"


def test_scan_findings_drive_a_gate(ecr_stack: E.EcrStack) -> None:
    st, fr = ecr_stack, ecr_stack.front
    digest, _ = push_image(fr, "berth/app", "scanme")
    admin = st.client("ecr", "admin")
    images = admin.describe_images(repositoryName="berth/app",
                                   imageIds=[{"imageTag": "scanme"}])["imageDetails"]
    assert images[0]["imageDigest"] == digest  # moto got the real digest from the front
    admin.start_image_scan(repositoryName="berth/app", imageId={"imageTag": "scanme"})
    st.moto.set_scan_findings(E.scan_findings_result("berth/app", tag="scanme",
                                                     counts={"CRITICAL": 2, "HIGH": 1}))
    out = admin.describe_image_scan_findings(repositoryName="berth/app",
                                             imageId={"imageTag": "scanme"})
    assert out["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 2, "HIGH": 1}
    assert len(out["imageScanFindings"]["findings"]) == 3
    # not part of the least-privilege policy
    with pytest.raises(botocore.exceptions.ClientError):
        st.client("ecr", "pusher").describe_image_scan_findings(
            repositoryName="berth/app", imageId={"imageTag": "scanme"})


# ---------------------------------------------------------------- the front


def test_front_auth_challenge_and_expiry_with_curl(ecr_stack: E.EcrStack) -> None:
    st, fr = ecr_stack, ecr_stack.front
    url = "https://%s/v2/" % ECR_HOST
    p = curl(st, "-i", url)
    assert p.returncode == 0, p.stderr
    head, _, body = p.stdout.partition("\n\n")
    assert head.startswith("HTTP/1.1 401")
    assert ('www-authenticate: Basic realm="https://%s/",service="ecr.amazonaws.com"'
            % ECR_HOST) in head.lower().replace("basic realm", "Basic realm")
    bad = curl(st, "-o", "/dev/null", "-w", "%{http_code}", "-u", "AWS:not-a-token", url)
    assert bad.stdout == "401"
    other_user = curl(st, "-o", "/dev/null", "-w", "%{http_code}",
                      "-u", "user:" + fr.password, url)
    assert other_user.stdout == "401"
    ok = curl(st, "-w", " %{http_code}", "-u", "AWS:" + fr.password, url)
    assert ok.stdout == "{} 200"

    fr.set_expired(True)
    p = curl(st, "-i", "-u", "AWS:" + fr.password, url)
    head, _, body = p.stdout.partition("\n\n")
    assert head.startswith("HTTP/1.1 403")
    assert "content-type: text/plain" in head.lower()
    assert body == "Your authorization token has expired. Reauthenticate and try again."
    fr.set_expired(False)
    fr.expire_next(1)
    assert curl(st, "-o", "/dev/null", "-w", "%{http_code}", "-u", "AWS:" + fr.password,
                url).stdout == "403"
    assert curl(st, "-o", "/dev/null", "-w", "%{http_code}", "-u", "AWS:" + fr.password,
                url).stdout == "200"
    assert [r["auth"] for r in fr.requests] == ["missing", "invalid", "invalid", "ok",
                                                "expired", "expired", "ok"]

    # the certificate is for the ECR name: without --connect-to's name, no match
    p = run(["curl", "-sS", "--cacert", st.ca.cert_file, "-o", "/dev/null",
             "https://127.0.0.2:%d/v2/" % fr.port], check=False, env=clean_env())
    assert p.returncode != 0


def test_skopeo_push_and_pull(ecr_stack: E.EcrStack, ecr_oci_image: dict, tmp_path) -> None:
    st, fr = ecr_stack, ecr_stack.front
    skopeo_push(st, ecr_oci_image, "berth/app", "v1")
    # skopeo went through the CONNECT proxy to the ECR name (TLS verified against the CA)
    assert {c["target"] for c in fr.proxy.connects} == {ECR_HOST + ":443"}
    assert all(r["host"] == ECR_HOST for r in fr.requests)
    patches = fr.find("PATCH", r"/blobs/uploads/")
    assert patches and all(r["status"] == 201 and r["upstream_status"] == 202 for r in patches)
    # umoci's OCI manifest has no top-level mediaType: ECR says no, skopeo converts
    manifests = fr.find("PUT", r"/manifests/v1$")
    layout_manifest = json.load(open(os.path.join(ecr_oci_image["layout"], "index.json")))
    d = layout_manifest["manifests"][0]["digest"].split(":")[1]
    oci = json.load(open(os.path.join(ecr_oci_image["layout"], "blobs", "sha256", d)))
    if "mediaType" not in oci:
        assert [(r["status"], r["error_code"]) for r in manifests] == \
            [(400, "MANIFEST_INVALID"), (201, None)]
    assert manifests[-1]["status"] == 201
    rep = manifests[-1]["moto"]
    assert rep["ok"] and rep["tag"] == "v1"

    images = st.client("ecr", "admin").describe_images(
        repositoryName="berth/app", imageIds=[{"imageTag": "v1"}])["imageDetails"]
    assert images[0]["imageDigest"] == rep["digest"]
    assert images[0]["imageManifestMediaType"] == rep["media_type"]

    # read it back through the localhost alias (cert SAN localhost), skopeo's --src-cert-dir
    fr.clear_requests()
    out = tmp_path / "back"
    run(["skopeo", "copy", "--retry-times", "0", "--src-creds", "AWS:" + fr.password,
         "--src-cert-dir", st.ca.cert_dir, "docker://" + fr.reference("berth/app", "v1",
                                                                      via="localhost"),
         "oci:%s:v1" % out], env=clean_env())
    gets = fr.find("GET", r"/blobs/sha256:")
    assert gets and all(r["status"] == 307 and r["location"].startswith(fr.s3_url)
                        for r in gets)
    s3 = fr.s3_requests
    assert len(s3) == len(gets)
    assert all(not r["authorization"] and r["status"] == 200 and r["bytes"] > 0 for r in s3)
    # and inspect by name through the proxy
    p = run(["skopeo", "inspect", "--retry-times", "0", "--creds", "AWS:" + fr.password,
             "--cert-dir", st.ca.cert_dir, "docker://" + fr.reference("berth/app", "v1")],
            env=clean_env(st.skopeo_env()))
    assert json.loads(p.stdout)["Digest"] == rep["digest"]


def test_skopeo_unknown_repository_and_immutable_tag(ecr_stack: E.EcrStack,
                                                     ecr_oci_image: dict) -> None:
    st, fr = ecr_stack, ecr_stack.front
    p = skopeo_push(st, ecr_oci_image, "berth/missing", "v1", check=False)
    assert p.returncode != 0
    unknown = [r for r in fr.requests if r["repository"] == "berth/missing"]
    assert unknown and all(r["status"] == 404 and r["error_code"] == "NAME_UNKNOWN"
                           for r in unknown)
    st_, _, body = fr.request("GET", "/v2/berth/missing/tags/list")
    assert st_ == 404 and json.loads(body) == {"errors": [{
        "code": "NAME_UNKNOWN", "message": "The repository with name 'berth/missing' does not "
        "exist in the registry with id '123456789012'"}]}

    tag = "t%d" % int(time.time() * 1000)
    skopeo_push(st, ecr_oci_image, "berth/immutable", tag)
    fr.clear_requests()
    p = skopeo_push(st, ecr_oci_image, "berth/immutable", tag, check=False)
    assert p.returncode != 0
    msg = ("The image tag '%s' already exists in the 'berth/immutable' repository and cannot "
           "be overwritten because the repository is immutable." % tag)
    assert msg in p.stderr
    puts = [(r["status"], r["error_code"]) for r in fr.find("PUT", r"/manifests/")]
    assert (400, "TAG_INVALID") in puts and (201, None) not in puts, puts
    # a mutable repository takes the same tag again
    skopeo_push(st, ecr_oci_image, "berth/app", tag)
    skopeo_push(st, ecr_oci_image, "berth/app", tag)


def test_chunk_sizes_monolithic_put_and_s3_redirect(ecr_stack: E.EcrStack) -> None:
    st, fr = ecr_stack, ecr_stack.front
    repo = "berth/app"

    def start() -> str:
        s, h, _ = fr.request("POST", "/v2/%s/blobs/uploads/" % repo)
        assert s == 202
        return h["location"][h["location"].index("/v2/"):]

    def patch(target: str, data: bytes, offset: int) -> tuple[int, dict, bytes]:
        return fr.request("PATCH", target, body=data, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": "%d-%d" % (offset, offset + len(data) - 1)})

    # small part followed by another part: 400
    target = start()
    s, h, _ = patch(target, b"a" * 1024, 0)
    assert s == 201 and h["range"] == "0-1023"
    s, h, body = patch(h["location"][h["location"].index("/v2/"):], b"b" * 1024, 1024)
    assert s == 400 and error_code(body) == "BLOB_UPLOAD_INVALID"
    assert b"LayerPartTooSmallException" in body
    # ... or followed by a final PUT with a body: 400; with an empty body it completes
    target = start()
    data = os.urandom(3000)
    s, h, _ = patch(target, data, 0)
    loc = h["location"][h["location"].index("/v2/"):]
    digest = "sha256:" + hashlib.sha256(data + b"xyz").hexdigest()
    s, _, body = fr.request("PUT", loc + "&digest=" + digest, body=b"xyz")
    assert s == 400 and error_code(body) == "BLOB_UPLOAD_INVALID"
    s, _, _ = fr.request("PUT", loc + "&digest=sha256:" + hashlib.sha256(data).hexdigest())
    assert s == 201

    # 5 MiB part, then a small last part, then PUT: fine
    big, tail = os.urandom(E.MIN_PART_SIZE), os.urandom(100)
    target = start()
    s, h, _ = patch(target, big, 0)
    assert s == 201
    s, h, _ = patch(h["location"][h["location"].index("/v2/"):], tail, len(big))
    assert s == 201 and h["range"] == "0-%d" % (len(big) + len(tail) - 1)
    digest = "sha256:" + hashlib.sha256(big + tail).hexdigest()
    s, h, _ = fr.request("PUT", h["location"][h["location"].index("/v2/"):] + "&digest=" + digest)
    assert s == 201 and h["docker-content-digest"] == digest

    # monolithic PUT
    blob = os.urandom(70000)
    digest = push_blob(fr, repo, blob)
    s, h, _ = fr.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
    assert s == 200 and h["content-length"] == str(len(blob))

    # GET -> 307 to the S3 side; it refuses Authorization, serves without it (and Range)
    s, h, _ = fr.request("GET", "/v2/%s/blobs/%s" % (repo, digest))
    assert s == 307 and h["location"].startswith(fr.s3_url + "/")
    assert "X-Amz-Signature=" in h["location"] and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in h["location"]
    s, _, body = fr.s3_get(h["location"], headers={"Authorization": fr.basic_auth})
    assert s == 400 and b"Only one auth mechanism allowed" in body and b"InvalidArgument" in body
    s, _, body = fr.s3_get(h["location"])
    assert s == 200 and body == blob
    s, rh, body = fr.s3_get(h["location"], headers={"Range": "bytes=10-19"})
    assert s == 206 and body == blob[10:20]
    assert rh["content-range"] == "bytes 10-19/%d" % len(blob)
    # a ranged GET is redirected too (ECR never serves blob bytes itself), and the
    # range comes from the S3 side with its Content-Range
    s, h2, _ = fr.request("GET", "/v2/%s/blobs/%s" % (repo, digest),
                          headers={"Range": "bytes=5-9"})
    assert s == 307 and h2["location"].startswith(fr.s3_url + "/"), (s, h2)
    s, rh, body = fr.s3_get(h2["location"], headers={"Range": "bytes=5-9"})
    assert s == 206 and body == blob[5:10] and rh["content-range"] == "bytes 5-9/%d" % len(blob)
    s, _, _ = fr.s3_get(h["location"].replace("X-Amz-Signature=", "X-Amz-Signature=00"))
    assert s == 403
    s, _, body = fr.request("GET", "/v2/%s/blobs/sha256:%s" % (repo, "0" * 64))
    assert s == 404 and error_code(body) == "BLOB_UNKNOWN"

    # curl follows the redirect: without --location-trusted it drops the credentials
    url = "https://%s/v2/%s/blobs/%s" % (ECR_HOST, repo, digest)
    p = curl(st, "-L", "-u", "AWS:" + fr.password, "-o", "/dev/null", "-w", "%{http_code}", url)
    assert p.stdout == "200", p.stderr
    p = curl(st, "-L", "--location-trusted", "-u", "AWS:" + fr.password, "-o", "/dev/null",
             "-w", "%{http_code}", url)
    assert p.stdout == "400"
    assert [r["authorization"] for r in fr.s3_requests[-2:]] == [False, True]


def test_curl_chunked_upload_with_expect_continue(ecr_stack: E.EcrStack, tmp_path) -> None:
    """libcurl-style PATCHes (Expect: 100-continue for big bodies, curl's default
    form content type): a PATCH after a small part is refused before its body is sent."""
    st, fr = ecr_stack, ecr_stack.front
    big, small = tmp_path / "big", tmp_path / "small"
    big_data, small_data = os.urandom(E.MIN_PART_SIZE + 4096), os.urandom(1000)
    big.write_bytes(big_data)
    small.write_bytes(small_data)
    base = "https://%s/v2/berth/app/blobs/uploads/" % ECR_HOST

    def go(*args: str) -> tuple[str, str]:
        p = curl(st, "-i", "-u", "AWS:" + fr.password, *args)
        assert p.returncode == 0, p.stderr
        statuses_ = [ln.split()[1] for ln in p.stdout.splitlines() if ln.startswith("HTTP/1.1 ")]
        locs = [ln.split(": ", 1)[1].strip() for ln in p.stdout.splitlines()
                if ln.lower().startswith("location:")]
        return statuses_[-1], (locs[-1] if locs else "")

    code, loc = go("-X", "POST", base)
    assert code == "202"
    code, loc2 = go("-X", "PATCH", "--data-binary", "@%s" % small, loc)
    assert code == "201"
    code, _ = go("-X", "PATCH", "--data-binary", "@%s" % big, loc2)
    assert code == "400"
    rec = fr.find("PATCH")[-1]
    assert rec["headers"].get("expect") == "100-continue" and rec["request_bytes"] == 0
    assert rec["error_code"] == "BLOB_UPLOAD_INVALID"

    code, loc = go("-X", "POST", base)
    code, loc = go("-X", "PATCH", "--data-binary", "@%s" % big, loc)
    assert code == "201"
    digest = "sha256:" + hashlib.sha256(big_data + small_data).hexdigest()
    code, _ = go("-X", "PUT", "--data-binary", "@%s" % small, loc + "&digest=" + digest)
    assert code == "201"
    s, h, _ = fr.request("HEAD", "/v2/berth/app/blobs/" + digest)
    assert s == 200 and h["content-length"] == str(len(big_data) + len(small_data))


def test_manifest_and_tag_list_limits(ecr_stack: E.EcrStack) -> None:
    fr = ecr_stack.front
    repo = "berth/app"
    digest, manifest = push_image(fr, repo, "limits")
    doc = json.loads(manifest)
    del doc["mediaType"]
    s, _, body = fr.request("PUT", "/v2/%s/manifests/nomediatype" % repo,
                            body=json.dumps(doc).encode(),
                            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert s == 400 and error_code(body) == "MANIFEST_INVALID"
    doc = json.loads(manifest)
    doc["annotations"] = {"pad": "x" * (4 * 1024 * 1024)}
    s, _, body = fr.request("PUT", "/v2/%s/manifests/huge" % repo, body=json.dumps(doc).encode(),
                            headers={"Content-Type": doc["mediaType"]})
    assert s == 400 and error_code(body) == "MANIFEST_INVALID"
    s, _, body = fr.request("GET", "/v2/%s/tags/list?n=1001" % repo)
    assert s == 400
    s, _, body = fr.request("GET", "/v2/%s/tags/list?n=1000" % repo)
    assert s == 200 and "limits" in json.loads(body)["tags"]
    # pushing by digest works and is reported without a tag
    s, _, _ = fr.request("PUT", "/v2/%s/manifests/%s" % (repo, digest), body=manifest,
                         headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert s == 201
    assert fr.reported[-1]["tag"] is None and fr.reported[-1]["ok"]


def test_cross_repository_mount_switch(ecr_stack: E.EcrStack) -> None:
    st, fr = ecr_stack, ecr_stack.front
    blob = os.urandom(5000)
    digest = push_blob(fr, "berth/app", blob)
    target = "/v2/berth/immutable/blobs/uploads/?mount=%s&from=berth/app" % digest
    s, h, _ = fr.request("POST", target)
    assert s == 202 and "/blobs/uploads/" in h["location"]  # ignored: an upload session
    assert fr.find("POST", "/berth/immutable/blobs/uploads/")[-1]["mount"] == "ignored"
    fr.set_mount(True)
    s, h, _ = fr.request("POST", target)
    assert s == 201 and h["docker-content-digest"] == digest


# ---------------------------------------------------------------- the CLI


def test_cli_up_status_down(tmp_path) -> None:
    state_dir = tmp_path / "ecr"
    script = os.path.join(HERE, "ecr_stack.py")
    p = run(["python3", script, "up", "--state-dir", str(state_dir), "--s3-host", "real"],
            env=clean_env(), timeout=120)
    state_file = p.stdout.strip()
    assert state_file == str(state_dir / "ecr_stack.json")
    try:
        state = json.load(open(state_file))
        for key in ("aws_endpoint_url", "region", "account", "repository", "users", "roles",
                    "oidc", "front", "tls", "env", "supervisor_pid"):
            assert key in state, key
        assert state["front"]["host"] == ECR_HOST
        assert state["front"]["connect_to"] == "%s:443:127.0.0.1:%d" % (
            ECR_HOST, state["front"]["port"])
        assert os.path.exists(state["oidc"]["token_file"])
        assert os.path.exists(str(state_dir / "ecr_stack.env"))
        assert run(["python3", script, "status", "--state-dir", str(state_dir)]).returncode == 0
        # curl with what the JSON says; the S3 side has ECR's bucket name (--s3-host real)
        assert state["front"]["s3_host"] == E.s3_bucket_host()
        cmd = ["curl", "-sS", "--cacert", state["tls"]["ca_file"],
               "-u", "AWS:" + state["front"]["password"]]
        for entry in state["front"]["connect_to_all"].split(","):
            cmd += ["--connect-to", entry]
        base = "https://%s/v2/%s" % (ECR_HOST, state["repository"])
        p = run(cmd + [base + "/tags/list"], env=clean_env())
        assert json.loads(p.stdout) == {"name": "berth/app", "tags": []}  # exists, empty
        blob = b"berth cli blob\n"
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        p = run(cmd + ["-i", "-X", "POST", base + "/blobs/uploads/"], env=clean_env())
        loc = [ln.split(": ", 1)[1].strip() for ln in p.stdout.splitlines()
               if ln.lower().startswith("location:")][0]
        (tmp_path / "blob").write_bytes(blob)
        p = run(cmd + ["-X", "PUT", "--data-binary", "@%s" % (tmp_path / "blob"), "-o", "/dev/null", "-w",
                       "%{http_code}", loc + "&digest=" + digest], env=clean_env())
        assert p.stdout == "201"
        p = run(cmd + ["-L", "-w", " %{http_code} %{url_effective}", base + "/blobs/" + digest],
                env=clean_env())
        body, code, url = p.stdout.rsplit(" ", 2)
        assert (body, code) == (blob.decode(), "200")
        assert url.startswith("https://" + E.s3_bucket_host() + "/")
        pusher = state["users"]["pusher"]
        p = run(["aws", "ecr", "get-login-password", "--endpoint-url", state["aws_endpoint_url"],
                 "--region", state["region"]], env=clean_env({
                     "AWS_ACCESS_KEY_ID": pusher["access_key_id"],
                     "AWS_SECRET_ACCESS_KEY": pusher["secret_access_key"],
                     "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}))
        assert p.stdout.strip() == state["front"]["password"]
        # the control plane, by the env file's name, as AWS_ENDPOINT_URL_ECR
        env_text = (state_dir / "ecr_stack.env").read_text()
        cp_url = state["env"]["BERTH_TEST_ECR_CONTROL_PLANE_URL"]
        assert "export BERTH_TEST_ECR_CONTROL_PLANE_URL=" in env_text
        assert cp_url == state["control_plane"]["url"]
        admin = state["users"]["admin"]
        p = run(["aws", "ecr", "describe-pull-through-cache-rules", "--region", state["region"]],
                env=clean_env({"AWS_ENDPOINT_URL_ECR": cp_url,
                               "AWS_ACCESS_KEY_ID": admin["access_key_id"],
                               "AWS_SECRET_ACCESS_KEY": admin["secret_access_key"],
                               "AWS_CONFIG_FILE": os.devnull,
                               "AWS_SHARED_CREDENTIALS_FILE": os.devnull}))
        assert json.loads(p.stdout) == {"pullThroughCacheRules": []}
        # control API
        with urllib.request.urlopen(state["front"]["control_url"] + "/requests") as r:
            assert [x["status"] for x in json.load(r)][-4:] == [200, 202, 201, 307]
        with urllib.request.urlopen(state["front"]["control_url"] + "/s3-requests") as r:
            assert [(x["status"], x["authorization"]) for x in json.load(r)] == [(200, False)]
    finally:
        run(["python3", script, "down", "--state-dir", str(state_dir)], check=False)
    for pid in state["pids"]:
        assert not E._pid_alive(pid), pid
    assert not state_dir.exists()
