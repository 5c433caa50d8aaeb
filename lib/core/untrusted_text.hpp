// Text that came from outside berth (a registry's error message or tag list, an AWS
// reply, an image's labels), made safe to print on a terminal or in a GitHub Actions
// log, and to put in a Markdown table.
#pragma once

#include <string>
#include <string_view>

namespace berth::core {

// The text with nothing in it that a terminal or the Actions runner would act on:
//  - C0 controls, DEL, C1 controls (U+0080-U+009F) and bytes that are not UTF-8
//    become escapes: \n \r \t, else \xHH for each byte (ESC is "\x1b"), so the text
//    can neither start a line of its own nor move the cursor or change colours;
//  - the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) become
//    \u{HHHH}, so what is shown is what is there;
//  - workflow commands are defused: "::" at the start (after the white space the runner
//    trims) becomes ":\x3a", and the legacy "##[" anywhere becomes "#\x23[".
// Backslashes are left as they are, so printable(printable(s)) == printable(s) and
// layers may each apply it; the price is that a literal "\x1b" in the input reads the
// same as an escaped ESC.
std::string printable(std::string_view text);

// True when printable(text) == text.
bool is_printable(std::string_view text);

// One cell of a GitHub-flavoured Markdown table (the step summary): printable(), then
// '\\', '|', '[', ']' and '`' are backslash-escaped and '<', '>', '&' become entities,
// so a cell can end neither the cell nor the row, nor carry HTML, a link or code.
std::string markdown_cell(std::string_view text);

} // namespace berth::core
