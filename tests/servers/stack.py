#!/usr/bin/env python3
"""Real-registry test stack for berth's integration tests.

Everything listens on 127.0.0.1 with ephemeral ports and lives in temp dirs.  The
machinery it shares with tests/ecr_stack (process supervision, threaded servers, the
up/status/down CLI) is in ``stackbase.py`` next to this file.

Python use (pytest fixtures are in ``stack_fixtures.py`` next to this file)::

    import sys; sys.path.insert(0, "tests/servers")
    import stack
    with stack.Registry() as reg:                      # no auth
        reg.hostport                                   # "127.0.0.1:PORT"
    with stack.Registry(auth="htpasswd") as reg: ...   # Basic, reg.username/password
    with stack.Registry(auth="token") as reg:          # Bearer, reg.token_server
        reg.token_server.requests
    with stack.Registry(tls=True) as reg:              # HTTPS, reg.ca_file / reg.cert_dir
    with stack.Registry() as reg, stack.FaultProxy(reg) as px:
        px.fail("GET", r"/v2/.*/manifests/", status=503, times=1)
    with stack.Stack("token", tls=True, proxy=True) as st:
        st.state()                                     # same dict the CLI writes

CLI use (for shell, C++ and Go tests)::

    python3 tests/servers/stack.py up --kind plain|htpasswd|token|tls [--state-dir DIR]
        [--tls] [--proxy] [--user NAME:PASS[:ACTIONS]] [--anonymous-pull]
        [--alg RS256|ES256] [--key-mode x5c|kid|both] [--expires-in N] [--exact-expiry]
        [--no-oauth-post] [--realm-host localhost|127.0.0.1] [--distribution 2.8|v3|ggcr]
      -> prints the path of DIR/stack.json (also writes DIR/stack.env)
    python3 tests/servers/stack.py status --state-dir DIR
    python3 tests/servers/stack.py down --state-dir DIR

See README.md in this directory for the JSON keys and the control endpoints.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import sys
import tempfile
import time
import urllib.parse
import uuid
from typing import Any, Callable, Iterable

import secret_scan
from stackbase import (KEEP, LOOPBACK, S3_ONE_AUTH_MESSAGE, ChildProcess, ControlHandler,  # noqa: F401
                       HTTPServer, QuietHandler, RecordingServer, Service, StackCLI,
                       TCPServer, b64url, b64url_decode, clear_records, close_socket,
                       exchange, free_port, handler_for, is_ip, pid_alive, records, rmtree,
                       run, s3_error_xml, serve_in_thread, server_context, server_url,
                       shutdown, stop_all)

__all__ = [
    "LOOPBACK", "DEFAULT_USER", "DEFAULT_PASSWORD", "BLOB_PATH_RE",
    "free_port", "TestCA", "IssuedCert", "make_htpasswd",
    "JWTSigner", "libtrust_key_id", "jwt_encode", "jwt_decode",
    "TokenServer", "Registry", "FaultProxy", "Rule", "Stack",
    "make_oci_image", "main",
]

DEFAULT_USER = "testuser"
DEFAULT_PASSWORD = "testpass"
REGISTRY_BIN = os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")
_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def registry_v3_bin() -> str | None:
    """CNCF distribution v3 (the OCI referrers API): $BERTH_REGISTRY_V3, else
    .tools/bin/registry-v3 (scripts/setup.sh installs it), else registry-v3 on PATH."""
    for c in (os.environ.get("BERTH_REGISTRY_V3"),
              os.path.join(_ROOT, ".tools", "bin", "registry-v3"), shutil.which("registry-v3")):
        if c and os.access(c, os.X_OK):
            return c
    return None


def referrers_registry_bin() -> str | None:
    """go-containerregistry's registry with the referrers API on
    (tests/servers/referrers_registry; scripts/setup.sh builds .tools/bin/referrers-registry)."""
    for c in (os.environ.get("BERTH_REFERRERS_REGISTRY"),
              os.path.join(_ROOT, ".tools", "bin", "referrers-registry"),
              shutil.which("referrers-registry")):
        if c and os.access(c, os.X_OK):
            return c
    return None
OPENSSL_BIN = os.environ.get("BERTH_OPENSSL", "openssl")
#: distribution 2.8 allows 60 s of clock skew on exp/nbf (registry/auth/token/token.go: Leeway)
DISTRIBUTION_LEEWAY = 60
#: path of a blob GET/HEAD on the distribution API
BLOB_PATH_RE = r"^/v2/.+/blobs/[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"

# private names other suites use (tests/integration/conftest.py: stack._run)
_run, _pid_alive = run, pid_alive


def _now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --------------------------------------------------------------------------
# PKI with the openssl CLI


def _genkey(path: str, key_type: str) -> None:
    if key_type == "ec":
        cmd = [OPENSSL_BIN, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    elif key_type == "rsa":
        cmd = [OPENSSL_BIN, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    else:
        raise ValueError("key_type must be 'ec' or 'rsa'")
    run(cmd + ["-out", path])
    os.chmod(path, 0o600)


class IssuedCert:
    """A certificate issued by a TestCA: ``cert_file``, ``key_file``, ``chain_file``
    (leaf + CA), ``hosts`` and ``der`` (the leaf in DER)."""

    def __init__(self, name: str, cert_file: str, key_file: str, chain_file: str,
                 hosts: list[str], key_type: str):
        self.name, self.cert_file, self.key_file = name, cert_file, key_file
        self.chain_file, self.hosts, self.key_type = chain_file, hosts, key_type

    @property
    def der(self) -> bytes:
        return run([OPENSSL_BIN, "x509", "-in", self.cert_file, "-outform", "DER"])

    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo in DER (what Go's x509.MarshalPKIXPublicKey gives)."""
        return run([OPENSSL_BIN, "pkey", "-in", self.key_file, "-pubout", "-outform", "DER"])

    def __repr__(self) -> str:
        return "IssuedCert(%r, %r)" % (self.name, self.cert_file)


class TestCA:
    """A throw-away certificate authority made with ``openssl``.

    ``cert_file``/``key_file`` are the CA's; ``cert_dir`` is a directory holding only
    ``ca.crt`` (what ``skopeo --cert-dir``/``--dest-cert-dir`` and containers' certs.d
    want).  ``issue(name, hosts)`` makes leaf certificates with SANs for ``hosts``."""

    __test__ = False  # not a pytest class

    def __init__(self, directory: str | None = None, name: str = "berth test CA",
                 key_type: str = "ec", days: int = 3650):
        self._owns_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="berth-ca-")
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.key_file = os.path.join(self.dir, "ca.key")
        self.cert_file = os.path.join(self.dir, "ca.crt")
        cnf = os.path.join(self.dir, "ca.cnf")
        with open(cnf, "w") as f:
            f.write("[req]\ndistinguished_name = dn\nprompt = no\n"
                    "[dn]\nCN = %s\nO = berth tests\n"
                    "[v3_ca]\nbasicConstraints = critical,CA:TRUE\n"
                    "keyUsage = critical,keyCertSign,cRLSign,digitalSignature\n"
                    "subjectKeyIdentifier = hash\n" % name)
        _genkey(self.key_file, key_type)
        run([OPENSSL_BIN, "req", "-x509", "-new", "-config", cnf, "-extensions", "v3_ca",
              "-key", self.key_file, "-out", self.cert_file, "-days", str(days), "-sha256",
              "-set_serial", "0x" + secrets.token_hex(8)])
        self.cert_dir = os.path.join(self.dir, "certs.d")
        os.makedirs(self.cert_dir, exist_ok=True)
        shutil.copyfile(self.cert_file, os.path.join(self.cert_dir, "ca.crt"))
        self._n = 0

    def issue(self, name: str = "localhost", hosts: Iterable[str] = ("localhost", LOOPBACK),
              key_type: str = "ec", days: int = 825) -> IssuedCert:
        """Issue a leaf certificate (serverAuth+clientAuth) with SANs for ``hosts``."""
        self._n += 1
        base = os.path.join(self.dir, "%s-%d" % (re.sub(r"[^A-Za-z0-9_.-]", "_", name), self._n))
        key, csr, crt, ext = base + ".key", base + ".csr", base + ".crt", base + ".ext"
        hosts = list(hosts)
        sans = ",".join(("IP:" if is_ip(h) else "DNS:") + h for h in hosts)
        usage = "digitalSignature,keyEncipherment" if key_type == "rsa" else "digitalSignature"
        with open(ext, "w") as f:
            f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = %s\n"
                    "[v3_leaf]\nbasicConstraints = critical,CA:FALSE\n"
                    "keyUsage = critical,%s\nextendedKeyUsage = serverAuth,clientAuth\n"
                    "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n%s"
                    % (name, usage, ("subjectAltName = " + sans + "\n") if sans else ""))
        _genkey(key, key_type)
        run([OPENSSL_BIN, "req", "-new", "-config", ext, "-key", key, "-out", csr])
        run([OPENSSL_BIN, "x509", "-req", "-in", csr, "-CA", self.cert_file,
              "-CAkey", self.key_file, "-set_serial", "0x" + secrets.token_hex(8),
              "-days", str(days), "-sha256", "-extfile", ext, "-extensions", "v3_leaf",
              "-out", crt])
        chain = base + ".chain.crt"
        with open(chain, "w") as out, open(crt) as a, open(self.cert_file) as b:
            out.write(a.read() + b.read())
        return IssuedCert(name, crt, key, chain, hosts, key_type)

    def client_context(self) -> ssl.SSLContext:
        """An SSL client context that trusts only this CA."""
        ctx = ssl.create_default_context(cafile=self.cert_file)
        return ctx

    def cleanup(self) -> None:
        if self._owns_dir:
            rmtree(self.dir)


