// RAII owners for libcurl handles.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace berth::http {

struct EasyDeleter {
  void operator()(CURL *h) const noexcept { curl_easy_cleanup(h); }
};
struct ShareDeleter {
  void operator()(CURLSH *h) const noexcept { curl_share_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist *l) const noexcept { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU *u) const noexcept { curl_url_cleanup(u); }
};
struct CurlStrDeleter {
  void operator()(char *p) const noexcept { curl_free(p); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using ShareHandle = std::unique_ptr<CURLSH, ShareDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;
using CurlString = std::unique_ptr<char, CurlStrDeleter>;

// Appends to a list owned by `list`, keeping ownership on failure.
inline void slist_append(Slist &list, const char *s) {
  curl_slist *n = curl_slist_append(list.get(), s);
  if (n == nullptr) throw std::bad_alloc();
  (void)list.release();
  list.reset(n);
}

} // namespace berth::http
