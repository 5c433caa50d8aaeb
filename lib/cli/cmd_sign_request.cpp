#include "cli/args.hpp"
#include "cli/commands.hpp"

#include <berth/sigv4.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace berth::cli {
namespace {

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

std::chrono::system_clock::time_point parse_amz_date(const std::string &s) {
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y%m%dT%H%M%SZ");
  if (in.fail() || s.size() != 16) throw UsageError{"--timestamp must look like 20150830T123600Z"};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

} // namespace

const CommandHelp kSignRequestHelp = {
    "usage: berth sign-request --url URL [--method M] [--header 'Name: value']...\n"
    "                          [--body-file F] --region R --service S\n"
    "                          [--presign SECONDS] [--unsigned-payload] [--content-sha256]\n"
    "                          [--no-normalize-path] [--no-double-encode]\n"
    "                          [--unsigned-session-token] [--timestamp YYYYMMDDTHHMMSSZ]\n"
    "\n"
    "Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and\n"
    "AWS_SESSION_TOKEN. Prints the canonical request, the string to sign and the\n"
    "signed request (the secret key is never printed).\n",
    {
        {"--url", "URL", "the request's URL (required)"},
        {"--method", "M", "the HTTP method (default GET)"},
        {"--header", "'Name: value'", "a request header (repeatable)"},
        {"--body-file", "F", "the request body (default empty)"},
        {"--region", "R", "the signing region (default $AWS_REGION, $AWS_DEFAULT_REGION)"},
        {"--service", "S", "the signing name of the service (required)"},
        {"--presign", "SECONDS",
         "presign: the signature in the query, with X-Amz-Expires this many seconds (at most "
         "604800), not in an Authorization header"},
        {"--unsigned-payload", nullptr, "sign UNSIGNED-PAYLOAD instead of the body's hash"},
        {"--content-sha256", nullptr,
         "add and sign an x-amz-content-sha256 header (S3, ECR uploads)"},
        {"--no-normalize-path", nullptr,
         "keep \".\" and \"..\" segments and \"//\" in the path (S3 style)"},
        {"--no-double-encode", nullptr,
         "take the path's wire form as is for the canonical request instead of encoding it once "
         "more (S3 style)"},
        {"--unsigned-session-token", nullptr,
         "add the session token after signing (services that want it unsigned)"},
        {"--timestamp", "YYYYMMDDTHHMMSSZ", "sign at this time instead of now"},
    }};

int cmd_sign_request(const std::vector<std::string> &argv) {
  Args args(argv, kSignRequestHelp.all_options());
  if (args.help()) {
    print_help(kSignRequestHelp);
    return kOk;
  }
  aws::SignableRequest req;
  req.method = args.value_or("--method", "GET");
  req.url = args.required("--url");
  for (const auto &h : args.values("--header")) {
    auto colon = h.find(':');
    if (colon == std::string::npos)
      throw UsageError{"--header must be 'Name: value', got '" + h + "'"};
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t") == std::string::npos
                       ? value.size()
                       : value.find_first_not_of(" \t"));
    req.headers.push_back({h.substr(0, colon), value});
  }
  std::string body;
  if (auto f = args.value("--body-file")) {
    std::ifstream in(*f, std::ios::binary);
    if (!in) throw Error(Errc::io, "cannot read body file '" + *f + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    body = ss.str();
  }
  req.body = body;

  aws::SigningOptions o;
  o.region = args.value_or("--region", env("AWS_REGION").empty() ? env("AWS_DEFAULT_REGION")
                                                                 : env("AWS_REGION"));
  if (o.region.empty()) throw UsageError{"--region is required (or set AWS_REGION)"};
  o.service = args.required("--service");
  o.credentials = {env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                   env("AWS_SESSION_TOKEN")};
  if (o.credentials.access_key_id.empty() || o.credentials.secret_access_key.empty())
    throw Error(Errc::auth, "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (auto p = args.value("--presign")) {
    try {
      o.presign_expires = std::chrono::seconds(std::stoll(*p));
    } catch (const std::exception &) {
      throw UsageError{"--presign needs a number of seconds"};
    }
  }
  if (auto t = args.value("--timestamp")) o.time = parse_amz_date(*t);
  o.unsigned_payload = args.flag("--unsigned-payload");
  o.content_sha256_header = args.flag("--content-sha256");
  o.normalize_path = !args.flag("--no-normalize-path");
  o.double_encode = !args.flag("--no-double-encode");
  o.sign_session_token = !args.flag("--unsigned-session-token");

  aws::Signer signer;
  auto s = signer.sign(req, o);
  std::printf("# canonical request\n%s\n\n# string to sign\n%s\n\n# signed request\n%s %s\n",
              s.canonical_request.c_str(), s.string_to_sign.c_str(), s.method.c_str(),
              s.url.c_str());
  for (const auto &h : s.headers)
    std::printf("%s: %s\n", h.name.c_str(), h.value.c_str());
  return kOk;
}

} // namespace berth::cli
