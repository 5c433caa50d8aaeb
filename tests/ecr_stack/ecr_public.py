"""Amazon ECR Public on loopback: its API and its registry, for berth's ECR Public
support. No peer here serves ECR Public (moto has no ecr-public), so this is a
stand-in made of one hand-written part and two real ones:

* ``EcrPublicApi`` -- the ``ecr-public`` API's GetAuthorizationToken (AWS JSON 1.1,
  ``X-Amz-Target: SpencerFrontendService.GetAuthorizationToken``). Every request's
  SigV4 signature is recomputed with botocore's signer from the caller's secret key
  (scope ``us-east-1/ecr-public``); a wrong one gets ``InvalidSignatureException``,
  an unknown key ``UnrecognizedClientException``, a key in ``denied``
  ``AccessDeniedException`` -- AWS JSON errors, as the AWS CLI parses them. The reply
  is ``{"authorizationData": {"authorizationToken": base64("AWS:<password>"),
  "expiresAt": <epoch>}}``. tests/ecr_stack/test_ecr_public.py checks that
  ``aws ecr-public get-login-password`` accepts it.
* the registry: a real ``docker-registry`` with Docker token auth, over TLS under the
  name ``public.ecr.aws``, behind a real ``TokenServer`` (``service=public.ecr.aws``)
  that gives anonymous callers pull rights on everything and ``AWS:<password>`` pull
  and push -- what ECR Public does. Its realm is ``https://public.ecr.aws:PORT/token/``
  (ECR Public's is on 443: only the port differs, since the registry has 443).

``connect_to`` maps both names for berth (``BERTH_CONNECT_TO``); ``env()`` gives
the whole environment except AWS keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import time
import urllib.parse
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS_DIR = os.path.join(HERE, "..", "servers")
if SERVERS_DIR not in sys.path:
    sys.path.insert(0, SERVERS_DIR)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from stack import Registry, TestCA, TokenServer  # noqa: E402
from stackbase import QuietHandler, RecordingServer, Service, handler_for  # noqa: E402

import secret_scan  # noqa: E402

from sigv4_check import check_sigv4  # noqa: E402

HOST = "public.ecr.aws"
REGION = "us-east-1"
SERVICE = "ecr-public"
TARGET = "SpencerFrontendService."


class EcrPublicApi(RecordingServer):
    """The ecr-public API's GetAuthorizationToken on http://127.0.0.1:PORT.

    ``keys``: ``{access_key_id: secret_access_key}`` that may sign; ``denied``: access
    key ids that sign correctly but lack ``ecr-public:GetAuthorizationToken``.
    ``requests`` records ``{target, access_key_id, scope, signature_ok, status, error}``.
    """

    def __init__(self, keys: dict[str, str], password: str, *, denied: set[str] | None = None,
                 expires_in: int = 12 * 3600):
        super().__init__()
        self.keys, self.password, self.expires_in = dict(keys), password, expires_in
        self.denied = set(denied or ())

    def start_parts(self) -> None:
        self.serve(handler_for(_ApiHandler, api=self), "berth-ecr-public-api")

    def check_signature(self, method: str, path: str, headers: dict[str, str],
                        body: bytes) -> tuple[str | None, str | None, str | None]:
        """(access key id, scope, error code or None) of a request, by botocore's signer
        (sigv4_check.check_sigv4, scope ``us-east-1/ecr-public``)."""
        return check_sigv4(method, path, headers, body, self.keys, SERVICE, REGION)


class _ApiHandler(QuietHandler):
    api: EcrPublicApi
    server_version = "berth-ecr-public/1"

    def _error(self, rec: dict, status: int, code: str, message: str) -> None:
        rec.update(status=status, error=code)
        self._send(status, json.dumps({"__type": code, "message": message}).encode(),
                   "application/x-amz-json-1.1", [("x-amzn-RequestId", secrets.token_hex(8))])

    def do_POST(self) -> None:
        api = self.api
        body = self._read_small_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        target = headers.get("x-amz-target", "")
        rec: dict[str, Any] = {"time": time.time(), "target": target, "status": None,
                               "error": None, "access_key_id": None, "scope": None,
                               "signature_ok": False}
        api._record(rec)
        akid, scope, err = api.check_signature("POST", self.path, headers, body)
        rec.update(access_key_id=akid, scope=scope, signature_ok=err is None)
        if err:
            status = 403 if err == "UnrecognizedClientException" else 400
            return self._error(rec, status, err, "The request signature we calculated does not "
                               "match the signature you provided." if err != "UnrecognizedClientException"
                               else "The security token included in the request is invalid.")
        if target != TARGET + "GetAuthorizationToken":
            return self._error(rec, 400, "UnknownOperationException", "unknown operation " + target)
        if akid in api.denied:
            return self._error(rec, 400, "AccessDeniedException",
                               "User is not authorized to perform: "
                               "ecr-public:GetAuthorizationToken on resource: *")
        token = base64.b64encode(("AWS:" + api.password).encode()).decode()
        rec["status"] = 200
        self._send(200, json.dumps({"authorizationData": {
            "authorizationToken": token, "expiresAt": time.time() + api.expires_in}}).encode(),
            "application/x-amz-json-1.1", [("x-amzn-RequestId", secrets.token_hex(8))])


class EcrPublic(Service):
    """ECR Public: ``api`` (EcrPublicApi), ``token_server`` and ``registry`` under
    ``public.ecr.aws``, sharing ``ca``. ``keys``/``denied`` as for EcrPublicApi."""

    workdir_prefix = "berth-ecr-public-"

    def __init__(self, keys: dict[str, str], *, denied: set[str] | None = None,
                 workdir: str | None = None):
        super().__init__(workdir)
        self.keys, self.denied = keys, denied
        self.password = "ecr-public-" + secrets.token_urlsafe(24)
        secret_scan.secret(self.password)  # never in berth's logs (tests/servers/secret_scan.py)

    def start_parts(self) -> None:
        self.ca = TestCA(os.path.join(self.workdir, "ca"))
        hosts = (HOST, "localhost", "127.0.0.1")
        self.token_server = TokenServer(
            {"AWS": (self.password, ["pull", "push"])}, service=HOST, path="/token/",
            realm_host=HOST, anonymous=True, anonymous_access={"*": ["pull"]},
            tls_cert=self.ca.issue(HOST, hosts=hosts),
            workdir=os.path.join(self.workdir, "token")).start()
        self.registry = Registry("token", users={"AWS": self.password},
                                 token_server=self.token_server, tls=True, ca=self.ca,
                                 tls_hosts=hosts,
                                 workdir=os.path.join(self.workdir, "registry")).start()
        self.api = EcrPublicApi(self.keys, self.password, denied=self.denied).start()

    def stop(self) -> None:
        for part in ("api", "registry", "token_server"):
            if getattr(self, part, None) is not None:
                getattr(self, part).stop()
        super().stop()

    @property
    def connect_to(self) -> str:
        return "%s:443:127.0.0.1:%d,%s:%d:127.0.0.1:%d" % (
            HOST, self.registry.port, HOST, self.token_server.port, self.token_server.port)

    def env(self) -> dict[str, str]:
        """berth's view: both names mapped, the CA trusted, the API's endpoint."""
        return {"BERTH_CONNECT_TO": self.connect_to, "SSL_CERT_FILE": self.ca.cert_file,
                "AWS_ENDPOINT_URL_ECR_PUBLIC": self.api.url}

    def token_requests(self) -> list[dict]:
        return [r for r in self.token_server.requests
                if urllib.parse.urlsplit(r.get("path", "")).path == "/token/"]
