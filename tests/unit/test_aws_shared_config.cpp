// The AWS shared config and credentials files: profile naming in each file, comments,
// sub-sections, merging, and malformed lines reported by file:line without the value.
#include <doctest/doctest.h>

#include "aws/shared_config.hpp"

#include <berth/error.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

using berth::Errc;
using berth::Error;
using namespace berth::aws;

namespace {

// The Error thrown by parse_ini, or a default-constructed one when it did not throw.
Error parse_error(const std::string &text, bool is_config = true,
                  const std::string &path = "/cfg/config") {
  try {
    parse_ini(text, path, is_config);
  } catch (const Error &e) {
    return e;
  }
  return Error(Errc::ok, "");
}

EnvFn env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string &k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

} // namespace

TEST_CASE("aws shared config: [profile x] in config, [x] in credentials") {
  const std::string text = "[default]\n"
                           "region = us-east-1\n"
                           "[profile dev]\n"
                           "region=eu-west-1\n"
                           "role_arn = arn:aws:iam::123456789012:role/dev\n"
                           "[profile   spaced  ]\n"
                           "output = json\n"
                           "[plain]\n"
                           "region = ap-south-1\n"
                           "[sso-session corp]\n"
                           "sso_region = us-east-1\n"
                           "[services local]\n"
                           "ecr =\n"
                           "  endpoint_url = http://localhost:1\n";
  auto config = parse_ini(text, "config", true);
  CHECK(config.size() == 3);
  REQUIRE(config.count("default"));
  CHECK(config["default"]["region"] == "us-east-1");
  REQUIRE(config.count("dev"));
  CHECK(config["dev"]["region"] == "eu-west-1");
  CHECK(config["dev"]["role_arn"] == "arn:aws:iam::123456789012:role/dev");
  CHECK(config["spaced"]["output"] == "json");
  // In the config file a bare [plain] is not a profile (botocore ignores it too),
  // nor are [sso-session x] and [services x].
  CHECK_FALSE(config.count("plain"));
  CHECK_FALSE(config.count("corp"));
  CHECK_FALSE(config.count("sso-session corp"));

  // In the credentials file the section name is the profile name as written.
  auto creds = parse_ini("[default]\naws_access_key_id = AKIDDEFAULT\n"
                         "[plain]\naws_access_key_id=AKIDPLAIN\n"
                         "[profile odd]\nx = 1\n",
                         "credentials", false);
  CHECK(creds["default"]["aws_access_key_id"] == "AKIDDEFAULT");
  CHECK(creds["plain"]["aws_access_key_id"] == "AKIDPLAIN");
  CHECK(creds.count("profile odd") == 1);
  CHECK_FALSE(creds.count("odd"));
}

TEST_CASE("aws shared config: comments, inline comments, whitespace and CRLF") {
  const std::string text = "# a comment\n"
                           "; another\n"
                           "   # indented comment\n"
                           "\n"
                           "[profile a] # trailing comment on the header\n"
                           "region = us-west-2 # inline\n"
                           "output = json\t; inline after a tab\n"
                           "hash = a#b\n"
                           "semi = c;d\n"
                           "url = http://h/x#frag\n"
                           "eq = k=v=w\n"
                           "empty_ok = x\r\n"
                           "[profile b]   ; and with ';'\r\n"
                           "region = eu-north-1\r\n";
  auto config = parse_ini(text, "config", true);
  REQUIRE(config.count("a"));
  auto &a = config["a"];
  // Inline comments need whitespace before the marker (the SDKs' rule).
  CHECK(a["region"] == "us-west-2");
  CHECK(a["output"] == "json");
  CHECK(a["hash"] == "a#b");
  CHECK(a["semi"] == "c;d");
  CHECK(a["url"] == "http://h/x#frag");
  CHECK(a["eq"] == "k=v=w");
  CHECK(a["empty_ok"] == "x");
  REQUIRE(config.count("b"));
  CHECK(config["b"]["region"] == "eu-north-1");
}

TEST_CASE("aws shared config: indented sub-sections are skipped") {
  const std::string text = "[default]\n"
                           "s3 =\n"
                           "  max_concurrent_requests = 20\n"
                           "  addressing_style = path\n"
                           "region = us-east-2\n"
                           "ecr =\n"
                           "\tendpoint_url = http://x\n"
                           "output = text\n";
  auto config = parse_ini(text, "config", true);
  auto &d = config["default"];
  CHECK(d["region"] == "us-east-2");
  CHECK(d["output"] == "text");
  CHECK_FALSE(d.count("s3"));
  CHECK_FALSE(d.count("max_concurrent_requests"));
  CHECK_FALSE(d.count("addressing_style"));
  CHECK_FALSE(d.count("endpoint_url"));
}

TEST_CASE("aws shared config: setting names are case-insensitive, profile names are not") {
  // botocore reads the files with configparser, which lower-cases option names.
  auto creds = parse_ini("[Dev]\nAWS_ACCESS_KEY_ID = AKIDUP\nAws_Secret_Access_Key = Secret\n",
                         "credentials", false);
  REQUIRE(creds.count("Dev"));
  CHECK_FALSE(creds.count("dev"));
  CHECK(creds["Dev"]["aws_access_key_id"] == "AKIDUP");
  CHECK(creds["Dev"]["aws_secret_access_key"] == "Secret"); // values keep their case
  auto config = parse_ini("[profile X]\nRegion = eu-west-1\n", "config", true);
  CHECK(config["X"]["region"] == "eu-west-1");
}

