"""Deterministic generators of SigV4 signing inputs for the differential tests.

Everything here is driven by a seeded ``random.Random`` so a failure reproduces with
the same seed (BERTH_DIFF_SEED) and count (BERTH_DIFF_COUNT). The generators only
produce inputs on which the peer signers and berth agree *by the SigV4
specification*; inputs where a peer deviates from the specification (or takes a
different input contract) are left out on purpose, and each exclusion is explained
where it is made.
"""

from __future__ import annotations

import calendar
import datetime
import glob
import os
import random
import string
import sys
from urllib.parse import quote

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

DEFAULT_SEED = 20240917
DEFAULT_COUNT = 1200


def seed() -> int:
    return int(os.environ.get("BERTH_DIFF_SEED", DEFAULT_SEED))


def count(default: int = DEFAULT_COUNT) -> int:
    return int(os.environ.get("BERTH_DIFF_COUNT", default))


# --------------------------------------------------------------------------------
# Locating berth
# --------------------------------------------------------------------------------


def locate_library() -> str | None:
    """BERTH_LIBRARY if set; else build/libberth.so (what scripts/setup.sh builds);
    else the newest build*/libberth.so. The choice is exported as BERTH_LIBRARY so the
    binding loads exactly that file."""
    env = os.environ.get("BERTH_LIBRARY")
    if env:
        return env if os.path.exists(env) else None
    default = os.path.join(REPO, "build", "libberth.so")
    found = [default] if os.path.exists(default) else glob.glob(os.path.join(REPO, "build*", "libberth.so"))
    if not found:
        return None
    chosen = max(found, key=os.path.getmtime)
    os.environ["BERTH_LIBRARY"] = chosen
    return chosen


def describe(berth) -> str:
    """Where the binding and the library under test came from (for summaries)."""
    where = os.path.relpath(os.path.dirname(os.path.dirname(berth.__file__)), REPO)
    return f"binding {where}, library {os.environ.get('BERTH_LIBRARY')}"


def import_berth():
    """Imports the Python binding (bindings/python) against the located library.

    Returns (module, None) or (None, reason)."""
    lib = locate_library()
    if lib is None:
        return None, ("libberth.so not found: build berth (e.g. scripts/setup.sh) or set "
                      "BERTH_LIBRARY")
    binding = os.path.join(REPO, "bindings", "python")
    if os.path.isdir(os.path.join(binding, "berth")) and binding not in sys.path:
        sys.path.insert(0, binding)
    import berth  # noqa: PLC0415 - a failure here is a real error, not a skip

    return berth, None


# --------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------

# Python's and RFC 3986's unreserved set, which is what every SigV4 signer leaves
# unencoded. quote() keeps "_.-~" and alphanumerics always.
UNRESERVED = string.ascii_letters + string.digits + "-._~"
SUB_DELIMS = "!$&'()*+,;=:@"
UNICODE_PIECES = ["é", "ü", "ß", "Ω", "中文", "日本", "😀", "e\u0301", "\u00a0", "ſ", "ﬁ", "€"]

METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]
REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "cn-north-1",
           "us-gov-west-1", "il-central-1"]
SERVICES = ["ecr", "sts", "iam", "execute-api", "dynamodb", "sqs", "logs", "es", "lambda"]
HOSTS = ["example.amazonaws.com", "api.ecr.us-east-1.amazonaws.com", "sts.amazonaws.com",
         "Mixed.Case.Example.COM", "localhost", "127.0.0.1", "registry-1.internal",
         "abc123.execute-api.eu-west-1.amazonaws.com"]
IPV6_HOSTS = ["[::1]", "[2001:db8::7]", "[FE80::1]"]

# Header names a caller may plausibly pass. Hop-by-hop ones are in both unsigned lists
# (botocore's SIGNED_HEADERS_BLACKLIST and berth's kUnsignedHeaders).
PLAIN_HEADER_NAMES = ["Content-Type", "Accept", "X-Amz-Target", "X-Amz-User-Agent",
                      "Content-Encoding", "Cache-Control", "If-None-Match", "X-Custom",
                      "x-amz-meta-Owner", "X-Amz-Acl", "Accept-Encoding", "Docker-Distribution-Api-Version",
                      "X-Amz-Trace-Extra", "Origin", "Pragma", "Content-MD5", "X-Api-Key"]