def make_htpasswd(path: str, users: dict[str, str]) -> str:
    """Write a bcrypt htpasswd file (``htpasswd -Bbn``) for ``users``; returns ``path``."""
    with open(path, "wb") as f:
        for user, password in users.items():
            f.write(run(["htpasswd", "-Bbn", user, password]).strip() + b"\n")
    return path


# --------------------------------------------------------------------------
# JWT (JWS compact) signing the way distribution 2.8 verifies it


def libtrust_key_id(spki_der: bytes) -> str:
    """libtrust's key ID: base32(sha256(SPKI DER)[:30]) in groups of 4 joined by ':'.

    distribution 2.8 looks a token's ``kid`` up among the keys of the certs in
    ``rootcertbundle`` by this fingerprint."""
    b32 = base64.b32encode(hashlib.sha256(spki_der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def _der_ecdsa_to_raw(der: bytes, size: int = 32) -> bytes:
    """ASN.1 ECDSA-Sig-Value (SEQUENCE{r,s}) -> r||s, fixed width (what JWS ES256 wants)."""
    def read_len(buf: bytes, i: int) -> tuple[int, int]:
        n = buf[i]
        i += 1
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(buf[i:i + k], "big")
            i += k
        return n, i
    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    _, i = read_len(der, 1)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER integer")
        n, i = read_len(der, i + 1)
        value = int.from_bytes(der[i:i + n], "big")
        i += n
        out += value.to_bytes(size, "big")
    return out


def _have_cryptography() -> bool:
    try:
        import cryptography.hazmat.primitives.serialization  # noqa: F401
        return True
    except Exception:
        return False


class JWTSigner:
    """Signs JWS input with RS256 (RSA PKCS#1 v1.5) or ES256 (P-256, raw r||s).

    ``backend`` is ``"cryptography"`` (used when importable), ``"openssl"`` (shells out to
    ``openssl dgst -sha256 -sign``) or ``None`` for automatic choice."""

    def __init__(self, key_file: str, alg: str, backend: str | None = None):
        if alg not in ("RS256", "ES256"):
            raise ValueError("alg must be RS256 or ES256")
        self.key_file, self.alg = key_file, alg
        if backend is None:
            backend = os.environ.get("BERTH_STACK_JWT_BACKEND") or (
                "cryptography" if _have_cryptography() else "openssl")
        if backend not in ("cryptography", "openssl"):
            raise ValueError("backend must be cryptography or openssl")
        self.backend = backend
        self._key = None
        if backend == "cryptography":
            from cryptography.hazmat.primitives import serialization
            with open(key_file, "rb") as f:
                self._key = serialization.load_pem_private_key(f.read(), password=None)

    def sign(self, data: bytes) -> bytes:
        if self.backend == "cryptography":
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec, padding
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
            if self.alg == "RS256":
                return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        sig = run([OPENSSL_BIN, "dgst", "-sha256", "-sign", self.key_file], input=data)
        return sig if self.alg == "RS256" else _der_ecdsa_to_raw(sig)


def jwt_encode(header: dict, claims: dict, signer: JWTSigner) -> str:
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    return signing_input + "." + b64url(signer.sign(signing_input.encode()))


def jwt_decode(token: str) -> tuple[dict, dict]:
    """(header, claims) of a compact JWT, without verification."""
    h, c, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))


# --------------------------------------------------------------------------
# token server


def _parse_scope(scope: str) -> dict | None:
    """``repository:name:pull,push`` -> {type, name, actions}; names may contain ':'."""
    first = scope.find(":")
    last = scope.rfind(":")
    if first < 0 or last == first:
        return None
    typ, name, actions = scope[:first], scope[first + 1:last], scope[last + 1:]
    if "(" in typ:  # repository(plugin)
        typ = typ.split("(", 1)[0]
    return {"type": typ, "name": name,
            "actions": [a for a in actions.split(",") if a]}


def _normalize_access(access: Any) -> dict[str, list[str]]:
    if access is None:
        return {"*:*": ["*"]}
    if isinstance(access, (list, tuple)):  # actions on everything
        return {"*:*": list(access)}
    return {k: list(v) for k, v in dict(access).items()}


def _granted(access: dict[str, list[str]], typ: str, name: str, wanted: list[str]) -> list[str]:
    allowed: set[str] = set()
    for pattern, actions in access.items():
        target = "%s:%s" % (typ, name) if ":" in pattern else (name if typ == "repository" else None)
        if target is not None and fnmatch.fnmatchcase(target, pattern):
            allowed.update(actions)
    if "*" in allowed:
        return list(wanted)
    return [a for a in wanted if a in allowed]


