// A small XML tree built with expat, for AWS query-protocol replies (STS) and the
// XML errors AWS and moto send even on JSON APIs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::core {

struct XmlNode {
  std::string name; // local name, namespace prefix dropped
  std::string text; // concatenated character data, trimmed
  std::vector<std::unique_ptr<XmlNode>> children;

  const XmlNode *child(std::string_view name) const;
  // Slash-separated path of child names below this node, e.g. "Credentials/AccessKeyId".
  const XmlNode *find(std::string_view path) const;
  // The text at path, or nullopt when the node is missing.
  std::optional<std::string> text_at(std::string_view path) const;
  // The first node with this name anywhere below (depth first), or nullptr.
  const XmlNode *descendant(std::string_view name) const;
};

// Parses a document; throws Error(protocol) naming `what`, line and expat's reason.
std::unique_ptr<XmlNode> parse_xml(std::string_view text, const char *what);

} // namespace berth::core