UNSIGNED_HEADER_NAMES = ["User-Agent", "Connection", "Expect", "Keep-Alive", "TE", "Trailer",
                         "Transfer-Encoding", "Upgrade", "X-Amzn-Trace-Id", "Proxy-Authorization"]
TOKEN_SPECIALS = "!#$%&'*+-.^_`|~"


def amz_timestamp(rng: random.Random) -> str:
    # 2000-01-01 .. 2037-12-31 (stays within 32-bit time_t for good measure).
    lo = calendar.timegm((2000, 1, 1, 0, 0, 0))
    hi = calendar.timegm((2037, 12, 31, 23, 59, 59))
    t = rng.randint(lo, hi)
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def access_key(rng: random.Random) -> str:
    return rng.choice(["AKIA", "ASIA"]) + "".join(rng.choices(string.ascii_uppercase + string.digits, k=16))


def secret_key(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "+/", k=40))


def session_token(rng: random.Random) -> str:
    body = "".join(rng.choices(string.ascii_letters + string.digits + "+/", k=rng.randint(16, 400)))
    return body + "=" * rng.randint(0, 2)


def service_name(rng: random.Random) -> str:
    return rng.choice(SERVICES)


def region_name(rng: random.Random) -> str:
    return rng.choice(REGIONS)


def _path_segment_literal(rng: random.Random, *, unicode: bool = True, spaces: bool = True,
                          sub_delims: bool = True, percent: bool = True) -> str:
    """One literal (not yet percent-encoded) path segment."""
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.45:
            parts.append("".join(rng.choices(UNRESERVED, k=rng.randint(1, 10))))
        elif kind < 0.6 and spaces:
            parts.append(" " * rng.randint(1, 3))
        elif kind < 0.75 and unicode:
            parts.append(rng.choice(UNICODE_PIECES))
        elif kind < 0.88 and sub_delims:
            parts.append("".join(rng.choices(SUB_DELIMS + '"<>[]^`{|}\\', k=rng.randint(1, 3))))
        elif percent:
            # An escape-looking sequence: the path is literal, so it is encoded again.
            parts.append(rng.choice(["%2F", "%20", "%41", "%e2%82%ac", "%", "%zz", "100%"]))
        else:
            parts.append("".join(rng.choices(UNRESERVED, k=rng.randint(1, 5))))
    return "".join(parts)


def literal_path(rng: random.Random, *, dots: bool = True, **kw) -> str:
    """A literal path: unicode, space runs, reserved characters, '%', dot segments,
    empty segments. Never '?', '#', tab, CR or LF (urlsplit would split on or strip them)."""
    if rng.random() < 0.05:
        return rng.choice(["", "/"])
    segs = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if dots and r < 0.08:
            segs.append(".")
        elif dots and r < 0.16:
            segs.append("..")
        elif r < 0.22:
            segs.append("")  # '//'
        else:
            segs.append(_path_segment_literal(rng, **kw))
    path = "/" + "/".join(segs)
    if rng.random() < 0.25:
        path += "/"
    return path


def encode_component(s: str) -> str:
    """SigV4 URI-encoding of one query component: uppercase %XX of UTF-8 bytes,
    unreserved characters kept."""
    return quote(s, safe="-_.~")


def _query_text(rng: random.Random, *, allow_empty: bool) -> str:
    if allow_empty and rng.random() < 0.2:
        return ""
    pieces = []
    for _ in range(rng.randint(1, 3)):
        r = rng.random()
        if r < 0.5:
            pieces.append("".join(rng.choices(UNRESERVED, k=rng.randint(1, 8))))
        elif r < 0.65:
            pieces.append(" " * rng.randint(1, 2))
        elif r < 0.8:
            pieces.append(rng.choice(UNICODE_PIECES))
        else:
            pieces.append("".join(rng.choices(SUB_DELIMS + "/?#%[]+", k=rng.randint(1, 3))))
    return "".join(pieces)


