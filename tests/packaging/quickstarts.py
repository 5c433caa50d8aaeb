"""Writes README.md's C and C++ quick starts as programs that compile.

The README shows them as fragments (statements after an #include); each becomes a
main() with the includes at the top, plus the standard header its statements use
(stdio.h for fprintf, iostream for std::cout). The packaging test compiles them
against an installed berth, so the README cannot drift from the headers.

    quickstarts.py README.md OUTDIR  ->  OUTDIR/quickstart.c, OUTDIR/quickstart.cpp
"""

import re
import sys
from pathlib import Path


def fenced_block(text: str, heading: str, lang: str) -> str:
    """The first ```lang block after the line `heading` under '## Library quick starts'."""
    section = text[text.index("## Library quick starts"):]
    start = re.search(rf"^{re.escape(heading)}\s*$", section, re.M)
    if not start:
        raise SystemExit(f"README.md: no '{heading}' under '## Library quick starts'")
    block = re.search(rf"^```{re.escape(lang)}\n(.*?)^```", section[start.end():], re.M | re.S)
    if not block:
        raise SystemExit(f"README.md: no ```{lang} block after '{heading}'")
    return block.group(1)


def as_program(fragment: str, extra_include: str, main: str) -> str:
    lines = fragment.splitlines()
    includes = [line for line in lines if line.startswith("#include")]
    body = [line for line in lines if not line.startswith("#include")]
    return "\n".join([f"#include {extra_include}", *includes, "", f"{main} {{",
                      *("  " + line if line else "" for line in body), "  return 0;", "}", ""])


def main() -> None:
    readme, out = Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    (out / "quickstart.c").write_text(
        as_program(fenced_block(readme, "### C", "c"), "<stdio.h>", "int main(void)"))
    (out / "quickstart.cpp").write_text(
        as_program(fenced_block(readme, "### C++", "cpp"), "<iostream>", "int main()"))


if __name__ == "__main__":
    main()
