#include "aws/credentials_json.hpp"

#include <berth/error.hpp>

#include "core/time.hpp"

namespace berth::aws {

ResolvedCredentials credentials_from_json(const core::json::Value &doc,
                                          const std::string &provider) {
  ResolvedCredentials c;
  c.provider = provider;
  c.credentials.access_key_id = core::json::get_string(doc, "AccessKeyId");
  c.credentials.secret_access_key = core::json::get_string(doc, "SecretAccessKey");
  c.credentials.session_token = core::json::get_string(doc, "Token");
  if (c.credentials.access_key_id.empty() || c.credentials.secret_access_key.empty())
    throw Error(Errc::protocol, provider + ": the reply lacks AccessKeyId or SecretAccessKey");
  if (auto exp = core::json::get_string(doc, "Expiration"); !exp.empty())
    c.expiration = core::parse_iso8601(exp);
  return c;
}

} // namespace berth::aws
