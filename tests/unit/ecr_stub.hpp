// A stand-in ECR endpoint for unit tests: plain HTTP on 127.0.0.1, canned JSON replies
// for one or two operations (the X-Amz-Target suffix), served from a thread. It lets a test
// drive berth's ECR operations end to end — signing, the HTTP client, the reply
// readers — with replies real ECR never sends. Requests are not checked.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace berth::test {

class EcrStub {
public:
  // Answers `operation` (and `operation2`, when given) with 200 and its reply, every
  // other operation with a 400.
  EcrStub(const std::string &operation, std::string reply, const std::string &operation2 = {},
          std::string reply2 = {})
      : replies_{{operation, std::move(reply)}} {
    if (!operation2.empty()) replies_.emplace(operation2, std::move(reply2));
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr *>(&addr), len) != 0 ||
        ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len))
      throw std::runtime_error("EcrStub: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EcrStub() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  EcrStub(const EcrStub &) = delete;
  EcrStub &operator=(const EcrStub &) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      answer(c);
      ::close(c);
    }
  }

  // One request per connection ("Connection: close"), headers then Content-Length bytes.
  void answer(int c) {
    std::string req;
    char buf[4096];
    std::size_t head_end = std::string::npos;
    std::size_t want = 0;
    for (;;) {
      if (head_end != std::string::npos && req.size() >= head_end + 4 + want) break;
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<std::size_t>(n));
      if (head_end == std::string::npos && (head_end = req.find("\r\n\r\n")) != std::string::npos)
        if (auto cl = header(req.substr(0, head_end), "content-length"))
          want = std::strtoul(cl->c_str(), nullptr, 10);
    }
    std::string op;
    if (auto target = header(req.substr(0, head_end), "x-amz-target"))
      op = target->substr(target->rfind('.') + 1);
    auto it = replies_.find(op);
    std::string status = it == replies_.end() ? "400 Bad Request" : "200 OK";
    std::string body = it == replies_.end()
                           ? R"({"__type":"UnknownOperationException","message":")" + op + "\"}"
                           : it->second;
    std::string resp = "HTTP/1.1 " + status +
                       "\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    for (std::size_t sent = 0; sent < resp.size();) {
      auto n = ::send(c, resp.data() + sent, resp.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  static std::optional<std::string> header(const std::string &head, const std::string &name) {
    std::size_t at = 0;
    while ((at = head.find("\r\n", at)) != std::string::npos) {
      at += 2;
      auto colon = head.find(':', at);
      auto eol = head.find("\r\n", at);
      if (colon == std::string::npos || (eol != std::string::npos && colon > eol)) continue;
      std::string key = head.substr(at, colon - at);
      for (auto &ch : key)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (key != name) continue;
      auto value =
          head.substr(colon + 1, eol == std::string::npos ? std::string::npos : eol - colon - 1);
      auto b = value.find_first_not_of(' ');
      return b == std::string::npos ? std::string() : value.substr(b);
    }
    return std::nullopt;
  }

  std::map<std::string, std::string> replies_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Static AWS credentials in the environment for one scope (the chain's first source),
// and no shared config files, so nothing of the machine running the tests is used.
class StubCredentials {
public:
  StubCredentials() {
    set("AWS_ACCESS_KEY_ID", "AKIDSTUB");
    set("AWS_SECRET_ACCESS_KEY", "stub-secret");
    set("AWS_CONFIG_FILE", "/dev/null");
    set("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    for (const char *name :
         {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
          "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"})
      set(name, std::nullopt);
  }
  ~StubCredentials() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
  }
  StubCredentials(const StubCredentials &) = delete;
  StubCredentials &operator=(const StubCredentials &) = delete;

private:
  void set(const char *name, std::optional<std::string> value) {
    const char *old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

} // namespace berth::test
