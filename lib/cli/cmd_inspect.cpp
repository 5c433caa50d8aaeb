// berth manifest | inspect | ls | catalog | tag | rm | validate: looking at images
// where they live, and the small registry chores around them. stdout carries the
// result alone (raw bytes, a table, lines or JSON); notes go to stderr.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/progress_printer.hpp"
#include "cli/registry_args.hpp"

#include <berth/error.hpp>
#include <berth/inspect.hpp>
#include <berth/reference.hpp>

#include "core/json.hpp"
#include "core/untrusted_text.hpp"

#include <chrono>
#include <cstdio>
#include <functional>

namespace berth::cli {

namespace {

// A command's own options, then the registry access options every command here takes.
OptionTable with_access(OptionTable own) {
  static const OptionTable access = creds_options() + connection_options() + timeout_options();
  return own + access;
}

} // namespace

const CommandHelp kManifestHelp = {
    "usage: berth manifest [OPTIONS] REF\n"
    "\n"
    "Prints the manifest or index REF names exactly as it is served: the bytes its\n"
    "digest is computed over, with no newline added. REF: docker://REF (or a bare REF),\n"
    "oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF].\n",
    with_access({
        {"--platform", "OS/ARCH[/VARIANT]", "the manifest of that image of an index"},
        {"--format", "raw|json", "json: {\"digest\",\"mediaType\",\"size\",\"manifest\"}"},
    })};

const CommandHelp kInspectHelp = {
    "usage: berth inspect [OPTIONS] REF\n"
    "\n"
    "Describes an image or index: digest, media type, size, platforms, and for each\n"
    "image its config (created, entrypoint, cmd, env, labels) and layers with their\n"
    "sizes. REF as for 'berth manifest'.\n",
    with_access({
        {"--platform", "OS/ARCH[/VARIANT]", "only that image of an index"},
        {"--format", "text|json", "a table (default) or one JSON document"},
    })};

const CommandHelp kLsHelp = {
    "usage: berth ls [OPTIONS] REPO\n"
    "\n"
    "Lists the tags of REPO, one per line, following the registry's Link pagination.\n"
    "REPO: REGISTRY/REPOSITORY (docker:// optional), or oci:DIR for a layout's tags.\n",
    with_access({
        {"--page-size", "N", "tags asked per page (default 1000)"},
        {"--format", "text|json", "json: {\"repository\",\"tags\":[...]}"},
    })};

const CommandHelp kCatalogHelp = {
    "usage: berth catalog [OPTIONS] REGISTRY\n"
    "\n"
    "Lists the repositories of REGISTRY (HOST[:PORT]), one per line, following the\n"
    "registry's Link pagination. Registries may restrict or refuse the catalog (ECR\n"
    "has none: use 'berth ecr call DescribeRepositories').\n",
    with_access({
        {"--page-size", "N", "repositories asked per page (default 1000)"},
        {"--format", "text|json", "json: {\"registry\",\"repositories\":[...]}"},
    })};

const CommandHelp kTagHelp = {
    "usage: berth tag [OPTIONS] REF TAG...\n"
    "\n"
    "Adds each TAG to the manifest REF names, in its repository (a registry or\n"
    "oci:DIR[:TAG]), without moving any blob: one manifest PUT per tag, skipped when\n"
    "the tag already points at the digest (so re-runs succeed against immutable\n"
    "repositories). Prints the digest.\n",
    with_access({
        {"--format", "text|json", "json: {\"digest\",\"tagged\":[...],\"skipped\":[...]}"},
    })};

const CommandHelp kRmHelp = {
    "usage: berth rm [OPTIONS] REF\n"
    "\n"
    "Deletes the manifest REF names from its registry. A tag is resolved to its digest\n"
    "first, and the registry drops every tag on that digest with it; blobs stay until\n"
    "the registry collects them. Prints the digest deleted. A registry that refuses\n"
    "deletion (distribution without storage.delete.enabled) fails with exit code 1.\n",
    with_access({
        {"--format", "text|json", "json: {\"deleted\"}"},
    })};

const CommandHelp kValidateHelp = {
    "usage: berth validate [OPTIONS] REF\n"
    "\n"
    "Reads every manifest and blob REF reaches — index children, configs, layers — and\n"
    "verifies each digest and size. Every failure is reported (one line each, or in\n"
    "the JSON), not only the first; the exit code is 4 when anything is wrong. REF as\n"
    "for 'berth manifest'.\n",
    with_access({
        {"--jobs", "N", "blobs read in parallel (default 4)"},
        {"--format", "text|json",
         "json: {\"ok\",\"manifests\",\"blobs\",\"bytes\",\"failures\":[...]}"},
    })};

namespace {

// Parses the arguments, or prints the help and returns nullopt for --help.
std::optional<Args> parse(const std::vector<std::string> &argv, const CommandHelp &help) {
  Args args(argv, help.all_options());
  if (args.help()) {
    print_help(help);
    return std::nullopt;
  }
  return args;
}

InspectOptions options_from(const Args &args) {
  InspectOptions o;
  o.access = registry_access(args);
  o.platform = args.value_or("--platform", "");
  if (auto j = args.integer("--jobs")) o.jobs = *j;
  if (o.jobs < 1 || o.jobs > 64) throw UsageError{"--jobs must be 1..64"};
  if (auto n = args.integer("--page-size")) o.page_size = *n;
  if (o.page_size < 1 || o.page_size > 10000) throw UsageError{"--page-size must be 1..10000"};
  return o;
}

// --format: the first of `allowed` is the default.
bool json_format(const Args &args, const char *text_name = "text") {
  auto f = args.value_or("--format", text_name);
  if (f == "json") return true;
  if (f != text_name) throw UsageError{"--format must be " + std::string(text_name) + " or json"};
  return false;
}

const std::string &one_positional(const Args &args, const char *what) {
  if (args.positional().size() != 1) throw UsageError{std::string("needs exactly one ") + what};
  return args.positional()[0];
}

void print_lines(const std::vector<std::string> &lines) {
  for (const auto &l : lines)
    std::printf("%s\n", l.c_str());
}

// An OCI layout's org.opencontainers.image.ref.name: components of [A-Za-z0-9] joined
// by [-._:@+], separated by "/" (image-layout's grammar, a little looser).
bool valid_ref_name(std::string_view n) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  return !n.empty() && n.size() <= 255 && alnum(n.front()) && alnum(n.back()) &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                             "-._:@+/") == std::string_view::npos;
}

