"""The suite-wide secrets scan (issue 12): no secret a test server issued may appear in
what berth prints or writes for others to read.

Test servers and fixtures register every secret they hand out (``secret(value)``):
htpasswd and token-server passwords, the token server's JWTs, IAM secret keys and
session tokens from moto, OIDC tokens, pre-signed URL signatures. The helpers that run
berth (itlib.run, awslib.run, ...) ``record()`` each run: stdout, stderr, and the
GitHub files named in its environment ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY).
Programs berth itself starts (credential helpers, credential_process) record their
argv with ``record_argv()``. At the end of the session, the ``secret_scan_session``
fixture (autouse in the integration, aws and ecr_stack suites) fails if any recorded
text holds any registered secret.

Where a secret is the *result* (``berth ecr get-login-password``, ``berth aws
credentials``, ``berth credential-helper get`` print one on stdout by design) that
stdout, of a successful run only, is left out: RESULT_COMMANDS names each. stderr
is always scanned. ``::add-mask::VALUE`` lines on stderr are how GitHub Actions is
told to hide a value; the runner consumes them, so they are left out too.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

try:  # stack.py imports this module outside pytest too (stack.py up, unittest e2e)
    import pytest
except ImportError:  # pragma: no cover
    pytest = None  # type: ignore[assignment]

#: Every secret the test servers issued. Only values of 8 characters or more: a
#: shorter one ("x") would match by chance.
SECRETS: set[str] = set()
MIN_LEN = 8

#: Shapes of secrets no test registered one by one (moto's STS session tokens, a
#: pre-signed URL's signature, any JWT): any match is a leak too.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an STS session token", re.compile(r"FQoGZXIvYXdzEBYaD[A-Za-z0-9+/]{40}")),
    ("a pre-signed URL signature", re.compile(r"X-Amz-Signature=[0-9a-fA-F]{16}")),
    ("a JWT", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
)

#: (program, subcommand words) whose stdout is a secret by design, on success.
RESULT_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("berth", ("ecr", "get-login-password")),
    ("berth", ("aws", "credentials")),
    ("berth", ("credential-helper", "get")),
    ("docker-credential-berth", ("get",)),
)

GITHUB_FILES = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


@dataclass
class Record:
    where: str  # "stderr of berth pull ...", "GITHUB_OUTPUT of ...", "argv of ..."
    text: str


_lock = threading.Lock()
RECORDS: list[Record] = []


def secret(value: str | None) -> None:
    """Registers a value that must never be printed."""
    if value and len(value) >= MIN_LEN:
        with _lock:
            SECRETS.add(value)


def _label(argv: list[str]) -> str:
    words = [os.path.basename(argv[0])] + [a for a in argv[1:4]]
    return " ".join(words)


def _is_result_command(argv: list[str]) -> bool:
    program = os.path.basename(argv[0])
    words = tuple(a for a in argv[1:] if not a.startswith("-"))
    return any(program == p and words[:len(c)] == c for p, c in RESULT_COMMANDS)


def _unmasked(stderr: str) -> str:
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if not line.startswith("::add-mask::"))


def record(argv: list[str], returncode: int, stdout: str | bytes | None,
           stderr: str | bytes | None, env: dict | None = None) -> None:
    """Records one run of a program under test: berth, docker-credential-berth,
    berth_aws_probe (other programs, peers such as skopeo, are not judged)."""
    if "berth" not in os.path.basename(str(argv[0])):
        return

    def text(v: str | bytes | None) -> str:
        return v.decode("utf-8", "replace") if isinstance(v, bytes) else (v or "")
    label = _label([str(a) for a in argv])
    out = [Record("stderr of " + label, _unmasked(text(stderr)))]
    if returncode != 0 or not _is_result_command([str(a) for a in argv]):
        out.append(Record("stdout of " + label, text(stdout)))
    for name in GITHUB_FILES:
        path = (env or {}).get(name)
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                out.append(Record("%s of %s" % (name, label), f.read()))
    with _lock:
        RECORDS.extend(out)


def record_argv(argv: list[str], who: str = "a program berth ran") -> None:
    """Records the argv of a program berth started (credential helpers)."""
    with _lock:
        RECORDS.append(Record("argv of " + who, "\0".join(argv)))


def hint(value: str) -> str:
    """Names a secret without printing it."""
    return "%s... (%d chars)" % (value[:3], len(value))


def find_leaks(records: list[Record], secrets: set[str]) -> list[str]:
    """One line per (record, secret) found; the secret itself is never printed."""
    leaks = []
    for r in records:
        for s in secrets:
            if s in r.text:
                leaks.append("%s holds the secret %s" % (r.where, hint(s)))
        for name, pattern in PATTERNS:
            m = pattern.search(r.text)
            if m:
                leaks.append("%s holds %s: %s" % (r.where, name, hint(m.group(0))))
    return leaks


def _secret_scan_session():
    """Fails the session (as a teardown error) if any recorded output holds a secret."""
    yield
    with _lock:
        leaks = find_leaks(RECORDS, SECRETS)
        n_records, n_secrets = len(RECORDS), len(SECRETS)
    if leaks:
        pytest.fail("secrets scan: %d leak(s) in %d recorded outputs (%d secrets known):\n%s"
                    % (len(leaks), n_records, n_secrets, "\n".join(leaks[:50])), pytrace=False)


if pytest is not None:
    secret_scan_session = pytest.fixture(scope="session", autouse=True,
                                         name="secret_scan_session")(_secret_scan_session)