def canonical_query(rng: random.Random, *, repeated_keys: bool, bare_keys: bool) -> str:
    """A query already in SigV4 canonical encoding (uppercase %XX, unreserved kept, no
    '+', no empty '&&' items), in random order. botocore uses the raw query string in
    header mode, so only canonical-form input has a spec-defined canonical query that
    both must produce. X-Amz-* keys are avoided (presign would clash with them)."""
    n = rng.choice([0, 0, 1, 2, 3, 5, 8])
    items = []
    keys = []
    for _ in range(n):
        if repeated_keys and keys and rng.random() < 0.3:
            key = rng.choice(keys)
        else:
            key = _query_text(rng, allow_empty=False)
            if key.lower().startswith("x-amz-"):
                key = "q" + key
            keys.append(key)
        if not repeated_keys and items and any(k == encode_component(key) for k, _ in items):
            continue
        ekey = encode_component(key)
        if bare_keys and rng.random() < 0.1:
            items.append((ekey, None))
        else:
            items.append((ekey, encode_component(_query_text(rng, allow_empty=True))))
    rng.shuffle(items)
    return "&".join(k if v is None else f"{k}={v}" for k, v in items)


def header_value(rng: random.Random, *, unicode: bool = True) -> str:
    """A header value with leading, trailing and inner runs of spaces and tabs.

    Only space and tab are used as whitespace: SigV4's Trimall is about sequential
    spaces, and peers differ on what else counts (botocore's str.split() also folds
    U+00A0, U+0085, U+001C..U+001F; aws4 uses JavaScript's \\s)."""
    ws = lambda: "".join(rng.choices(" \t", k=rng.randint(1, 4)))  # noqa: E731
    out = []
    if rng.random() < 0.35:
        out.append(ws())
    for i in range(rng.randint(0, 4)):
        if i:
            out.append(ws() if rng.random() < 0.6 else " ")
        word = "".join(rng.choices(string.ascii_letters + string.digits + "-_.,;:=/+*()\"'<>@?&%{}[]~",
                                   k=rng.randint(1, 12)))
        if unicode and rng.random() < 0.1:
            word += rng.choice(["é", "中文", "😀", "€"])
        out.append(word)
    if rng.random() < 0.35:
        out.append(ws())
    return "".join(out)


def random_token_name(rng: random.Random) -> str:
    n = "X-" + "".join(rng.choices(string.ascii_letters + string.digits + TOKEN_SPECIALS, k=rng.randint(1, 12)))
    return n


def random_case(rng: random.Random, name: str) -> str:
    r = rng.random()
    if r < 0.6:
        return name
    if r < 0.8:
        return name.lower()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def body_bytes(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.4:
        return b""
    if r < 0.6:
        return b'{"repositoryName":"team/app","imageIds":[{"imageTag":"v%d"}]}' % rng.randint(0, 999)
    if r < 0.8:
        return rng.randbytes(rng.randint(1, 300))
    return "".join(rng.choices(string.printable + "é中😀", k=rng.randint(1, 2000))).encode()


def url_for(rng: random.Random, scheme: str, path: str, query: str | None, *, ipv6: bool = True,
            userinfo: bool = True, fragment: bool = False) -> str:
    host = rng.choice(IPV6_HOSTS) if ipv6 and rng.random() < 0.08 else rng.choice(HOSTS)
    r = rng.random()
    if r < 0.5:
        port = ""
    elif r < 0.65:
        port = ":443" if scheme == "https" else ":80"  # default port: left out of Host
    elif r < 0.75:
        port = ":80" if scheme == "https" else ":443"  # the other default: kept
    else:
        port = ":" + str(rng.choice([8080, 8443, 5000, 1, 65535, 4566]))
    auth = "user:pw@" if userinfo and rng.random() < 0.03 else ""
    url = f"{scheme}://{auth}{host}{port}{path}"
    if query is not None:
        url += "?" + query
    if fragment and rng.random() < 0.05:
        url += "#frag ment"
    return url