class TokenServer(RecordingServer):
    """Docker registry token server (distribution's token auth spec) in a thread.

    ``users``: ``{"name": "password"}`` (everything allowed) or
    ``{"name": {"password": "pw", "access": {"repo/glob*": ["pull"], "registry:catalog": ["*"]}}}``
    or ``{"name": ("pw", ["pull"])}``.  Access keys without ':' match repository names,
    keys with ':' match ``TYPE:NAME``; actions ``["*"]`` grant whatever is asked.

    The server listens on 127.0.0.1; ``realm`` names it ``http://localhost:PORT/token`` by
    default (``realm_host``), because go-containerregistry >= 0.21 (crane) refuses a realm
    whose host is a loopback/private IP literal unless it equals the registry's host:port.

    Endpoints:

    * ``GET /token?service=S&scope=repository:NAME:pull,push[&scope=...][&offline_token=true]``
      with optional Basic auth -> ``{token, access_token, expires_in, issued_at[, refresh_token]}``
    * ``POST /token`` form ``grant_type=password`` (username, password, service, scope,
      client_id, access_type=offline) or ``grant_type=refresh_token`` (refresh_token, ...)
      -> ``{access_token, token_type, scope, expires_in, issued_at[, refresh_token]}``
    * ``GET/DELETE /__berth__/requests`` (the log), ``POST /__berth__/fail``
      ``{"count": N, "status": 500}``, ``POST /__berth__/revoke`` (refresh tokens).

    Tokens are JWS with ``x5c`` = [signing cert] (``key_mode="x5c"``; ``rootcertbundle`` is
    the token CA), or with ``kid`` = libtrust fingerprint of the signing key
    (``key_mode="kid"``; ``rootcertbundle`` is the signing cert), or both
    (``key_mode="both"``; bundle holds both certs).
    ``exact_expiry=True`` backdates ``exp`` by distribution's 60 s leeway so that the
    registry refuses a token right when ``expires_in`` runs out.
    """

    def __init__(self, users: dict | None = None, *, service: str = "berth-test-registry",
                 issuer: str = "berth-test-token-issuer", alg: str = "RS256",
                 key_mode: str = "x5c", expires_in: int = 300, exact_expiry: bool = False,
                 anonymous: bool = True, anonymous_access: Any = None,
                 post_enabled: bool = True, strict_service: bool = True,
                 signing_backend: str | None = None, workdir: str | None = None,
                 tls_cert: IssuedCert | None = None, path: str = "/token",
                 realm_host: str = "localhost"):
        if key_mode not in ("x5c", "kid", "both"):
            raise ValueError("key_mode must be x5c, kid or both")
        self.users: dict[str, dict] = {}
        for name, spec in (users if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}).items():
            self.add_user(name, spec)
        self.service, self.issuer, self.alg, self.key_mode = service, issuer, alg, key_mode
        self.expires_in, self.exact_expiry = expires_in, exact_expiry
        self.anonymous = anonymous
        self.anonymous_access = _normalize_access(anonymous_access) if anonymous_access else {}
        self.post_enabled, self.strict_service = post_enabled, strict_service
        self.signing_backend, self.path = signing_backend, path
        self.realm_host = realm_host
        super().__init__(workdir, tls_cert)
        self._refresh: dict[str, str] = {}

    # -- users -------------------------------------------------------------
    def add_user(self, name: str, spec: Any) -> None:
        if isinstance(spec, str):
            entry = {"password": spec, "access": _normalize_access(None)}
        elif isinstance(spec, (tuple, list)):
            entry = {"password": spec[0], "access": _normalize_access(spec[1] if len(spec) > 1 else None)}
        else:
            entry = {"password": spec["password"], "access": _normalize_access(spec.get("access"))}
        self.users[name] = entry
        secret_scan.secret(entry["password"])

    # -- lifecycle ---------------------------------------------------------
    workdir_prefix = "berth-token-"

    def start_parts(self) -> None:
        key_type = "rsa" if self.alg == "RS256" else "ec"
        self.ca = TestCA(os.path.join(self.workdir, "token-ca"), name="berth token CA",
                         key_type=key_type)
        self.signing_cert = self.ca.issue("berth-token-signer", hosts=(), key_type=key_type)
        self.signing_key = self.signing_cert.key_file
        self.key_id = libtrust_key_id(self.signing_cert.public_key_der())
        self._x5c = [base64.b64encode(self.signing_cert.der).decode()]
        self.signer = JWTSigner(self.signing_key, self.alg, self.signing_backend)
        self.rootcertbundle = os.path.join(self.workdir, "rootcertbundle.pem")
        parts = {"x5c": [self.ca.cert_file], "kid": [self.signing_cert.cert_file],
                 "both": [self.ca.cert_file, self.signing_cert.cert_file]}[self.key_mode]
        with open(self.rootcertbundle, "w") as out:
            for p in parts:
                with open(p) as f:
                    out.write(f.read())
        self.serve(handler_for(_TokenHandler, ts=self), "berth-token-server")

    # -- addresses -----------------------------------------------------------
    @property
    def realm(self) -> str:
        return "%s://%s:%d%s" % (self.scheme, self.realm_host, self.port, self.path)

    @property
    def requests_url(self) -> str:
        return self.url + "/__berth__/requests"

    # -- records (requests: every token request; issued: {jti, sub, access, exp, iat,
    # token} of every token minted) ---------------------------------------------
    def fail_next(self, count: int = 1, status: int = 500, body: str = "injected failure") -> None:
        """Answer the next ``count`` token requests with ``status``."""
        self._fail.add(count, (status, body))

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    # -- tokens --------------------------------------------------------------
    def mint(self, subject: str, access: list[dict], expires_in: int | None = None,
             audience: str | None = None, issuer: str | None = None) -> str:
        """A signed registry token for ``subject`` with ``access``
        (``[{"type": "repository", "name": "x", "actions": ["pull"]}]``)."""
        expires_in = self.expires_in if expires_in is None else expires_in
        now = int(time.time())
        exp = now + expires_in - (DISTRIBUTION_LEEWAY if self.exact_expiry else 0)
        jti = uuid.uuid4().hex
        claims = {"iss": issuer or self.issuer, "sub": subject, "aud": audience or self.service,
                  "exp": exp, "nbf": now, "iat": now, "jti": jti, "access": access}
        header: dict[str, Any] = {"typ": "JWT", "alg": self.alg}
        if self.key_mode in ("x5c", "both"):
            header["x5c"] = list(self._x5c)
        if self.key_mode in ("kid", "both"):
            header["kid"] = self.key_id
        token = jwt_encode(header, claims, self.signer)
        secret_scan.secret(token)
        with self._lock:
            self._issued.append({"jti": jti, "sub": subject, "access": access, "exp": exp,
                                 "iat": now, "token": token})
        return token

    def decode(self, token: str) -> tuple[dict, dict]:
        return jwt_decode(token)

    def _access_for(self, user: str | None, scopes: list[str]) -> list[dict]:
        acl = self.users[user]["access"] if user else self.anonymous_access
        out: list[dict] = []
        for scope in scopes:
            parsed = _parse_scope(scope)
            if not parsed:
                continue
            actions = _granted(acl, parsed["type"], parsed["name"], parsed["actions"])
            if actions:
                for entry in out:  # merge repeated resources
                    if entry["type"] == parsed["type"] and entry["name"] == parsed["name"]:
                        entry["actions"] = sorted(set(entry["actions"]) | set(actions))
                        break
                else:
                    out.append({"type": parsed["type"], "name": parsed["name"],
                                "actions": actions})
        return out

    def _check_basic(self, header: str | None) -> tuple[bool, str | None]:
        """(ok, username).  No header -> (True, None)."""
        if not header:
            return True, None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value.strip()).decode().partition(":")
        except Exception:
            return False, None
        entry = self.users.get(user)
        return (entry is not None and secrets.compare_digest(entry["password"], password)), user

    def _new_refresh_token(self, user: str) -> str:
        rt = "berth-rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._refresh[rt] = user
        return rt


class _TokenHandler(QuietHandler):
    ts: TokenServer
    server_version = "berth-token-server/1"

    def _send_json(self, status: int, obj: Any, extra: dict | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json",
                   [("Cache-Control", "no-store"), *(extra or {}).items()])

    def _control(self) -> bool:
        ts = self.ts
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/__berth__/"):
            return False
        raw = self._read_small_body()
        if path == "/__berth__/requests" and self.command == "GET":
            self._send_json(200, ts.requests)
        elif path == "/__berth__/requests" and self.command == "DELETE":
            ts.clear_requests()
            self._send_json(200, {})
        elif path == "/__berth__/issued" and self.command == "GET":
            self._send_json(200, ts.issued)
        elif path == "/__berth__/fail" and self.command == "POST":
            spec = json.loads(raw or b"{}")
            ts.fail_next(int(spec.get("count", 1)), int(spec.get("status", 500)))
            self._send_json(200, {})
        elif path == "/__berth__/revoke" and self.command == "POST":
            ts.revoke_refresh_tokens()
            self._send_json(200, {})
        else:
            self._send_json(404, {"error": "unknown control endpoint"})
        return True

    def do_GET(self) -> None:
        if self._control():
            return
        self._token_request(form=None)

    def do_DELETE(self) -> None:
        if not self._control():
            self._send_json(405, {"error": "method not allowed"})

    def do_POST(self) -> None:
        if self._control():
            return
        raw = self._read_small_body()
        form = urllib.parse.parse_qs(raw.decode(errors="replace"), keep_blank_values=True)
        self._token_request(form=form)

    def _token_request(self, form: dict | None) -> None:
        ts = self.ts
        split = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        auth = self.headers.get("Authorization")
        params = form if form is not None else query
        one = lambda k: (params.get(k) or [None])[0]  # noqa: E731
        scopes: list[str] = []
        for s in params.get("scope", []):
            scopes.extend(x for x in s.split(" ") if x)
        rec: dict[str, Any] = {
            "time": time.time(), "method": self.command, "path": split.path,
            "query": query, "form": None, "authorization": auth is not None,
            "auth_scheme": auth.split(" ", 1)[0] if auth else None, "username": None,
            "grant_type": one("grant_type") if form is not None else None,
            "service": one("service"), "scopes": scopes, "client_id": one("client_id"),
            "offline": (one("access_type") == "offline") if form is not None
            else (one("offline_token") == "true"),
            "granted": None, "status": None, "jti": None, "refresh_token_issued": False,
            "user_agent": self.headers.get("User-Agent"),
        }
        if form is not None:
            rec["form"] = {k: (["***"] if k in ("password", "refresh_token") else v)
                           for k, v in form.items()}
        ts._record(rec)

        def deny(status: int, error: str, desc: str) -> None:
            rec["status"] = status
            extra = {"WWW-Authenticate": 'Basic realm="berth-token"'} if status == 401 else None
            self._send_json(status, {"error": error, "error_description": desc,
                                     "errors": [{"code": "UNAUTHORIZED" if status == 401 else
                                                 "DENIED", "message": desc}]}, extra)

        if split.path != ts.path:
            return deny(404, "not_found", "no such endpoint")
        failure = ts._take_failure()
        if failure:
            rec["status"] = failure[0]
            return self._send_json(failure[0], {"error": "injected", "error_description": failure[1]})
        if form is not None and not ts.post_enabled:
            rec["status"] = 404
            return self._send_json(404, {"error": "not_found", "error_description": "POST disabled"})
        service = one("service")
        if ts.strict_service and service is not None and service != ts.service:
            return deny(400, "invalid_request", "unknown service %r" % service)

        user: str | None = None
        issue_refresh = False
        if form is None:
            ok, user = ts._check_basic(auth)
            rec["username"] = user
            if not ok:
                return deny(401, "invalid_grant", "bad credentials")
            if user is None and not ts.anonymous:
                return deny(401, "unauthorized", "authentication required")
            issue_refresh = user is not None and rec["offline"]
        else:
            grant = one("grant_type")
            if grant == "password":
                user = one("username")
                rec["username"] = user
                entry = ts.users.get(user or "")
                if not entry or not secrets.compare_digest(entry["password"], one("password") or ""):
                    return deny(401, "invalid_grant", "bad credentials")
                issue_refresh = rec["offline"]
            elif grant == "refresh_token":
                with ts._lock:
                    user = ts._refresh.get(one("refresh_token") or "")
                rec["username"] = user
                if user is None or user not in ts.users:
                    return deny(401, "invalid_grant", "unknown refresh token")
                issue_refresh = rec["offline"]
            else:
                return deny(400, "unsupported_grant_type", "grant_type %r" % grant)
            if not one("client_id"):
                return deny(400, "invalid_request", "client_id required")

        access = ts._access_for(user, scopes)
        token = ts.mint(user or "", access)
        jti = ts.decode(token)[1]["jti"]
        rec.update(granted=access, jti=jti, status=200)
        body: dict[str, Any] = {"expires_in": ts.expires_in, "issued_at": _now_rfc3339()}
        if form is None:
            body["token"] = token
            body["access_token"] = token
        else:
            body["access_token"] = token
            body["token_type"] = "Bearer"
            body["scope"] = " ".join(scopes)
        if issue_refresh and user:
            body["refresh_token"] = ts._new_refresh_token(user)
            rec["refresh_token_issued"] = True
        self._send_json(200, body)


