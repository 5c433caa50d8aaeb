#!/usr/bin/env python3
"""include/berth.h keeps its one rule for outputs: they come first.

Every BERTH_API function is read from the header (comments removed, declarations
split at top-level commas) and each parameter classified:

  output  a pointer to a pointer the callee writes (`T **x`, `const char **x`: no
          `const` between the two stars), or a parameter named out / out_*;
  input   everything else (`const char *const *items` is an array the caller gives).

A function fails the check when an output follows an input, as
berth_signed_request_header(req, i, &name, &value) did. Declarations marked
BERTH_DEPRECATED (kept only so that binaries built against an older header keep
linking) are exempt, but must name a replacement that exists and keeps the rule.

Usage: check_outputs_first.py [berth.h]   (exit 0: the rule holds; 1: it does not)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import List, Optional, Tuple

HEADER = Path(__file__).resolve().parent.parent / "include" / "berth.h"

_DECL = re.compile(
    r"BERTH_API\s+(?P<ret>[^;{}()]*?)\b(?P<name>berth_\w+)\s*\((?P<params>[^;{}]*?)\)\s*"
    r"(?P<attrs>(?:BERTH_DEPRECATED\s*\(\s*\"[^\"]*\"\s*\)\s*)?);")
_DEPRECATED = re.compile(r'BERTH_DEPRECATED\s*\(\s*"[^"]*\b(?P<repl>berth_\w+)\b[^"]*"\s*\)')


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def split_params(params: str) -> List[str]:
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [p for p in out if p != "void"]


def param_name(param: str) -> str:
    m = re.search(r"(\w+)\s*(?:\[[^\]]*\])?\s*$", param)
    return m.group(1) if m else ""


def is_output(param: str) -> bool:
    name = param_name(param)
    if name == "out" or name.startswith("out_"):
        return True
    if "(" in param:  # a function pointer is an input
        return False
    # The last two stars of the type with nothing but blanks between them: T **x.
    # `T *const *x` (an array of strings the caller gives) is an input.
    return re.search(r"\*\s*\*\s*\w+\s*$", param) is not None


def violation(params: List[str]) -> Optional[Tuple[str, str]]:
    """(the first input, the output after it) or None."""
    first_input = None
    for p in params:
        if is_output(p):
            if first_input is not None:
                return first_input, p
        elif first_input is None:
            first_input = p
    return None


def check(text: str) -> List[str]:
    code = strip_comments(text)
    decls = list(_DECL.finditer(code))
    problems: List[str] = []
    names = {d.group("name"): d for d in decls}
    if len(decls) < 10:
        return [f"found only {len(decls)} BERTH_API declarations: the parser is out of date"]
    # Every BERTH_API in the header must have been parsed (a declaration the pattern
    # missed would otherwise go unchecked).
    n_api = len(re.findall(r"\bBERTH_API\s+(?!__attribute__)", code)) - 1  # the #define
    if n_api != len(decls):
        return [f"parsed {len(decls)} of {n_api} BERTH_API declarations: the parser is out "
                f"of date"]
    for d in decls:
        params = split_params(d.group("params"))
        if d.group("attrs").strip():
            m = _DEPRECATED.search(d.group("attrs"))
            repl = m.group("repl") if m else None
            if repl is None or repl not in names or repl == d.group("name"):
                problems.append(f"{d.group('name')} is deprecated without a replacement in "
                                f"the header")
            continue
        v = violation(params)
        if v is not None:
            problems.append(f"{d.group('name')}: output '{v[1]}' comes after input '{v[0]}' "
                            f"(outputs come first)")
    return problems


def self_test() -> None:
    """The classifier on the shapes the header uses."""
    assert is_output("char **out_json")
    assert is_output("berth_signed_request **out")
    assert is_output("const char **name")
    assert not is_output("const char *const *dsts")
    assert not is_output("const char *src")
    assert not is_output("const berth_copy_options *opts")
    assert violation(["const berth_signed_request *req", "size_t i", "const char **name",
                      "const char **value"]) is not None
    assert violation(["char **out_json", "const char *src", "const char *const *dsts",
                      "size_t n_dsts"]) is None
    bad = ("#define BERTH_API\n" + "".join(
        f"BERTH_API int berth_f{i}(char **out_json, const char *a);\n" for i in range(10)) +
        "BERTH_API int berth_bad(const char *a, /* c */ char **out_json);\n")
    assert check(bad) == ["berth_bad: output 'char **out_json' comes after input "
                          "'const char *a' (outputs come first)"], check(bad)


def main() -> int:
    self_test()
    header = Path(sys.argv[1]) if len(sys.argv) > 1 else HEADER
    problems = check(header.read_text())
    for p in problems:
        print(f"{header}: {p}")
    if problems:
        return 1
    print(f"{header}: outputs come first in every BERTH_API function")
    return 0


if __name__ == "__main__":
    sys.exit(main())