TEST_CASE("aws shared config: a later duplicate key or section wins, sections merge") {
  auto config = parse_ini("[profile x]\nregion = a\nregion = b\n[profile x]\noutput = json\n",
                          "config", true);
  CHECK(config["x"]["region"] == "b");
  CHECK(config["x"]["output"] == "json");
}

TEST_CASE("aws shared config: malformed lines name file:line and never the value") {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
  struct Case {
    std::string text;
    int line;
  };
  const Case cases[] = {
      {"aws_secret_access_key = " + secret + "\n", 1},         // before any section
      {"[default]\n" + secret + "\n", 2},                      // no '='
      {"[default]\nregion = x\n= " + secret + "\n", 3},        // no key
      {"[default]\n[profile " + secret + "\nregion = x\n", 2}, // unclosed header
      {"# c\n\n[]\n", 3},                                      // empty section name
      {"[default]\n[profile a] " + secret + "\n", 2},          // text after the header
      {"[default]\nok = 1\n\n  " + secret + "\n", 4},          // indented, no '='
  };
  for (const auto &c : cases) {
    CAPTURE(c.text);
    auto e = parse_error(c.text, true, "/home/u/.aws/config");
    CHECK(e.code() == Errc::config);
    std::string what = e.what();
    CHECK(what.rfind("/home/u/.aws/config:" + std::to_string(c.line) + ": ", 0) == 0);
    CHECK(what.find(secret) == std::string::npos);
  }
  // The credentials file reports its own path.
  auto e = parse_error("[default]\naws_secret_access_key " + secret + "\n", false,
                       "/home/u/.aws/credentials");
  CHECK(e.code() == Errc::config);
  CHECK(std::string(e.what()).rfind("/home/u/.aws/credentials:2: ", 0) == 0);
  CHECK(std::string(e.what()).find(secret) == std::string::npos);
}

TEST_CASE("aws shared config: files from the environment, merged with credentials winning") {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("berth-aws-cfg-" + std::to_string(::getpid()));
  fs::create_directories(dir / ".aws");
  {
    std::ofstream(dir / ".aws/config") << "[default]\nregion = us-east-1\n"
                                          "[profile dev]\nregion = eu-west-1\n"
                                          "aws_access_key_id = FROMCONFIG\n";
    std::ofstream(dir / ".aws/credentials") << "[dev]\naws_access_key_id = FROMCREDS\n"
                                               "aws_secret_access_key = s\n";
    std::ofstream(dir / "other-config") << "[profile other]\nregion = sa-east-1\n";
  }
  SUBCASE("HOME paths") {
    auto c = load_shared_config(env_of({{"HOME", dir.string()}}));
    CHECK(c.config_path == (dir / ".aws/config").string());
    CHECK(c.credentials_path == (dir / ".aws/credentials").string());
    auto dev = c.profile("dev");
    REQUIRE(dev);
    CHECK((*dev)["region"] == "eu-west-1");
    CHECK((*dev)["aws_access_key_id"] == "FROMCREDS");
    CHECK((*dev)["aws_secret_access_key"] == "s");
    CHECK_FALSE(c.profile("nope"));
  }
  SUBCASE("AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE; missing files are empty") {
    auto c = load_shared_config(env_of({{"HOME", dir.string()},
                                        {"AWS_CONFIG_FILE", (dir / "other-config").string()},
                                        {"AWS_SHARED_CREDENTIALS_FILE", (dir / "none").string()}}));
    CHECK(c.profile("other"));
    CHECK_FALSE(c.profile("dev"));
    CHECK(c.credentials.empty());
  }
  SUBCASE("a leading ~/ in AWS_CONFIG_FILE is the home directory (as botocore expands it)") {
    auto c = load_shared_config(env_of({{"HOME", dir.string()},
                                        {"AWS_CONFIG_FILE", "~/other-config"},
                                        {"AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"}}));
    CHECK(c.config_path == (dir / "other-config").string());
    CHECK(c.profile("other"));
    CHECK(c.profile("dev"));
  }
  SUBCASE("active profile and default region") {
    CHECK(active_profile_name(env_of({})) == "default");
    CHECK(active_profile_name(env_of({{"AWS_DEFAULT_PROFILE", "b"}})) == "b");
    CHECK(active_profile_name(env_of({{"AWS_PROFILE", "a"}, {"AWS_DEFAULT_PROFILE", "b"}})) == "a");
    ProviderContext ctx;
    ctx.env = env_of({{"HOME", dir.string()}});
    CHECK(default_region(ctx) == "us-east-1");
    CHECK(default_region(ctx, "dev") == "eu-west-1");
    ctx.env = env_of({{"HOME", dir.string()}, {"AWS_PROFILE", "dev"}});
    CHECK(default_region(ctx) == "eu-west-1");
    ctx.env = env_of({{"HOME", dir.string()}, {"AWS_DEFAULT_REGION", "ca-central-1"}});
    CHECK(default_region(ctx) == "ca-central-1");
    ctx.env = env_of({{"HOME", dir.string()},
                      {"AWS_DEFAULT_REGION", "ca-central-1"},
                      {"AWS_REGION", "af-south-1"}});
    CHECK(default_region(ctx) == "af-south-1");
  }
  fs::remove_all(dir);
}