# --------------------------------------------------------------------------
# registry


class Registry(ChildProcess):
    """CNCF distribution 2.8 (``docker-registry serve``) on 127.0.0.1:ephemeral;
    ``distribution="v3"``: distribution v3.1 (``registry-v3 serve``; like 2.8 it has no
    referrers API); ``distribution="ggcr"``: go-containerregistry's in-memory registry
    with the OCI referrers API (plain HTTP, no auth: ``tests/servers/referrers_registry``).

    ``auth``: ``None`` (no auth), ``"htpasswd"`` (Basic, bcrypt file) or ``"token"``
    (Bearer; uses ``token_server`` or starts its own ``TokenServer(users, **token_options)``).
    ``tls=True`` serves HTTPS with a cert for ``tls_hosts`` from ``ca`` (a TestCA made in the
    work dir when not given).  Storage is a temp dir, deletes are enabled, the log goes to
    ``log_file``.  Attributes after ``start()``: ``host``, ``port``, ``hostport``,
    ``url``, ``scheme``, ``tls_hostport`` (``localhost:PORT``), ``username``,
    ``password``, ``users``, ``ca_file``, ``cert_dir``, ``tls_cert``, ``storage_dir``,
    ``config_file``, ``log_file``, ``workdir``, ``pid``, ``token_server``.

    ``die_with_parent`` (default) sets PR_SET_PDEATHSIG so the registry gets SIGTERM when
    the thread that started it dies (start it from the main thread, or pass False).
    """

    def __init__(self, auth: str | None = None, *, users: dict[str, str] | None = None,
                 token_server: TokenServer | None = None, token_options: dict | None = None,
                 tls: bool = False, ca: TestCA | None = None,
                 tls_hosts: Iterable[str] = ("localhost", LOOPBACK), workdir: str | None = None,
                 log_level: str = "info", extra_config: dict | None = None,
                 realm: str = "berth-registry", start_timeout: float = 30.0,
                 die_with_parent: bool = True, distribution: str = "2.8"):
        if distribution not in ("2.8", "v3", "ggcr"):
            raise ValueError("distribution must be '2.8', 'v3' or 'ggcr'")
        self.distribution = distribution
        self.binary = REGISTRY_BIN
        if distribution != "2.8":
            found = registry_v3_bin() if distribution == "v3" else referrers_registry_bin()
            if not found:
                raise RuntimeError("%s is not installed: scripts/setup.sh puts it in .tools/bin"
                                   % ("registry-v3" if distribution == "v3" else
                                      "referrers-registry"))
            self.binary = found
        if distribution == "ggcr" and (auth not in (None, "none", "plain", "") or tls):
            raise ValueError("the ggcr registry serves plain HTTP without auth only")
        if auth in ("none", "plain", ""):
            auth = None
        if auth == "basic":
            auth = "htpasswd"
        if auth not in (None, "htpasswd", "token"):
            raise ValueError("auth must be None, 'htpasswd' or 'token'")
        self.auth, self.tls = auth, tls
        self.users = dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        for spec in self.users.values():
            secret_scan.secret(spec if isinstance(spec, str) else
                               spec[0] if isinstance(spec, (tuple, list)) else spec.get("password"))
        self.token_server = token_server
        self._owns_token_server = False
        self.token_options = dict(token_options or {})
        self.ca = ca
        self._owns_ca = False
        self.tls_hosts = list(tls_hosts)
        self.log_level, self.extra_config, self.realm = log_level, extra_config, realm
        super().__init__(workdir=workdir, start_timeout=start_timeout,
                         die_with_parent=die_with_parent)
        self.tls_cert: IssuedCert | None = None
        self.htpasswd_file: str | None = None
        self._probe_ctx: ssl.SSLContext | None = None

    @property
    def username(self) -> str | None:
        return next(iter(self.users), None) if self.auth else None

    @property
    def password(self) -> str | None:
        return self.users.get(self.username) if self.username else None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def tls_hostport(self) -> str:
        return "localhost:%d" % self.port

    @property
    def ca_file(self) -> str | None:
        return self.ca.cert_file if (self.tls and self.ca) else None

    @property
    def cert_dir(self) -> str | None:
        return self.ca.cert_dir if (self.tls and self.ca) else None

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.ca_file) if self.tls else None

    def _connection(self, timeout: float, context: ssl.SSLContext | None
                    ) -> http.client.HTTPConnection:
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _config(self) -> dict:
        cfg: dict[str, Any] = {
            "version": "0.1",
            "log": {"level": self.log_level, "formatter": "text",
                    "accesslog": {"disabled": False},
                    "fields": {"service": "registry"}},
            "storage": {"filesystem": {"rootdirectory": self.storage_dir},
                        "delete": {"enabled": True},
                        "maintenance": {"uploadpurging": {"enabled": False}},
                        "cache": {"blobdescriptor": "inmemory"}},
            "http": {"addr": self.hostport, "secret": secrets.token_hex(16),
                     "headers": {"X-Content-Type-Options": ["nosniff"]}},
            "health": {"storagedriver": {"enabled": False}},
        }
        if self.tls:
            cfg["http"]["tls"] = {"certificate": self.tls_cert.chain_file,
                                  "key": self.tls_cert.key_file}
        if self.auth == "htpasswd":
            cfg["auth"] = {"htpasswd": {"realm": self.realm, "path": self.htpasswd_file}}
        elif self.auth == "token":
            ts = self.token_server
            cfg["auth"] = {"token": {"realm": ts.realm, "service": ts.service,
                                     "issuer": ts.issuer, "rootcertbundle": ts.rootcertbundle}}
        if self.extra_config:
            _deep_merge(cfg, self.extra_config)
        return cfg

    # -- the child process ---------------------------------------------------
    what = "docker-registry"
    workdir_prefix = "berth-registry-"
    log_name = "registry.log"

    def prepare(self) -> None:
        self.storage_dir = os.path.join(self.workdir, "storage")
        os.makedirs(self.storage_dir, exist_ok=True)
        self.config_file = os.path.join(self.workdir, "config.yml")
        if self.tls:
            if self.ca is None:
                self.ca = TestCA(os.path.join(self.workdir, "ca"))
                self._owns_ca = True
            self.tls_cert = self.ca.issue("localhost", hosts=self.tls_hosts)
            # readiness only: the cert may be made for other names on purpose
            self._probe_ctx = ssl.create_default_context(cafile=self.ca_file)
            self._probe_ctx.check_hostname = False
        if self.auth == "htpasswd":
            self.htpasswd_file = make_htpasswd(os.path.join(self.workdir, "htpasswd"), self.users)
        if self.auth == "token" and self.token_server is None:
            opts = dict(self.token_options)
            opts.setdefault("workdir", os.path.join(self.workdir, "token"))
            self.token_server = TokenServer(self.users, **opts)
            self._owns_token_server = True
        if self.token_server is not None:
            self.token_server.start()

    def environment(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}

    def command(self) -> list[str]:
        with open(self.config_file, "w") as f:
            json.dump(self._config(), f, indent=1)  # YAML is a superset of JSON
        if self.distribution == "ggcr":
            return [self.binary, "--address", self.hostport]  # in memory, no config
        return [self.binary, "serve", self.config_file]

    def probe(self) -> bool:
        status, _, _ = exchange(self._connection(2, self._probe_ctx), "GET", "/v2/")
        return status in (200, 401)

    def stop(self) -> None:
        self._kill()
        if self._owns_token_server and self.token_server:
            self.token_server.stop()
        super().stop()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, auth: bool = True) -> tuple[int, dict, bytes]:
        """A direct request to the registry (Basic auth added for htpasswd when ``auth``)."""
        headers = dict(headers or {})
        if auth and self.auth == "htpasswd":
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (self.username, self.password)).encode()).decode()
        return exchange(self._connection(30, self.ssl_context()), method, path, body, headers)

    def state(self) -> dict:
        return {
            "url": self.url, "scheme": self.scheme, "host": self.host, "port": self.port,
            "hostport": self.hostport, "tls_hostport": self.tls_hostport, "tls": self.tls,
            "auth": self.auth, "pid": self.pid, "distribution": self.distribution, "workdir": self.workdir,
            "storage_dir": self.storage_dir, "config_file": self.config_file,
            "log_file": self.log_file, "htpasswd_file": self.htpasswd_file,
        }


