"""Helpers for berth's AWS tests: a moto server with IAM auth, loopback stand-ins
for the metadata services (IMDSv2, ECS) and GitHub's OIDC token endpoint, and
runners for the berth CLI and the berth_aws_probe driver (tests/drivers/aws_probe.cpp).

Everything listens on 127.0.0.1 with ephemeral ports. Every berth run gets a clean
environment (HOME in a temp dir, no AWS variables from the caller, IMDS disabled
unless a test points it at a stand-in) so that nothing on the machine leaks in.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "servers"))
import secret_scan  # noqa: E402  (the suite-wide scan; conftest makes it autouse)
LOOPBACK = "127.0.0.1"
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


# ------------------------------------------------------------------ binaries


def find_berth() -> str:
    """BERTH_CLI, else the newest of build/bin/berth and build-*/bin/berth."""
    env = os.environ.get("BERTH_CLI")
    if env:
        if not os.access(env, os.X_OK):
            raise RuntimeError("BERTH_CLI=%s is not an executable" % env)
        return os.path.abspath(env)
    candidates = glob.glob(os.path.join(ROOT, "build", "bin", "berth"))
    candidates += glob.glob(os.path.join(ROOT, "build-*", "bin", "berth"))
    candidates.sort(key=lambda p: -os.path.getmtime(p))
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    raise RuntimeError("no berth CLI found: set BERTH_CLI or build bin/berth")


def find_probe(berth: str) -> str | None:
    """BERTH_AWS_PROBE_BIN, else berth_aws_probe of the build berth came from."""
    env = os.environ.get("BERTH_AWS_PROBE_BIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    build = os.path.dirname(os.path.dirname(berth))
    c = os.path.join(build, "tests", "berth_aws_probe")
    return c if os.access(c, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ running berth


def clean_env(home: str, **extra: str) -> dict[str, str]:
    """A minimal environment: no AWS_*, no proxies, IMDS off, HOME in a temp dir."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LANG": "C.UTF-8",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.path.join(home, ".aws", "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, ".aws", "credentials"),
        "DOCKER_CONFIG": os.path.join(home, ".docker"),
    }
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> dict[str, str]:
        """The PROBE key=value lines of a berth_aws_probe run."""
        d: dict[str, str] = {}
        for line in self.out.splitlines():
            if line.startswith("PROBE "):
                k, _, v = line[6:].partition("=")
                d[k] = v
        return d


#: Every secret the tests hand out (IAM secret keys, session and OIDC tokens, ECR
#: passwords): run() fails a test that finds one on stderr, or on stdout of a failed run.
KNOWN_SECRETS: set[str] = set()


def run(argv: list[str], env: dict[str, str], *, input: str | None = None,
        secrets: tuple[str, ...] = (), timeout: float = 60) -> Result:
    """Runs a program; fails the test if any of `secrets` or KNOWN_SECRETS shows up on
    stderr (or on stdout of a failed run)."""
    p = subprocess.run(argv, env=env, input=input, capture_output=True, text=True,
                       timeout=timeout)
    r = Result(p.returncode, p.stdout, p.stderr)
    for s in set(secrets) | KNOWN_SECRETS:
        secret_scan.secret(s)
    secret_scan.record(argv, p.returncode, p.stdout, p.stderr, env)
    # "::add-mask::SECRET" is how a secret is hidden from a GitHub runner's log: the
    # runner consumes the line and never prints it.
    err = "".join(line for line in r.err.splitlines(keepends=True)
                  if not line.startswith("::add-mask::"))
    for s in set(secrets) | KNOWN_SECRETS:
        if not s:
            continue
        assert s not in err, "a secret leaked on stderr of %s: %s" % (argv[:3], r.err)
        if r.code != 0:
            assert s not in r.out, "a secret leaked on stdout of failed %s" % argv[:3]
    return r


# ------------------------------------------------------------------ moto


class Moto:
    """moto's server with IAM auth: set up with auth off (or as admin), then
    enforce every request's SigV4 signature and IAM policies."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = "http://%s:%d" % (LOOPBACK, self.port)
        env = dict(os.environ)
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "1000000"
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto did not start: %s" % self.proc.stderr.read())
                time.sleep(0.1)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def reset_auth(self, n: int) -> None:
        """Lets the next n requests through unauthenticated, then enforces auth."""
        req = urllib.request.Request(self.url + "/moto-api/reset-auth", data=str(n).encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).read()

    def client(self, service: str, key: tuple[str, str] | None = None, token: str | None = None):
        import boto3
        ak, sk = key or ("AKIDNOAUTHNEEDED000", "no-auth-needed")
        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            aws_access_key_id=ak, aws_secret_access_key=sk,
                            aws_session_token=token)


# ------------------------------------------------------------------ stand-in servers


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StandIn:
    """A threaded loopback HTTP server that records every request; subclasses answer."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a) -> None:  # quiet
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                seen = Seen(self.command, self.path,
                            {k.lower(): v for k, v in self.headers.items()}, body)
                outer.requests.append(seen)
                status, headers, payload = outer.answer(seen)
                if isinstance(payload, str):
                    payload = payload.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = _any

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://%s:%d" % (LOOPBACK, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, req: Seen) -> tuple[int, dict[str, str], bytes | str]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def creds_json(key_id: str, secret: str, token: str = "", expiration: str | None = None,
               **extra) -> str:
    d = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": key_id,
         "SecretAccessKey": secret, "Token": token}
    if expiration:
        d["Expiration"] = expiration
    d.update(extra)
    return json.dumps(d)


