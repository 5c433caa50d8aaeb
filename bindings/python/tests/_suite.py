"""Reads the AWS SigV4 test suite (tests/data/sigv4, see its README.md).

Kept apart from the tests so the parsing rules (folded header lines, raw spaces
and UTF-8 in the request line) are written down once.
"""

import datetime
import json
from pathlib import Path
from typing import List, NamedTuple, Tuple
from urllib.parse import unquote

SUITE_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "sigv4" / "v4"


class Message(NamedTuple):
    method: str
    target: str
    headers: List[Tuple[str, str]]
    body: bytes


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def expected(path: Path) -> str:
    """An expected-output file; they carry no trailing newline, but be lenient."""
    return read(path).rstrip("\r\n")


def parse_message(raw: bytes) -> Message:
    """"METHOD target HTTP/1.1", Name:value lines (continuations start with
    whitespace), an empty line, then the body."""
    head, sep, body = raw.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    first = lines[0]
    method, _, rest = first.partition(" ")
    target = rest[: rest.rindex(" HTTP/1.1")]
    headers: List[Tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, _, value = line.partition(":")
        headers.append((name, value))
    return Message(method, target, headers, body if sep else b"")


def case_names() -> List[str]:
    return sorted(p.name for p in SUITE_DIR.iterdir() if p.is_dir())


class Case(NamedTuple):
    name: str
    dir: Path
    request: Message
    context: dict

    @property
    def url(self) -> str:
        host = next(v for n, v in self.request.headers if n.lower() == "host")
        return "https://" + host + self.request.target

    @property
    def timestamp(self) -> datetime.datetime:
        return datetime.datetime.strptime(self.context["timestamp"], "%Y-%m-%dT%H:%M:%SZ")


def load(name: str) -> Case:
    d = SUITE_DIR / name
    return Case(name, d, parse_message((d / "request.txt").read_bytes()),
                json.loads(read(d / "context.json")))


def query_params(target: str) -> List[str]:
    """Decoded "k=v" items of a target's query, sorted (the order is not specified)."""
    _, _, query = target.partition("?")
    return sorted(unquote(p) for p in query.split("&") if p)


def path_of(target: str) -> str:
    return unquote(target.partition("?")[0])