def _deep_merge(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_merge(dst[k], v)
        else:
            dst[k] = v


# --------------------------------------------------------------------------
# fault-injecting reverse proxy


class _Abort(Exception):
    pass


class _LimitReached(Exception):
    pass


class Rule:
    """A fault rule.  Matches ``method`` (regex, full match, None = any) and ``path``
    (regex searched in the path without query; ``query`` likewise in the query string).
    Fires for the first ``times`` matching requests (``None`` = always); ``hits`` counts."""

    ACTIONS = ("status", "drop_request", "drop_response", "close", "delay", "redirect", "slow")

    def __init__(self, action: str, method: str | None = None, path: str = ".*",
                 query: str | None = None, times: int | None = 1, *, status: int = 503,
                 headers: dict | None = None, body: bytes | str | None = None,
                 retry_after: int | str | None = None, after_bytes: int = 0,
                 reset: bool = False, seconds: float = 0.0, rate: float = 0.0):
        if action not in self.ACTIONS:
            raise ValueError("action must be one of %s" % (self.ACTIONS,))
        self.id = uuid.uuid4().hex[:12]
        self.action, self.method, self.path, self.query = action, method, path, query
        self.times, self.hits = times, 0
        self.status, self.headers = status, dict(headers or {})
        self.body = body.encode() if isinstance(body, str) else body
        self.retry_after, self.after_bytes, self.reset, self.seconds = \
            retry_after, after_bytes, reset, seconds
        self.rate = rate
        self._method_re = re.compile(method, re.I) if method else None
        self._path_re = re.compile(path)
        self._query_re = re.compile(query) if query else None

    def matches(self, method: str, path: str, query: str) -> bool:
        if self._method_re and not self._method_re.fullmatch(method):
            return False
        if not self._path_re.search(path):
            return False
        if self._query_re and not self._query_re.search(query):
            return False
        return True

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def to_dict(self) -> dict:
        return {"id": self.id, "action": self.action, "method": self.method, "path": self.path,
                "query": self.query, "times": self.times, "hits": self.hits,
                "status": self.status, "headers": self.headers,
                "retry_after": self.retry_after, "after_bytes": self.after_bytes,
                "reset": self.reset, "seconds": self.seconds, "rate": self.rate}

    @classmethod
    def from_dict(cls, d: dict) -> "Rule":
        keys = ("method", "path", "query", "times", "status", "headers", "body", "retry_after",
                "after_bytes", "reset", "seconds", "rate")
        return cls(d["action"], **{k: d[k] for k in keys if k in d})


_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "upgrade", "expect"}


def _read_head(reader: Any) -> tuple[str, list[tuple[str, str]]] | None:
    line = reader.readline(65537)
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between requests
        line = reader.readline(65537)
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise _Abort("request line too long")
    start = line.decode("latin-1").rstrip("\r\n")
    headers: list[tuple[str, str]] = []
    for _ in range(256):
        h = reader.readline(65537)
        if not h:
            raise _Abort("EOF in headers")
        if h in (b"\r\n", b"\n"):
            return start, headers
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    raise _Abort("too many headers")


def _hget(headers: list[tuple[str, str]], name: str) -> str | None:
    name = name.lower()
    vals = [v for k, v in headers if k.lower() == name]
    return ", ".join(vals) if vals else None


def _framing(headers: list[tuple[str, str]], *, response_to: str | None = None,
             status: int | None = None) -> tuple[str, int]:
    if response_to is not None:
        if response_to == "HEAD" or (status is not None and (status < 200 or status in (204, 304))):
            return ("none", 0)
    te = (_hget(headers, "transfer-encoding") or "").lower()
    if "chunked" in te:
        return ("chunked", 0)
    cl = _hget(headers, "content-length")
    if cl is not None:
        return ("length", int(cl.split(",")[0].strip()))
    return ("close", 0) if response_to is not None else ("none", 0)


def _relay_body(reader: Any, write: Callable[[bytes], None], framing: tuple[str, int],
                limit: int | None = None) -> int:
    """Copy one message body (raw framing preserved).  Returns bytes copied.
    Raises _LimitReached after writing exactly ``limit`` bytes, _Abort on early EOF."""
    count = 0

    def emit(data: bytes) -> None:
        nonlocal count
        if limit is not None and count + len(data) >= limit:
            part = data[:limit - count]
            if part:
                write(part)
            count = limit
            raise _LimitReached()
        write(data)
        count += len(data)

    def emit_exactly(n: int, where: str) -> None:
        while n > 0:
            data = reader.read1(min(65536, n))
            if not data:
                raise _Abort("EOF in " + where)
            n -= len(data)
            emit(data)

    kind, n = framing
    if limit is not None and limit <= 0 and kind != "none":
        raise _LimitReached()
    if kind == "none":
        return 0
    if kind == "length":
        emit_exactly(n, "body")
        return count
    if kind == "close":
        while True:
            data = reader.read1(65536)
            if not data:
                return count
            emit(data)
    # chunked
    while True:
        line = reader.readline(65537)
        if not line:
            raise _Abort("EOF in chunk header")
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        emit(line)
        if size == 0:
            while True:
                t = reader.readline(65537)
                if not t:
                    raise _Abort("EOF in trailers")
                emit(t)
                if t in (b"\r\n", b"\n"):
                    return count
        emit_exactly(size, "chunk")
        crlf = reader.readline(65537)
        if not crlf:
            raise _Abort("EOF after chunk")
        emit(crlf)


