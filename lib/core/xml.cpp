#include "core/xml.hpp"

#include <berth/error.hpp>

#include <expat.h>

namespace berth::core {
namespace {

struct ParserDeleter {
  void operator()(XML_Parser p) const noexcept { XML_ParserFree(p); }
};

struct Builder {
  std::unique_ptr<XmlNode> root;
  std::vector<XmlNode *> stack;
  std::size_t depth_limit = 256; // replies are shallow; deep nesting is an attack
  bool too_deep = false;
};

std::string local_name(const char *qname) {
  std::string_view n(qname);
  auto colon = n.rfind(':');
  auto sep = n.rfind('|'); // namespace separator when namespaces are on
  auto cut = std::max(colon == std::string_view::npos ? 0 : colon + 1,
                      sep == std::string_view::npos ? 0 : sep + 1);
  return std::string(n.substr(cut));
}

void trim(std::string &s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  s = b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **) {
  auto *b = static_cast<Builder *>(user);
  if (b->stack.size() >= b->depth_limit) {
    b->too_deep = true;
    return;
  }
  auto node = std::make_unique<XmlNode>();
  node->name = local_name(name);
  XmlNode *raw = node.get();
  if (b->stack.empty()) {
    b->root = std::move(node);
  } else {
    b->stack.back()->children.push_back(std::move(node));
  }
  b->stack.push_back(raw);
}

void XMLCALL on_end(void *user, const XML_Char *) {
  auto *b = static_cast<Builder *>(user);
  if (b->stack.empty()) return;
  trim(b->stack.back()->text);
  b->stack.pop_back();
}

void XMLCALL on_text(void *user, const XML_Char *s, int len) {
  auto *b = static_cast<Builder *>(user);
  if (!b->stack.empty()) b->stack.back()->text.append(s, static_cast<std::size_t>(len));
}

} // namespace

const XmlNode *XmlNode::child(std::string_view n) const {
  for (const auto &c : children)
    if (c->name == n) return c.get();
  return nullptr;
}

const XmlNode *XmlNode::find(std::string_view path) const {
  const XmlNode *cur = this;
  std::size_t start = 0;
  while (cur && start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    cur = cur->child(path.substr(start, end - start));
    start = end + 1;
  }
  return cur;
}

std::optional<std::string> XmlNode::text_at(std::string_view path) const {
  const XmlNode *n = find(path);
  if (!n) return std::nullopt;
  return n->text;
}

const XmlNode *XmlNode::descendant(std::string_view n) const {
  for (const auto &c : children) {
    if (c->name == n) return c.get();
    if (const XmlNode *d = c->descendant(n)) return d;
  }
  return nullptr;
}

std::unique_ptr<XmlNode> parse_xml(std::string_view text, const char *what) {
  std::unique_ptr<XML_ParserStruct, ParserDeleter> parser(XML_ParserCreate("UTF-8"));
  if (!parser) throw std::bad_alloc();
  Builder b;
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  if (XML_Parse(parser.get(), text.data(), static_cast<int>(text.size()), 1) == XML_STATUS_ERROR)
    throw Error(Errc::protocol, std::string(what) + " is not valid XML: " +
                                    XML_ErrorString(XML_GetErrorCode(parser.get())) + " at line " +
                                    std::to_string(XML_GetCurrentLineNumber(parser.get())));
  if (b.too_deep) throw Error(Errc::protocol, std::string(what) + " is nested too deeply");
  if (!b.root) throw Error(Errc::protocol, std::string(what) + " is empty");
  return std::move(b.root);
}

} // namespace berth::core
