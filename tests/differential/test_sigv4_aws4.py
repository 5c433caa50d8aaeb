"""Differential test: berth's SigV4 signer against the npm `aws4` signer (header mode).

Requests are generated deterministically (BERTH_DIFF_SEED, BERTH_DIFF_AWS4_COUNT,
default 400), signed by berth (``berth.sign_request``) and by aws4 through
``aws4_sign.js`` under node; canonical request, string to sign, signature,
Authorization header and the headers to send must be identical.

Needs node and aws4 (scripts/setup.sh installs it into .tools/node; or
``mkdir -p .tools/node && cd .tools/node && npm install --no-audit --no-fund aws4@1``).
The test is skipped, with the reason, only when one of them is missing.

aws4 does its own encoding, so inputs are restricted to where aws4 and berth agree
by the SigV4 specification:

* aws4 takes the wire form of the path and, for services other than s3, encodes
  each segment once more; berth takes the path literally and, with double_encode,
  encodes it once. Giving both the same already-encoded path (only characters from
  aws4's allowed set ``A-Za-z0-9;,/:@&=+$-_.!~*'()%``, no raw space or non-ASCII,
  which aws4 would re-encode with encodeURI first) makes both sign the
  double-encoded form AWS expects.
* Queries are in canonical form with no '+' (aws4 decodes '+' as a space) and no
  empty keys (aws4 drops them).
* Header names are unique case-insensitively (aws4 takes an object; repeated names
  cannot be expressed) and avoid names only one side leaves unsigned: aws4 ignores
  range and presigned-expires, berth/botocore ignore keep-alive, te, trailer,
  transfer-encoding, upgrade and proxy-*. Both ignore connection, expect,
  user-agent and x-amzn-trace-id, which are generated.
* Header whitespace is space and tab only (aws4 folds JavaScript's \\s).
* aws4 adds Content-Type and Content-Length to requests with a body, and
  X-Amz-Date when absent, unless present under exactly "Content-Type" /
  "content-type" (etc.); the generator passes Content-Type, Content-Length and
  X-Amz-Date (the fixed timestamp) itself, spelled that way, so both sign the same
  set. An empty body
  is passed to aws4 as no body.
* UNSIGNED-PAYLOAD: aws4 takes a caller's X-Amz-Content-Sha256 header as the
  payload hash; berth gets unsigned_payload + content_sha256_header instead.
* Service is never s3 (aws4 switches to S3 rules) and host/port are passed so that
  aws4's Host equals the URL authority (default ports left out).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from urllib.parse import quote, urlsplit

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4_cases as cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = os.path.join(HERE, "aws4_sign.js")
AWS4_DIR = os.environ.get("BERTH_AWS4") or os.path.join(cases.REPO, ".tools", "node", "node_modules", "aws4")

AWS4_PATH_SAFE = "/;,:@&=+$-_.!~*'()"  # aws4's allowed set minus '%', '?' and '#'
# Left unsigned by both aws4 and berth.
COMMON_UNSIGNED = ["Connection", "Expect", "User-Agent", "X-Amzn-Trace-Id"]
ONE_SIDED_UNSIGNED = {"range", "presigned-expires", "keep-alive", "te", "trailer", "transfer-encoding",
                      "upgrade", "proxy-authenticate", "proxy-authorization"}


def node_and_aws4() -> tuple[str | None, str | None]:
    node = shutil.which("node") or ("/usr/bin/node" if os.path.exists("/usr/bin/node") else None)
    if node is None:
        return None, "node is not installed (apt-get install nodejs)"
    if not os.path.exists(os.path.join(AWS4_DIR, "aws4.js")):
        return None, (f"npm aws4 is not installed at {AWS4_DIR} (run scripts/setup.sh, or: mkdir -p "
                      ".tools/node && cd .tools/node && npm install --no-audit --no-fund aws4@1)")
    return node, None


def generate(rng: random.Random) -> dict:
    scheme = rng.choice(["http", "https"])
    literal = cases.literal_path(rng)
    if not literal.startswith("/"):
        literal = "/" + literal
    path = quote(literal, safe=AWS4_PATH_SAFE)  # wire form, '%' included as %25
    query = cases.canonical_query(rng, repeated_keys=True, bare_keys=True)
    host = rng.choice(cases.HOSTS).lower()
    r = rng.random()
    default = 443 if scheme == "https" else 80
    port = None if r < 0.6 else rng.choice([8080, 8443, 4566, 1, 65535, 80 if scheme == "https" else 443])
    url = f"{scheme}://{host}{'' if port is None else ':' + str(port)}{path}" + (f"?{query}" if query else "")

    timestamp = cases.amz_timestamp(rng)
    body = cases.body_bytes(rng)
    unsigned = rng.random() < 0.12
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(name: str, value: str) -> None:
        if name.lower() not in seen:
            seen.add(name.lower())
            headers.append((name, value))

    for _ in range(rng.choice([0, 1, 2, 3, 5, 8])):
        rr = rng.random()
        if rr < 0.6:
            name = rng.choice(cases.PLAIN_HEADER_NAMES)
        elif rr < 0.75:
            name = rng.choice(COMMON_UNSIGNED)
        else:
            name = cases.random_token_name(rng)
        if name.lower() in ONE_SIDED_UNSIGNED or name.lower().startswith("x-amz-content"):
            continue
        if name.lower() == "content-type":
            # aws4 looks for exactly "Content-Type" or "content-type" before adding its own.
            # ... and an empty value counts as absent (JavaScript falsiness).
            add(rng.choice(["Content-Type", "content-type"]), cases.header_value(rng) or "text/plain")
        else:
            add(cases.random_case(rng, name), cases.header_value(rng))
    if body:
        add(rng.choice(["Content-Type", "content-type"]),
            rng.choice(["application/x-amz-json-1.1", "application/octet-stream", "text/plain; charset=utf-8"]))
        add(rng.choice(["Content-Length", "content-length"]), str(len(body)))
    add(rng.choice(["X-Amz-Date", "x-amz-date"]), timestamp)
    if rng.random() < 0.05:
        add("Host", host if port is None else f"{host}:{port}")
    rng.shuffle(headers)
    service = cases.service_name(rng)
    return {
        "method": rng.choice(cases.METHODS),
        "url": url,
        "host": host,
        "port": port,
        "path": path + (f"?{query}" if query else ""),
        "headers": headers,
        "body": body,
        "service": service,
        "region": cases.region_name(rng),
        "access_key": cases.access_key(rng),
        "secret_key": cases.secret_key(rng),
        "token": cases.session_token(rng) if rng.random() < 0.4 else None,
        "timestamp": timestamp,
        "unsigned": unsigned,
    }


def sign_aws4(node: str, reqs: list[dict]) -> list[dict]:
    payload = [{
        "method": r["method"], "host": r["host"], "port": r["port"], "path": r["path"],
        "headers": r["headers"] + ([("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")] if r["unsigned"] else []),
        "body_hex": r["body"].hex(), "service": r["service"], "region": r["region"],
        "accessKeyId": r["access_key"], "secretAccessKey": r["secret_key"], "sessionToken": r["token"],
    } for r in reqs]
    env = dict(os.environ, BERTH_AWS4=AWS4_DIR)
    proc = subprocess.run([node, DRIVER], input=json.dumps(payload), capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"aws4_sign.js failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def compare(berth, req: dict, a: dict) -> list[str]:
    b = berth.sign_request(req["method"], req["url"], req["headers"], req["body"],
                           region=req["region"], service=req["service"], access_key=req["access_key"],
                           secret_key=req["secret_key"], session_token=req["token"],
                           timestamp=req["timestamp"], unsigned_payload=req["unsigned"],
                           content_sha256_header=req["unsigned"])
    diffs = []
    if b.canonical_request != a["canonical"]:
        diffs.append(f"canonical request:\n--- aws4\n{a['canonical']}\n--- berth\n{b.canonical_request}")
    if b.string_to_sign != a["stringToSign"]:
        diffs.append(f"string to sign:\n--- aws4\n{a['stringToSign']}\n--- berth\n{b.string_to_sign}")
    if b.signature != a["signature"]:
        diffs.append(f"signature: aws4 {a['signature']} berth {b.signature}")
    sent_b = sorted((n.lower(), v) for n, v in b.headers)
    sent_a = sorted((n.lower(), v) for n, v in a["headers"])
    if sent_b != sent_a:
        diffs.append(f"sent headers:\n--- aws4\n{sent_a}\n--- berth\n{sent_b}")
    if urlsplit(b.url).path != a["path"].partition("?")[0]:
        diffs.append(f"wire path: aws4 {a['path']!r} berth {b.url!r}")
    return diffs


def run(node: str, n: int | None = None, seed: int | None = None, *, show: int = 3):
    berth, reason = cases.import_berth()
    if berth is None:
        raise RuntimeError(reason)
    seed = cases.seed() if seed is None else seed
    n = int(os.environ.get("BERTH_DIFF_AWS4_COUNT", 400)) if n is None else n
    rng = random.Random(seed)
    reqs = [generate(rng) for _ in range(n)]
    results = sign_aws4(node, reqs)
    failures = []
    for i, (req, a) in enumerate(zip(reqs, results)):
        diffs = compare(berth, req, a)
        if diffs:
            failures.append((i, req, diffs))
    for i, req, diffs in failures[:show]:
        print(f"\n#### mismatch at request {i}: {req!r}")
        for d in diffs:
            print(d)
    version = json.load(open(os.path.join(AWS4_DIR, "package.json")))["version"]
    print(f"sigv4 differential (aws4 {version}): {n} header-mode requests, {len(failures)} mismatches "
          f"(seed {seed}; {cases.describe(berth)})")
    return n, failures


def test_sigv4_matches_aws4(capsys):
    node, reason = node_and_aws4()
    if node is None:
        pytest.skip(reason)
    berth, reason = cases.import_berth()
    if berth is None:
        pytest.skip(reason)
    with capsys.disabled():
        n, failures = run(node)
    assert n >= 200 or "BERTH_DIFF_AWS4_COUNT" in os.environ
    assert not failures, f"{len(failures)} of {n} requests signed differently (first: request {failures[0][0]})"


if __name__ == "__main__":
    node, reason = node_and_aws4()
    if node is None:
        sys.exit(f"skipped: {reason}")
    _, f = run(node)
    sys.exit(1 if f else 0)