// A repository path as references have it ("library/alpine"): parsed as one, the name
// must come back whole, with no tag or digest split off.
bool valid_repository(std::string_view n) {
  try {
    auto ref = image::Reference::parse("localhost/" + std::string(n));
    return ref.repository == n && ref.tag.empty() && ref.digest.empty();
  } catch (const Error &) {
    return false;
  }
}

// Names as a registry (or a layout someone handed us) sent them. stdout is a contract
// other programs parse, one name a line: a name outside the grammar (a line break, an
// escape sequence, a workflow command) is left out, with a warning on stderr.
std::vector<std::string> valid_names(std::vector<std::string> names,
                                     const std::function<bool(std::string_view)> &valid,
                                     const char *command, const char *what) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (auto &n : names) {
    if (valid(n))
      out.push_back(std::move(n));
    else
      std::fprintf(stderr, "berth %s: warning: skipped %s '%s', which is not a valid one\n",
                   command, what, core::printable(n).c_str());
  }
  return out;
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

void print_image(const ImageDetails &img) {
  std::printf("\nimage %s%s%s\n", img.digest.c_str(), img.platform ? "  " : "",
              img.platform ? core::printable(img.platform->str()).c_str() : "");
  std::printf("  media type  %s\n", core::printable(img.media_type).c_str());
  std::printf("  total size  %s\n",
              human_bytes(static_cast<std::uint64_t>(img.total_size)).c_str());
  if (!img.created.empty()) std::printf("  created     %s\n", core::printable(img.created).c_str());
  if (!img.author.empty()) std::printf("  author      %s\n", core::printable(img.author).c_str());
  if (!img.user.empty()) std::printf("  user        %s\n", core::printable(img.user).c_str());
  if (!img.working_dir.empty())
    std::printf("  workdir     %s\n", core::printable(img.working_dir).c_str());
  if (!img.entrypoint.empty())
    std::printf("  entrypoint  %s\n", core::printable(joined(img.entrypoint)).c_str());
  if (!img.cmd.empty()) std::printf("  cmd         %s\n", core::printable(joined(img.cmd)).c_str());
  for (const auto &e : img.env)
    std::printf("  env         %s\n", core::printable(e).c_str());
  for (const auto &[k, v] : img.labels)
    std::printf("  label       %s=%s\n", core::printable(k).c_str(), core::printable(v).c_str());
  for (const auto &[k, v] : img.annotations)
    std::printf("  annotation  %s=%s\n", core::printable(k).c_str(), core::printable(v).c_str());
  std::printf("  %-7s %-71s %10s  %s\n", "BLOB", "DIGEST", "SIZE", "MEDIA TYPE");
  auto row = [](const char *what, const image::Descriptor &d) {
    std::printf("  %-7s %-71s %10s  %s\n", what, d.digest.c_str(),
                human_bytes(static_cast<std::uint64_t>(d.size)).c_str(),
                core::printable(d.media_type).c_str());
  };
  row("config", img.config);
  for (const auto &l : img.layers)
    row("layer", l);
}

