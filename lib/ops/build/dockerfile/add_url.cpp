#include "ops/build/dockerfile/add_url.hpp"

#include "core/uri.hpp"
#include "http/client.hpp"
#include "image/digester.hpp"
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include <berth/error.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

namespace berth::ops::copy_detail {

bool is_url(const std::string &s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// The file name BuildKit gives a URL source: the last segment of the decoded path.
std::string url_file_name(const std::string &url) {
  std::string path;
  try {
    core::uri_decode_append(path, core::parse_url(url).path);
  } catch (const Error &) {
    return "__unnamed__";
  }
  std::string b = base_name(path.empty() ? "/" : path);
  return b.empty() || b == "." || b == "/" || b == ".." ? "__unnamed__" : b;
}

// An IMF-fixdate Last-Modified ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::int64_t> http_date(const std::string &v) {
  std::tm tm{};
  std::istringstream in{v};
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

// BuildKit's HTTP source followed by the copy: the body lands in a temp file beside
// the target, is checked against --checksum, then renamed into place.
void Step::download(const Item &item, const std::string &target) {
  ensure_dirs(parent_rel(target));
  prepare_file_target(target);
  auto tmp = core::TempFile::create(view_.host(parent_rel(target)),
                                    ".add" + std::string(core::kTempMarker));
  image::Digester digester(checksum_ ? checksum_->algorithm() : "sha256");
  http::Request hr;
  hr.url = item.url;
  hr.sink = [&](const char *data, std::size_t len) {
    tmp.write(data, len);
    digester.update(data, len);
  };
  auto resp = req_.http->send(std::move(hr));
  if (!resp.ok())
    throw Error(Errc::network,
                "ADD " + item.url + ": invalid response status " + std::to_string(resp.status))
        .with_http_status(resp.status);
  std::string got = digester.finish();
  if (checksum_ && got != checksum_->str())
    throw Error(Errc::digest_mismatch,
                "ADD " + item.url + ": digest mismatch " + got + ": " + checksum_->str());
  tmp.rename_to(view_.host(target), false);
  std::optional<std::int64_t> modified;
  if (auto lm = resp.header("Last-Modified")) modified = http_date(*lm);
  apply_info(target, 0600, Owner{},
             modified.value_or(static_cast<std::int64_t>(std::time(nullptr))), false, false);
}

} // namespace berth::ops::copy_detail
