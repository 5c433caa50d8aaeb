// ADD's http(s) sources: what names the downloaded file and its mtime, as BuildKit's
// HTTP source does. The download itself is Step::download (add_url.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace berth::ops::copy_detail {

bool is_url(const std::string &s);

// The file name BuildKit gives a URL source: the last segment of the decoded path.
std::string url_file_name(const std::string &url);

// An IMF-fixdate Last-Modified ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::int64_t> http_date(const std::string &v);

} // namespace berth::ops::copy_detail