class Imds(StandIn):
    """EC2 instance metadata. mode "v2": PUT /latest/api/token then token-bound GETs;
    mode "v1": no token API (PUT answers 405), GETs work without a token."""

    TOKEN = "imds-session-token-AQAEAGh"
    KNOWN_SECRETS.add(TOKEN)

    def __init__(self, creds: str, mode: str = "v2", role: str = "berth-instance-role") -> None:
        self.creds, self.mode, self.role = creds, mode, role
        super().__init__()

    def answer(self, req: Seen):
        base = "/latest/meta-data/iam/security-credentials/"
        if req.method == "PUT" and req.path == "/latest/api/token":
            if self.mode != "v2":
                return 405, {}, ""
            if "x-aws-ec2-metadata-token-ttl-seconds" not in req.headers:
                return 400, {}, "missing TTL"
            return 200, {"X-aws-ec2-metadata-token-ttl-seconds":
                         req.headers["x-aws-ec2-metadata-token-ttl-seconds"]}, self.TOKEN
        if req.method != "GET":
            return 405, {}, ""
        if self.mode == "v2" and req.headers.get("x-aws-ec2-metadata-token") != self.TOKEN:
            return 401, {}, ""
        if req.path == base:
            return 200, {}, self.role + "\n"
        if req.path == base + self.role:
            return 200, {"Content-Type": "text/plain"}, self.creds
        return 404, {}, ""


class Ecs(StandIn):
    """The ECS/EKS container credentials endpoint; `require` is the Authorization
    value it insists on (401 otherwise)."""

    def __init__(self, creds: str, require: str | None = None) -> None:
        self.creds, self.require = creds, require
        super().__init__()

    def answer(self, req: Seen):
        if self.require is not None and req.headers.get("authorization") != self.require:
            return 401, {}, '{"message":"unauthorized"}'
        return 200, {"Content-Type": "application/json"}, self.creds


class GithubOidc(StandIn):
    """GitHub Actions' ID token endpoint: Bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN in,
    {"value": JWT} out."""

    REQUEST_TOKEN = "ghs-request-token-0123456789abcdef"
    KNOWN_SECRETS.add(REQUEST_TOKEN)

    def __init__(self) -> None:
        import base64

        def b64(d: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

        self.jwt = ".".join([b64({"alg": "RS256", "typ": "JWT", "kid": "test"}),
                             b64({"iss": "https://token.actions.githubusercontent.com",
                                  "aud": "sts.amazonaws.com",
                                  "sub": "repo:berth/berth:ref:refs/heads/main"}),
                             "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWJ5LW1vdG8"])
        KNOWN_SECRETS.add(self.jwt)
        super().__init__()

    @property
    def request_url(self) -> str:
        # Like GitHub's, the URL already carries a query string.
        return self.url + "/_apis/actions/idtoken?api-version=2.0"

    def answer(self, req: Seen):
        if req.headers.get("authorization") != "Bearer " + self.REQUEST_TOKEN:
            return 401, {}, "bad bearer"
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"count": 1, "value": self.jwt})


def forward(upstream: str, req: Seen) -> tuple[int, dict[str, str], bytes]:
    """Sends a recorded request on to upstream unchanged. Host goes on as it was
    signed, so moto still checks the caller's signature."""
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(upstream)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.request(req.method, req.path, body=req.body, headers=req.headers)
        resp = c.getresponse()
        body = resp.read()
    finally:
        c.close()
    headers = {k: v for k, v in resp.getheaders()
               if k.lower() not in ("content-length", "transfer-encoding", "connection")}
    return resp.status, headers, body


class PassThrough(StandIn):
    """A recording pass-through to an AWS endpoint (moto)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        super().__init__()

    def answer(self, req: Seen):
        return forward(self.upstream, req)

    def targets(self) -> list[str]:
        """The JSON-protocol operations seen (X-Amz-Target's suffix)."""
        return [r.headers.get("x-amz-target", "").rpartition(".")[2] for r in self.requests]

    def forms(self) -> list[dict[str, str]]:
        """The query-protocol forms seen (STS)."""
        from urllib.parse import parse_qsl
        return [dict(parse_qsl(r.body.decode())) for r in self.requests]


def audience_of(req: Seen) -> list[str]:
    from urllib.parse import parse_qs, urlsplit
    return parse_qs(urlsplit(req.path).query).get("audience", [])


@dataclass
class IamUser:
    name: str
    key: str
    secret: str
    arn: str = field(default="")


# ------------------------------------------------------------------ environments


def write_aws_files(home: str, config: str = "", credentials: str = "") -> None:
    os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write(config)
    with open(os.path.join(home, ".aws", "credentials"), "w") as f:
        f.write(credentials)


def moto_env(world, home: str, **extra: str) -> dict[str, str]:
    """A clean environment whose AWS endpoints are moto."""
    vars = {"AWS_ENDPOINT_URL": world.moto.url, "AWS_REGION": REGION}
    vars.update(extra)
    return clean_env(home, **vars)


def user_env(world, home: str, user: str, **extra: str) -> dict[str, str]:
    """moto_env with an IAM user's keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY."""
    u = world.users[user]
    return moto_env(world, home, AWS_ACCESS_KEY_ID=u.key, AWS_SECRET_ACCESS_KEY=u.secret, **extra)
