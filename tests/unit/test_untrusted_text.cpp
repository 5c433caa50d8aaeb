// Text from outside (registry replies, tags, AWS messages) before it is printed or
// put in the step summary: no control characters, no workflow commands.
#include <doctest/doctest.h>

#include "core/untrusted_text.hpp"

#include <string>

using berth::core::is_printable;
using berth::core::markdown_cell;
using berth::core::printable;

TEST_CASE("printable: plain text and UTF-8 pass unchanged") {
  for (const char *s : {"", "manifest unknown", "GET http://[::1]:5000/v2/: HTTP 404", "a::b",
                        "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3", "C:\\dir"}) {
    CAPTURE(s);
    CHECK(printable(s) == s);
    CHECK(is_printable(s));
  }
}

TEST_CASE("printable: control characters are escaped") {
  CHECK(printable("a\nb") == "a\\nb");
  CHECK(printable("a\r\nb\tc") == "a\\r\\nb\\tc");
  CHECK(printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(printable("del\x7f") == "del\\x7f");
  // C1 controls: as UTF-8 (U+009B, CSI) and as bare 8-bit bytes.
  CHECK(printable("\xc2\x9b"
                  "31m") == "\\xc2\\x9b31m");
  CHECK(printable("\x9b"
                  "31m") == "\\x9b31m");
  // Not UTF-8: truncated, overlong, a surrogate.
  CHECK(printable("\xe2\x9c") == "\\xe2\\x9c");
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(printable("x\xe2\x80\xaey") == "x\\u{202e}y");
  CHECK_FALSE(is_printable("a\nb"));
}

TEST_CASE("printable: workflow commands are defused") {
  CHECK(printable("::stop-commands::x") == ":\\x3astop-commands::x");
  CHECK(printable("  ::error::boom") == "  :\\x3aerror::boom");
  // U+00A0 and U+3000: white space the runner's TrimStart() removes.
  CHECK(printable("\xc2\xa0::error::x") == "\xc2\xa0:\\x3aerror::x");
  CHECK(printable("\xe3\x80\x80::error::x") == "\xe3\x80\x80:\\x3aerror::x");
  CHECK(printable("oops\n::stop-commands::tok") == "oops\\n::stop-commands::tok");
  CHECK(printable("msg ##[add-mask]x") == "msg #\\x23[add-mask]x");
  CHECK(printable("###[error]x") == "##\\x23[error]x");
  CHECK(printable("\t::warning::x") == "\\t::warning::x");
}

TEST_CASE("printable: applying it twice changes nothing more") {
  for (const char *s : {"::a::b", "a\nb", "\x1b[0m", "##[x]", "\xff", "  ::x", "\\x1b"}) {
    CAPTURE(s);
    auto once = printable(s);
    CHECK(printable(once) == once);
    CHECK(is_printable(once));
  }
}

TEST_CASE("markdown_cell: a cell cannot end itself, its row, or carry markup") {
  CHECK(markdown_cell("openssl") == "openssl");
  CHECK(markdown_cell("a|b") == "a\\|b");
  CHECK(markdown_cell("a\\|b") == "a\\\\\\|b");
  CHECK(markdown_cell("x\n| injected | row |") == "x\\\\n\\| injected \\| row \\|");
  CHECK(markdown_cell("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(markdown_cell("[click](https://evil.test)") == "\\[click\\](https://evil.test)");
  CHECK(markdown_cell("`code` & more") == "\\`code\\` &amp; more");
  CHECK(markdown_cell("::error::x") == ":\\\\x3aerror::x");
}