void print_inspection(const ImageInspection &r) {
  std::printf("reference   %s\n", core::printable(r.reference).c_str());
  std::printf("digest      %s\n", r.digest.c_str());
  std::printf("media type  %s\n", core::printable(r.media_type).c_str());
  std::printf("size        %lld\n", static_cast<long long>(r.size));
  if (r.is_index) {
    for (const auto &[k, v] : r.annotations)
      std::printf("annotation  %s=%s\n", core::printable(k).c_str(), core::printable(v).c_str());
    std::printf("\n%-20s %-71s %10s  %s\n", "PLATFORM", "DIGEST", "SIZE", "MEDIA TYPE");
    for (const auto &d : r.manifests)
      std::printf("%-20s %-71s %10lld  %s\n",
                  d.platform ? core::printable(d.platform->str()).c_str() : "-", d.digest.c_str(),
                  static_cast<long long>(d.size), core::printable(d.media_type).c_str());
  }
  for (const auto &img : r.images)
    print_image(img);
}

} // namespace

int cmd_manifest(const std::vector<std::string> &argv) {
  auto args = parse(argv, kManifestHelp);
  if (!args) return kOk;
  const auto &ref = one_positional(*args, "REF");
  bool json = json_format(*args, "raw");
  auto m = fetch_manifest(ref, options_from(*args));
  if (!json) {
    // The bytes as served: no newline, nothing re-encoded.
    std::fwrite(m.raw.data(), 1, m.raw.size(), stdout);
    return kOk;
  }
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("digest", m.digest);
  w.member("mediaType", m.media_type);
  w.writer.Key("size");
  w.writer.Uint64(m.raw.size());
  w.writer.Key("manifest");
  // Sources only hand out manifests that parsed as one JSON document; its trailing
  // whitespace (a newline, often) would only split the line.
  std::string_view doc = m.raw;
  while (!doc.empty() &&
         (doc.back() == '\n' || doc.back() == '\r' || doc.back() == ' ' || doc.back() == '\t'))
    doc.remove_suffix(1);
  w.writer.RawValue(doc.data(), doc.size(), rapidjson::kObjectType);
  w.writer.EndObject();
  std::printf("%s\n", w.str().c_str());
  return kOk;
}

int cmd_inspect(const std::vector<std::string> &argv) {
  auto args = parse(argv, kInspectHelp);
  if (!args) return kOk;
  const auto &ref = one_positional(*args, "REF");
  bool json = json_format(*args);
  auto r = inspect_image(ref, options_from(*args));
  if (json)
    std::printf("%s\n", to_json(r).c_str());
  else
    print_inspection(r);
  return kOk;
}