class FaultProxy(TCPServer):
    """HTTP/1.1 reverse proxy between a client and a registry, with programmable faults.

    ``upstream`` is a Registry (or a URL; pass ``upstream_ca`` for an https URL).
    The proxy keeps the client's Host header (so registry Location headers point back at
    the proxy) and sets X-Forwarded-Proto.  It streams bodies in 64 KiB pieces.

    Rules (first matching, non-exhausted rule wins; each returns a Rule with ``hits``):

    * ``fail(method, path, status=503, times=1, retry_after=1)`` / ``throttle`` (429)
    * ``drop_request(method, path, after_bytes, times=1, reset=False)``: forward the head and
      ``after_bytes`` of the request body, then close both connections.
    * ``drop_response(method, path, after_bytes, times=1, reset=False)``: forward, relay the
      response head and ``after_bytes`` of its body, then close the client connection.
    * ``close_connection(method, path, times=1)``: close without any answer.
    * ``delay(method, path, seconds, times=1)``: wait, then forward.
    * ``slow_response(method, path, rate, times=None)``: forward, relaying the response
      body at ``rate`` bytes per second (each matching response on its own, so parallel
      connections each get the rate: a per-connection cap, as shaping between CI and
      storage often is).
    * ``redirect_blobs(times=None)``: answer blob GETs with 307 to ``storage_url`` (a second
      listener, like S3 pre-signed URLs) which fetches the bytes from the registry with the
      original request's credentials, and answers 400 "Only one auth mechanism allowed"
      when the redirected request carries an Authorization header.

    Records: ``requests`` (method, path, query, headers, action, status, bytes ...),
    ``storage_requests`` (method, path, headers, authorization, status).
    A control API (``control_url``) offers the same over HTTP+JSON for non-Python tests:
    ``GET/POST/DELETE /rules``, ``DELETE /rules/ID``, ``GET/DELETE /requests``,
    ``GET/DELETE /storage-requests``, ``POST /reset``.
    """

    def __init__(self, upstream: "Registry | str", *, upstream_ca: str | None = None,
                 listen_cert: IssuedCert | None = None, storage_hostname: str = LOOPBACK,
                 control: bool = True, timeout: float = 120.0):
        if isinstance(upstream, Registry):
            self.upstream_url = upstream.url
            upstream_ca = upstream_ca or upstream.ca_file
        else:
            self.upstream_url = upstream.rstrip("/")
        u = urllib.parse.urlsplit(self.upstream_url)
        self._up_tls = u.scheme == "https"
        self._up_host, self._up_port = u.hostname, u.port or (443 if self._up_tls else 80)
        self._up_ctx = ssl.create_default_context(cafile=upstream_ca) if self._up_tls else None
        self.listen_cert = listen_cert
        self.storage_hostname = storage_hostname
        self.want_control = control
        self.timeout = timeout
        super().__init__()
        self._rules: list[Rule] = []
        self._requests: list[dict] = []
        self._storage_requests: list[dict] = []
        self._presigned: dict[str, dict] = {}
        self._storage: HTTPServer | None = None
        self._control: HTTPServer | None = None
        self._server_ctx: ssl.SSLContext | None = None

    # -- lifecycle -------------------------------------------------------------
    name = "berth-fault-proxy"

    def start(self) -> "FaultProxy":
        if self._sock:
            return self
        if self.listen_cert:
            self._server_ctx = server_context(self.listen_cert)
        self.listen()
        self._storage = HTTPServer((LOOPBACK, 0), handler_for(_StorageHandler, px=self),
                                   self._server_ctx)
        self.storage_port = self._storage.server_address[1]
        self.storage_hostport = "%s:%d" % (self.storage_hostname, self.storage_port)
        self.storage_url = "%s://%s" % (self.scheme, self.storage_hostport)
        self._threads.append(serve_in_thread(self._storage, "berth-fault-storage"))
        if self.want_control:
            self._control = HTTPServer((LOOPBACK, 0), handler_for(_ControlHandler, px=self))
            self.control_port = self._control.server_address[1]
            self._threads.append(serve_in_thread(self._control, "berth-fault-control"))
        return self

    def stop(self) -> None:
        for srv in (self._storage, self._control):
            shutdown(srv)
        self._storage = self._control = None
        super().stop()

    # -- addresses ---------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.listen_cert else "http"

    @property
    def control_url(self) -> str | None:
        return server_url(self._control)

    def state(self) -> dict:
        return {"url": self.url, "host": self.host, "port": self.port, "hostport": self.hostport,
                "scheme": self.scheme, "upstream": self.upstream_url,
                "storage_url": self.storage_url, "storage_hostport": self.storage_hostport,
                "control_url": self.control_url}

    # -- rules -------------------------------------------------------------------
    def add_rule(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def rule(self, action: str, method: str | None = None, path: str = ".*", **kw: Any) -> Rule:
        return self.add_rule(Rule(action, method, path, **kw))

    def fail(self, method: str | None = None, path: str = ".*", status: int = 503,
             times: int | None = 1, retry_after: int | str | None = 1, **kw: Any) -> Rule:
        return self.rule("status", method, path, status=status, times=times,
                         retry_after=retry_after, **kw)

    def throttle(self, method: str | None = None, path: str = ".*", times: int | None = 1,
                 retry_after: int | str | None = 1, **kw: Any) -> Rule:
        return self.fail(method, path, status=429, times=times, retry_after=retry_after, **kw)

    def drop_request(self, method: str | None = None, path: str = ".*", after_bytes: int = 0,
                     times: int | None = 1, reset: bool = False, **kw: Any) -> Rule:
        return self.rule("drop_request", method, path, after_bytes=after_bytes, times=times,
                         reset=reset, **kw)

    def drop_response(self, method: str | None = None, path: str = ".*", after_bytes: int = 0,
                      times: int | None = 1, reset: bool = False, **kw: Any) -> Rule:
        return self.rule("drop_response", method, path, after_bytes=after_bytes, times=times,
                         reset=reset, **kw)

    def close_connection(self, method: str | None = None, path: str = ".*",
                         times: int | None = 1, reset: bool = False, **kw: Any) -> Rule:
        return self.rule("close", method, path, times=times, reset=reset, **kw)

    def delay(self, method: str | None = None, path: str = ".*", seconds: float = 1.0,
              times: int | None = 1, **kw: Any) -> Rule:
        return self.rule("delay", method, path, seconds=seconds, times=times, **kw)

    def slow_response(self, method: str | None = None, path: str = ".*", rate: float = 1e6,
                      times: int | None = None, **kw: Any) -> Rule:
        return self.rule("slow", method, path, times=times, rate=rate, **kw)

    def redirect_blobs(self, method: str = "GET", path: str = BLOB_PATH_RE,
                       times: int | None = None, status: int = 307, **kw: Any) -> Rule:
        return self.rule("redirect", method, path, times=times, status=status, **kw)

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove_rule(self, rule_id: str) -> bool:
        with self._lock:
            n = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != n

    def _match(self, method: str, path: str, query: str) -> Rule | None:
        with self._lock:
            for r in self._rules:
                if not r.exhausted and r.matches(method, path, query):
                    r.hits += 1
                    return r
        return None

    # -- records -----------------------------------------------------------------
    requests = records("_requests")
    storage_requests = records("_storage_requests")

    def clear_requests(self) -> None:
        clear_records(self._lock, self._requests, self._storage_requests)

    def reset(self) -> None:
        self.clear_rules()
        self.clear_requests()

    def find(self, method: str | None = None, path: str | None = None) -> list[dict]:
        """Recorded requests whose method equals ``method`` and path matches regex ``path``."""
        return [r for r in self.requests
                if (method is None or r["method"] == method)
                and (path is None or re.search(path, r["path"]))]

    # -- plumbing ----------------------------------------------------------------
    def _upstream_connect(self) -> socket.socket:
        s = socket.create_connection((self._up_host, self._up_port), timeout=self.timeout)
        if self._up_tls:
            s = self._up_ctx.wrap_socket(s, server_hostname=self._up_host)
        return s

    def serve_connection(self, c: socket.socket, addr: Any) -> None:
        c.settimeout(self.timeout)
        if self._server_ctx:
            try:
                c = self._server_ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                close_socket(c)
                return
        with self.connection(c):
            reader = c.makefile("rb", buffering=65536)
            try:
                while not self._stopping.is_set():
                    if not _ProxyExchange(self, c, reader).run():
                        break
            except (OSError, _Abort, ValueError, ssl.SSLError):
                pass
            finally:
                try:
                    reader.close()
                except OSError:
                    pass


class _ProxyExchange:
    """One request/response on a client connection.  run() -> keep the connection?"""

    def __init__(self, px: FaultProxy, client: socket.socket, reader: Any):
        self.px, self.client, self.reader = px, client, reader

    def _send_client(self, data: bytes) -> None:
        self.client.sendall(data)

    def _respond(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes,
                 close: bool) -> None:
        lines = ["HTTP/1.1 %d %s" % (status, reason)]
        lines += ["%s: %s" % kv for kv in headers]
        lines.append("Content-Length: %d" % len(body))
        if close:
            lines.append("Connection: close")
        self._send_client(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def run(self) -> bool:
        px = self.px
        first = self.reader.peek(1)[:1]
        if not first:
            return False
        if first == b"\x16":  # a TLS ClientHello on the plain port (clients probing https)
            self._respond(400, "Bad Request", [("Content-Type", "text/plain")],
                          b"Client sent an HTTPS request to an HTTP server.\n", True)
            return False
        try:
            head = _read_head(self.reader)
            if head is None:
                return False
            start, headers = head
            method, target, version = start.split(" ", 2)
        except (_Abort, ValueError):
            self._respond(400, "Bad Request", [("Content-Type", "text/plain")],
                          b"malformed request\n", True)
            return False
        split = urllib.parse.urlsplit(target)
        path, query = split.path, split.query
        rec: dict[str, Any] = {
            "time": time.time(), "method": method, "path": path, "query": query,
            "target": target, "headers": {k.lower(): _hget(headers, k) for k, _ in headers},
            "header_list": list(headers), "authorization": _hget(headers, "authorization") is not None,
            "action": "forward", "rule": None, "status": None, "request_bytes": 0,
            "response_bytes": 0, "completed": False,
        }
        with px._lock:
            px._requests.append(rec)
        conn_hdr = (_hget(headers, "connection") or "").lower()
        client_close = "close" in conn_hdr or (version == "HTTP/1.0" and "keep-alive" not in conn_hdr)
        expect = (_hget(headers, "expect") or "").lower() == "100-continue"
        req_framing = _framing(headers)
        rule = px._match(method, path, query)
        action = rule.action if rule else "forward"
        if rule:
            rec["rule"] = rule.id
            rec["action"] = action

        if action == "delay":
            time.sleep(rule.seconds)
            action = "forward"
        if action == "close":
            close_socket(self.client, rule.reset)
            return False
        if action in ("status", "redirect"):
            if expect:  # never read the body: answer and close
                keep = False
            else:
                _relay_body(self.reader, lambda b: None, req_framing)
                keep = not client_close
            if action == "status":
                hdrs = [(k, str(v)) for k, v in rule.headers.items()]
                if rule.retry_after is not None:
                    hdrs.append(("Retry-After", str(rule.retry_after)))
                body = rule.body if rule.body is not None else json.dumps(
                    {"errors": [{"code": "UNAVAILABLE" if rule.status != 429 else "TOOMANYREQUESTS",
                                 "message": "injected by berth FaultProxy", "detail": None}]}).encode()
                if not any(k.lower() == "content-type" for k, _ in hdrs):
                    hdrs.append(("Content-Type", "application/json"))
                hdrs.append(("Docker-Distribution-Api-Version", "registry/2.0"))
                self._respond(rule.status, http.HTTPStatus(rule.status).phrase
                              if rule.status in http.HTTPStatus._value2member_map_ else "Fault",
                              hdrs, body if method != "HEAD" else b"", not keep)
                rec["status"] = rule.status
            else:
                location = self._presign(path, query, _hget(headers, "authorization"))
                rec["location"] = location
                self._respond(rule.status, "Temporary Redirect",
                              [("Location", location),
                               ("Docker-Distribution-Api-Version", "registry/2.0")],
                              b"", not keep)
                rec["status"] = rule.status
            rec["completed"] = True
            return keep

        # forward (possibly with a drop)
        if expect:
            self._send_client(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            up = px._upstream_connect()
        except OSError as e:
            self._respond(502, "Bad Gateway", [("Content-Type", "text/plain")],
                          ("upstream unreachable: %s" % e).encode(), True)
            rec["status"] = 502
            return False
        try:
            return self._forward(up, method, target, headers, req_framing, rule, action, rec,
                                 client_close)
        finally:
            close_socket(up)

    def _forward(self, up: socket.socket, method: str, target: str,
                 headers: list[tuple[str, str]], req_framing: tuple[str, int], rule: Rule | None,
                 action: str, rec: dict, client_close: bool) -> bool:
        px = self.px
        listed = {t.strip().lower() for t in (_hget(headers, "connection") or "").split(",")}
        out = [(k, v) for k, v in headers
               if k.lower() not in _HOP and k.lower() not in listed
               and k.lower() != "x-forwarded-proto"]
        out.append(("X-Forwarded-Proto", px.scheme))
        out.append(("Connection", "close"))
        head = "%s %s HTTP/1.1\r\n" % (method, target) + "".join("%s: %s\r\n" % kv for kv in out)
        up.sendall((head + "\r\n").encode("latin-1"))

        up_broken = False

        def to_up(data: bytes) -> None:
            nonlocal up_broken
            if up_broken:
                return
            try:
                up.sendall(data)
            except OSError:
                up_broken = True

        limit = rule.after_bytes if action == "drop_request" else None
        try:
            rec["request_bytes"] = _relay_body(self.reader, to_up, req_framing, limit)
        except _LimitReached:
            rec["request_bytes"] = limit
            rec["status"] = None
            close_socket(up, rule.reset)
            close_socket(self.client, rule.reset)
            return False
        if up_broken and req_framing[0] == "none":
            raise _Abort("upstream closed")

        up_reader = up.makefile("rb", buffering=65536)
        try:
            while True:
                rhead = _read_head(up_reader)
                if rhead is None:
                    self._respond(502, "Bad Gateway", [("Content-Type", "text/plain")],
                                  b"upstream closed the connection", True)
                    rec["status"] = 502
                    return False
                status_line, rheaders = rhead
                parts = status_line.split(" ", 2)
                status = int(parts[1])
                if 100 <= status < 200 and status != 101:
                    continue  # swallow interim responses
                break
            rec["status"] = status
            rec["response_headers"] = {k.lower(): _hget(rheaders, k) for k, _ in rheaders}
            resp_framing = _framing(rheaders, response_to=method, status=status)
            close_client = client_close or resp_framing[0] == "close" or up_broken
            listed = {t.strip().lower() for t in (_hget(rheaders, "connection") or "").split(",")}
            rout = [(k, v) for k, v in rheaders
                    if k.lower() not in _HOP and k.lower() not in listed]
            if close_client:
                rout.append(("Connection", "close"))
            rhead_bytes = ("%s\r\n" % status_line + "".join("%s: %s\r\n" % kv for kv in rout)
                           + "\r\n").encode("latin-1")
            self._send_client(rhead_bytes)
            rlimit = rule.after_bytes if action == "drop_response" else None
            send = self._send_client
            if action == "slow" and rule.rate > 0:
                def send(data: bytes, rate: float = rule.rate) -> None:
                    for i in range(0, len(data), 16384):
                        self._send_client(data[i:i + 16384])
                        time.sleep(len(data[i:i + 16384]) / rate)
            try:
                rec["response_bytes"] = _relay_body(up_reader, send, resp_framing, rlimit)
            except _LimitReached:
                rec["response_bytes"] = rlimit
                close_socket(self.client, rule.reset)
                return False
            rec["completed"] = True
            return not close_client
        finally:
            try:
                up_reader.close()
            except OSError:
                pass

    def _presign(self, path: str, query: str, authorization: str | None) -> str:
        px = self.px
        sig = secrets.token_hex(32)
        secret_scan.secret(sig)
        m = re.search(r"/blobs/([^/]+)$", path)
        digest = m.group(1) if m else "blob"
        algo, _, hexpart = digest.partition(":")
        key = "docker/registry/v2/blobs/%s/%s/%s/data" % (algo, hexpart[:2], hexpart)
        with px._lock:
            px._presigned[sig] = {"path": path, "query": query, "authorization": authorization,
                                  "created": time.time()}
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        q = urllib.parse.urlencode({
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "BERTHTESTKEY/%s/us-east-1/s3/aws4_request" % amz_date[:8],
            "X-Amz-Date": amz_date, "X-Amz-Expires": "900", "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": sig})
        return "%s/berth-test-bucket/%s?%s" % (px.storage_url, key, q)


class _StorageHandler(QuietHandler):
    """The S3-like side of FaultProxy.redirect_blobs()."""
    px: FaultProxy
    server_version = "AmazonS3"

    def _xml(self, status: int, code: str, message: str, rec: dict) -> None:
        rec["status"] = status
        self._send(status, s3_error_xml(code, message, uuid.uuid4().hex), "application/xml")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        px = self.px
        split = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(split.query)
        auth = self.headers.get("Authorization")
        rec = {"time": time.time(), "method": self.command, "path": split.path,
               "query": split.query, "headers": {k.lower(): v for k, v in self.headers.items()},
               "authorization": auth is not None, "status": None, "bytes": 0}
        with px._lock:
            px._storage_requests.append(rec)
        if auth is not None:
            return self._xml(400, "InvalidArgument", S3_ONE_AUTH_MESSAGE, rec)
        sig = (q.get("X-Amz-Signature") or [""])[0]
        with px._lock:
            entry = px._presigned.get(sig)
        if entry is None:
            return self._xml(403, "AccessDenied", "Request has expired or signature is invalid", rec)
        headers = {"Host": "%s:%d" % (px._up_host, px._up_port)}
        if entry["authorization"]:
            headers["Authorization"] = entry["authorization"]
        if self.headers.get("Range"):
            headers["Range"] = self.headers["Range"]
        conn = (http.client.HTTPSConnection(px._up_host, px._up_port, timeout=px.timeout,
                                            context=px._up_ctx)
                if px._up_tls else http.client.HTTPConnection(px._up_host, px._up_port,
                                                              timeout=px.timeout))
        try:
            target = entry["path"] + ("?" + entry["query"] if entry["query"] else "")
            conn.request(self.command, target, headers=headers)
            resp = conn.getresponse()
            if resp.status not in (200, 206):
                resp.read()
                return self._xml(404 if resp.status == 404 else 403,
                                 "NoSuchKey" if resp.status == 404 else "AccessDenied",
                                 "registry answered %d" % resp.status, rec)
            self._stream(resp, rec, ("Content-Length", "Content-Range", "Accept-Ranges", "ETag",
                                     "Last-Modified"),
                         [("Content-Type", "application/octet-stream")])
        finally:
            conn.close()


class _ControlHandler(ControlHandler):
    px: FaultProxy

    def routes(self) -> dict[tuple[str, str], Callable[..., Any]]:
        px = self.px
        return {
            ("GET", "/rules"): lambda: [r.to_dict() for r in px.rules],
            ("GET", "/requests"): lambda: px.requests,
            ("GET", "/storage-requests"): lambda: px.storage_requests,
            ("GET", ""): px.state,
            ("GET", "/state"): px.state,
            ("POST", "/rules"): self._add_rules,
            ("POST", "/reset"): lambda _: px.reset(),
            ("DELETE", "/rules"): px.clear_rules,
            ("DELETE", "/rules/"): lambda rule_id: (200 if px.remove_rule(rule_id) else 404, {}),
            ("DELETE", "/requests"): px.clear_requests,
            ("DELETE", "/storage-requests"): lambda: clear_records(px._lock,
                                                                  px._storage_requests),
        }

    def _add_rules(self, spec: Any) -> Any:
        specs = spec if isinstance(spec, list) else [spec]
        added = [self.px.add_rule(Rule.from_dict(s)).to_dict() for s in specs]
        return added if isinstance(spec, list) else added[0]


# --------------------------------------------------------------------------
# a whole stack (what the CLI runs)


class Stack(Service):
    """A registry of one ``kind`` (plain, htpasswd, token, tls), optionally with TLS on
    top of the auth kinds (``tls=True``) and a FaultProxy in front (``proxy=True``).

    ``.registry``, ``.token_server``, ``.proxy``, ``.ca``; ``.state()`` is the dict the
    CLI writes to stack.json."""

    KINDS = ("plain", "htpasswd", "token", "tls")
    workdir_prefix = "berth-stack-"
    # made by start()
    registry: Registry | None = None
    token_server: TokenServer | None = None
    proxy: FaultProxy | None = None
    ca: TestCA | None = None

    def __init__(self, kind: str = "plain", *, tls: bool | None = None, proxy: bool = False,
                 users: dict | None = None, workdir: str | None = None,
                 token_options: dict | None = None, registry_options: dict | None = None):
        if kind not in self.KINDS:
            raise ValueError("kind must be one of %s" % (self.KINDS,))
        self.kind = kind
        self.tls = bool(tls) or kind == "tls"
        self.want_proxy = proxy
        self.users = users
        super().__init__(workdir)
        self.token_options = dict(token_options or {})
        self.registry_options = dict(registry_options or {})

    def start_parts(self) -> None:
        if self.tls:
            self.ca = TestCA(os.path.join(self.workdir, "ca"))
        auth = {"plain": None, "tls": None, "htpasswd": "htpasswd", "token": "token"}[self.kind]
        users = self.users if self.users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        if auth == "token":
            opts = dict(self.token_options)
            if self.tls and "tls_cert" not in opts:
                opts["tls_cert"] = self.ca.issue("localhost")
            opts.setdefault("workdir", os.path.join(self.workdir, "token"))
            self.token_server = TokenServer(users, **opts).start()
        reg_users = {k: (v if isinstance(v, str) else
                         (v[0] if isinstance(v, (tuple, list)) else v["password"]))
                     for k, v in users.items()}
        self.registry = Registry(auth, users=reg_users, token_server=self.token_server,
                                 tls=self.tls, ca=self.ca,
                                 workdir=os.path.join(self.workdir, "registry"),
                                 **self.registry_options).start()
        if self.want_proxy:
            self.proxy = FaultProxy(self.registry, listen_cert=(
                self.ca.issue("localhost") if self.tls else None)).start()

    def stop(self) -> None:
        stop_all((self.proxy, self.registry, self.token_server))
        super().stop()

    def state(self) -> dict:
        reg = self.registry
        st: dict[str, Any] = {
            "kind": self.kind, "tls_enabled": self.tls, "workdir": self.workdir,
            "registry": reg.state(),
            "auth": {"type": {"htpasswd": "basic", "token": "bearer"}.get(reg.auth or "", None),
                     "username": reg.username, "password": reg.password,
                     "users": dict(reg.users) if reg.auth else {}},
            "tls": None, "token": None, "proxy": None,
            "pids": [p for p in [reg.pid] if p],
        }
        if self.tls:
            st["tls"] = {"ca_file": self.ca.cert_file, "cert_dir": self.ca.cert_dir,
                         "cert_file": reg.tls_cert.cert_file, "key_file": reg.tls_cert.key_file,
                         "hosts": reg.tls_cert.hosts}
        ts = self.token_server
        if ts:
            st["token"] = {"realm": ts.realm, "url": ts.url, "service": ts.service,
                           "issuer": ts.issuer, "rootcertbundle": ts.rootcertbundle,
                           "hostport": ts.hostport, "realm_host": ts.realm_host,
                           "alg": ts.alg, "key_mode": ts.key_mode, "kid": ts.key_id,
                           "expires_in": ts.expires_in, "exact_expiry": ts.exact_expiry,
                           "signing_cert": ts.signing_cert.cert_file,
                           "signing_key": ts.signing_key,
                           "requests_url": ts.requests_url}
        if self.proxy:
            st["proxy"] = self.proxy.state()
        st["env"] = self.env()
        return st

    def env(self) -> dict[str, str]:
        reg = self.registry
        e = {"BERTH_TEST_STACK_KIND": self.kind, "BERTH_TEST_REGISTRY": reg.hostport,
             "BERTH_TEST_REGISTRY_URL": reg.url}
        if reg.auth:
            e["BERTH_TEST_REGISTRY_USER"] = reg.username or ""
            e["BERTH_TEST_REGISTRY_PASSWORD"] = reg.password or ""
        if self.tls:
            e["BERTH_TEST_REGISTRY_CA"] = self.ca.cert_file
            e["BERTH_TEST_REGISTRY_CERT_DIR"] = self.ca.cert_dir
            e["BERTH_TEST_REGISTRY_TLS_HOSTPORT"] = reg.tls_hostport
        if self.token_server:
            e["BERTH_TEST_TOKEN_REALM"] = self.token_server.realm
            e["BERTH_TEST_TOKEN_SERVICE"] = self.token_server.service
            e["BERTH_TEST_TOKEN_REQUESTS_URL"] = self.token_server.requests_url
        if self.proxy:
            e["BERTH_TEST_PROXY"] = self.proxy.hostport
            e["BERTH_TEST_PROXY_URL"] = self.proxy.url
            e["BERTH_TEST_PROXY_CONTROL_URL"] = self.proxy.control_url or ""
            e["BERTH_TEST_STORAGE_URL"] = self.proxy.storage_url
        return e


# --------------------------------------------------------------------------
# test images


def make_oci_image(layout: str, tag: str = "latest", files: dict[str, bytes | str] | None = None,
                   layers: int = 1) -> str:
    """Make an OCI image layout with umoci: ``layers`` layers each holding ``files``
    (default: one small text file) under ``/layerN/``.  Returns ``"oci:LAYOUT:TAG"``."""
    if files is None:
        files = {"hello.txt": "hello from berth tests\n"}
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        run(["umoci", "init", "--layout", layout])
    run(["umoci", "new", "--image", "%s:%s" % (layout, tag)])
    for n in range(layers):
        src = tempfile.mkdtemp(prefix="berth-layer-")
        try:
            for name, content in files.items():
                p = os.path.join(src, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as f:
                    f.write(content.encode() if isinstance(content, str) else content)
            run(["umoci", "insert"] + rootless + ["--image", "%s:%s" % (layout, tag), src,
                                                   "/layer%d" % n])
        finally:
            shutil.rmtree(src, ignore_errors=True)
    return "oci:%s:%s" % (layout, tag)


# --------------------------------------------------------------------------
# CLI


def _parse_users(specs: list[str] | None) -> dict | None:
    if not specs:
        return None
    users: dict[str, Any] = {}
    for spec in specs:
        parts = spec.split(":")
        if len(parts) < 2:
            raise SystemExit("--user wants NAME:PASS[:ACTIONS]")
        name, password = parts[0], parts[1]
        if len(parts) > 2 and parts[2]:
            users[name] = {"password": password, "access": {"*:*": parts[2].split(",")}}
        else:
            users[name] = password
    return users


class _CLI(StackCLI):
    prog = "stack.py"
    script = __file__
    description = __doc__.split("\n\n")[0]

    def add_up_args(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--kind", choices=Stack.KINDS, default="plain")
        p.add_argument("--distribution", choices=("2.8", "v3", "ggcr"), default="2.8",
                       help="v3: distribution v3.1 (.tools/bin/registry-v3); ggcr: "
                            "go-containerregistry's registry with the referrers API")
        p.add_argument("--tls", action="store_true", help="HTTPS for htpasswd/token kinds too")
        p.add_argument("--proxy", action="store_true", help="put a FaultProxy in front")
        p.add_argument("--user", action="append", metavar="NAME:PASS[:ACTIONS]",
                       help="users (default testuser:testpass, all actions); ACTIONS like pull,push")
        p.add_argument("--anonymous-pull", action="store_true", help="token kind: anonymous pull")
        p.add_argument("--alg", choices=("RS256", "ES256"), default="RS256")
        p.add_argument("--key-mode", choices=("x5c", "kid", "both"), default="x5c")
        p.add_argument("--expires-in", type=int, default=300)
        p.add_argument("--exact-expiry", action="store_true",
                       help="cancel distribution's 60 s leeway so tokens die at expires_in")
        p.add_argument("--no-oauth-post", action="store_true", help="token server: 404 on POST")
        p.add_argument("--realm-host", default="localhost",
                       help="host name in the token realm URL (crane refuses 127.0.0.1 there)")
        p.add_argument("--timeout", type=float, default=60.0)

    def make_stack(self, a: argparse.Namespace, workdir: str) -> Stack:
        token_options = {"alg": a.alg, "key_mode": a.key_mode, "expires_in": a.expires_in,
                         "exact_expiry": a.exact_expiry, "post_enabled": not a.no_oauth_post,
                         "realm_host": a.realm_host}
        if a.anonymous_pull:
            token_options["anonymous_access"] = {"*": ["pull"]}
        return Stack(a.kind, tls=a.tls, proxy=a.proxy, users=_parse_users(a.user),
                     workdir=workdir, token_options=token_options,
                     registry_options={"distribution": a.distribution})

    def up_message(self, st: Stack) -> str:
        return "stack up: %s" % st.registry.url

    def children(self, st: Stack) -> list[tuple[str, Any]]:
        return [("registry", st.registry)]

    def leftovers(self, state: dict) -> list[tuple[int | None, tuple[str, ...]]]:
        return [((state.get("registry") or {}).get("pid"), ("docker-registry", REGISTRY_BIN))]

    def status_info(self, state: dict) -> dict:
        return {"registry": state["registry"]["url"]}


STATE_FILE, ENV_FILE, LOG_FILE = _CLI.state_file, _CLI.env_file, _CLI.log_file


def main(argv: list[str] | None = None) -> int:
    return _CLI().main(argv)


if __name__ == "__main__":
    sys.exit(main())