int cmd_ls(const std::vector<std::string> &argv) {
  auto args = parse(argv, kLsHelp);
  if (!args) return kOk;
  const auto &repo = one_positional(*args, "REPO");
  bool json = json_format(*args);
  const bool layout = repo.rfind("oci:", 0) == 0;
  auto tags = valid_names(
      list_tags(repo, options_from(*args)),
      [layout](std::string_view t) { return layout ? valid_ref_name(t) : image::valid_tag(t); },
      "ls", layout ? "a ref name" : "a tag");
  if (json)
    std::printf("%s\n", tags_to_json(repo, tags).c_str());
  else
    print_lines(tags);
  return kOk;
}

int cmd_catalog(const std::vector<std::string> &argv) {
  auto args = parse(argv, kCatalogHelp);
  if (!args) return kOk;
  const auto &host = one_positional(*args, "REGISTRY");
  bool json = json_format(*args);
  auto repos = valid_names(list_repositories(host, options_from(*args)), valid_repository,
                           "catalog", "a repository");
  if (json)
    std::printf("%s\n", repositories_to_json(host, repos).c_str());
  else
    print_lines(repos);
  return kOk;
}

int cmd_tag(const std::vector<std::string> &argv) {
  auto args = parse(argv, kTagHelp);
  if (!args) return kOk;
  const auto &pos = args->positional();
  if (pos.size() < 2) throw UsageError{"tag needs REF and at least one TAG"};
  std::vector<std::string> tags(pos.begin() + 1, pos.end());
  for (const auto &t : tags)
    if (!image::valid_tag(t))
      throw UsageError{"'" + t + "' is not a tag (a bare name such as v1.2, no repository)"};
  bool json = json_format(*args);
  auto r = tag_image(pos[0], tags, options_from(*args));
  for (const auto &t : r.tagged)
    std::fprintf(stderr, "tagged %s\n", t.c_str());
  for (const auto &t : r.skipped)
    std::fprintf(stderr, "%s already points at %s\n", t.c_str(), r.digest.c_str());
  if (!json) {
    std::printf("%s\n", r.digest.c_str());
    return kOk;
  }
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("digest", r.digest);
  w.writer.Key("tagged");
  w.writer.StartArray();
  for (const auto &t : r.tagged)
    w.string(t);
  w.writer.EndArray();
  w.writer.Key("skipped");
  w.writer.StartArray();
  for (const auto &t : r.skipped)
    w.string(t);
  w.writer.EndArray();
  w.writer.EndObject();
  std::printf("%s\n", w.str().c_str());
  return kOk;
}

int cmd_rm(const std::vector<std::string> &argv) {
  auto args = parse(argv, kRmHelp);
  if (!args) return kOk;
  const auto &ref = one_positional(*args, "REF");
  bool json = json_format(*args);
  auto digest = delete_image(ref, options_from(*args));
  std::fprintf(stderr, "deleted %s\n", digest.c_str());
  if (json) {
    core::json::StringWriter w;
    w.writer.StartObject();
    w.member("deleted", digest);
    w.writer.EndObject();
    std::printf("%s\n", w.str().c_str());
  } else {
    std::printf("%s\n", digest.c_str());
  }
  return kOk;
}

int cmd_validate(const std::vector<std::string> &argv) {
  auto args = parse(argv, kValidateHelp);
  if (!args) return kOk;
  const auto &ref = one_positional(*args, "REF");
  bool json = json_format(*args);
  auto r = validate_image(ref, options_from(*args));
  if (json) {
    std::printf("%s\n", to_json(r).c_str());
  } else {
    for (const auto &f : r.failures)
      std::printf("FAIL %s %s: %s\n", f.kind.c_str(),
                  f.digest.empty() ? "-" : core::printable(f.digest).c_str(),
                  core::printable(f.message).c_str());
    std::string skipped =
        r.skipped ? ", " + std::to_string(r.skipped) + " foreign layer(s) skipped" : "";
    std::printf("%s %s: %d manifest(s), %d blob(s) (%s) read, %zu failure(s)%s\n",
                r.ok() ? "ok" : "INVALID", r.digest.empty() ? ref.c_str() : r.digest.c_str(),
                r.manifests, r.blobs, human_bytes(r.bytes).c_str(), r.failures.size(),
                skipped.c_str());
  }
  if (!r.ok()) {
    std::fprintf(stderr, "berth validate: %zu failure(s)\n", r.failures.size());
    return kGate;
  }
  return kOk;
}

} // namespace berth::cli
