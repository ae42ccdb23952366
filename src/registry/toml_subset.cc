// A parser for the TOML subset of registries.conf (see toml_subset.h).
#include "registry/toml_subset.h"

#include <set>
#include <vector>

#include "common/error.h"

namespace mini::registry {

using nlohmann::json;

namespace {

bool IsBareKeyChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

  json Parse() {
    json root = json::object();
    current_ = &root;
    while (true) {
      SkipSpaceAndComments(true);
      if (AtEnd()) break;
      if (Peek() == '[') {
        ParseTableHeader(root);
      } else {
        ParseKeyValue(*current_);
      }
      EndOfLine();
    }
    return root;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(ErrorKind::kInvalidInput, source_ + ":" + std::to_string(line_) + ": " + what);
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  std::string Shown() const {
    if (AtEnd()) return "end of file";
    if (Peek() == '\n') return "end of line";
    return "'" + std::string(1, Peek()) + "'";
  }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "', got " + Shown());
    pos_++;
  }

  /// Spaces and tabs; with `newlines`, also line ends and comments.
  void SkipSpaceAndComments(bool newlines) {
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\r') {
        pos_++;
      } else if (c == '#' && newlines) {
        while (!AtEnd() && Peek() != '\n') pos_++;
      } else if (c == '\n' && newlines) {
        pos_++;
        line_++;
      } else {
        break;
      }
    }
  }

  /// After a statement: only a comment may follow on its line.
  void EndOfLine() {
    SkipSpaceAndComments(false);
    if (Peek() == '#') {
      while (!AtEnd() && Peek() != '\n') pos_++;
    }
    if (AtEnd()) return;
    if (Peek() != '\n') Fail("expected the end of the line, got " + Shown());
    pos_++;
    line_++;
  }

  std::string ParseBasicString() {
    Expect('"');
    if (s_.compare(pos_, 2, "\"\"") == 0) Fail("multi-line strings are not supported");
    std::string out;
    for (;;) {
      if (AtEnd() || Peek() == '\n') Fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (AtEnd()) Fail("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case 'b': out += '\b'; break;
        case 't': out += '\t'; break;
        case 'n': out += '\n'; break;
        case 'f': out += '\f'; break;
        case 'r': out += '\r'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case 'u':
        case 'U': {
          size_t n = e == 'u' ? 4 : 8;
          if (pos_ + n > s_.size()) Fail("invalid \\" + std::string(1, e) + " escape");
          uint32_t cp = 0;
          for (size_t i = 0; i < n; i++) {
            char h = s_[pos_ + i];
            int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
            if (v < 0) Fail("invalid \\" + std::string(1, e) + " escape");
            cp = cp * 16 + static_cast<uint32_t>(v);
          }
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) Fail("invalid unicode escape");
          pos_ += n;
          AppendUtf8(out, cp);
          break;
        }
        default:
          Fail("invalid escape \\" + std::string(1, e));
      }
    }
  }

  std::string ParseLiteralString() {
    Expect('\'');
    if (s_.compare(pos_, 2, "''") == 0) Fail("multi-line strings are not supported");
    size_t start = pos_;
    while (!AtEnd() && Peek() != '\'' && Peek() != '\n') pos_++;
    if (Peek() != '\'') Fail("unterminated string");
    return s_.substr(start, pos_++ - start);
  }

  std::string ParseKeyPart() {
    SkipSpaceAndComments(false);
    if (Peek() == '"') return ParseBasicString();
    if (Peek() == '\'') return ParseLiteralString();
    size_t start = pos_;
    while (!AtEnd() && IsBareKeyChar(Peek())) pos_++;
    if (start == pos_) Fail("expected a key, got " + Shown());
    return s_.substr(start, pos_ - start);
  }

  std::vector<std::string> ParseKey() {
    std::vector<std::string> parts{ParseKeyPart()};
    for (;;) {
      SkipSpaceAndComments(false);
      if (Peek() != '.') return parts;
      pos_++;
      parts.push_back(ParseKeyPart());
    }
  }

  static std::string Joined(const std::vector<std::string>& key) {
    std::string out;
    for (const auto& k : key) out += (out.empty() ? "" : ".") + k;
    return out;
  }

  /// The table a dotted path leads to, creating tables on the way; the last element of an
  /// array of tables stands for the array.
  json& Descend(json& from, const std::vector<std::string>& key, size_t n) {
    json* t = &from;
    for (size_t i = 0; i < n; i++) {
      json& next = (*t)[key[i]];
      if (next.is_null()) next = json::object();
      if (next.is_array() && !next.empty() && next.back().is_object() && array_tables_.count(&next)) {
        t = &next.back();
      } else if (next.is_object()) {
        t = &next;
      } else {
        Fail("key \"" + Joined(std::vector<std::string>(key.begin(), key.begin() + static_cast<long>(i) + 1)) +
             "\" is not a table");
      }
    }
    return *t;
  }

  void ParseTableHeader(json& root) {
    Expect('[');
    bool array = Peek() == '[';
    if (array) pos_++;
    std::vector<std::string> key = ParseKey();
    SkipSpaceAndComments(false);
    Expect(']');
    if (array) Expect(']');
    json& parent = Descend(root, key, key.size() - 1);
    json& slot = parent[key.back()];
    std::string name = Joined(key);
    if (array) {
      if (slot.is_null()) {
        slot = json::array();
        array_tables_.insert(&slot);
      }
      if (!slot.is_array() || !array_tables_.count(&slot)) Fail("\"" + name + "\" is not an array of tables");
      slot.push_back(json::object());
      current_ = &slot.back();
      return;
    }
    if (slot.is_null()) slot = json::object();
    if (!slot.is_object()) Fail("\"" + name + "\" is not a table");
    if (!defined_.insert(&slot).second) Fail("table [" + name + "] defined twice");
    current_ = &slot;
  }

  json ParseValue() {
    SkipSpaceAndComments(false);
    char c = Peek();
    if (c == '"') return ParseBasicString();
    if (c == '\'') return ParseLiteralString();
    if (s_.compare(pos_, 4, "true") == 0 && !IsBareKeyChar(pos_ + 4 < s_.size() ? s_[pos_ + 4] : ' ')) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "false") == 0 && !IsBareKeyChar(pos_ + 5 < s_.size() ? s_[pos_ + 5] : ' ')) {
      pos_ += 5;
      return false;
    }
    if (c == '[') return ParseArray();
    if (c == '{') Fail("inline tables are not supported");
    if (AtEnd() || c == '\n' || c == '#') Fail("expected a value, got " + Shown());
    size_t start = pos_;
    while (!AtEnd() && Peek() != '\n' && Peek() != '#' && Peek() != ',' && Peek() != ']' && Peek() != ' ') pos_++;
    Fail("unsupported value " + s_.substr(start, pos_ - start) + " (only strings, booleans and arrays of strings)");
  }

  json ParseArray() {
    Expect('[');
    json arr = json::array();
    for (;;) {
      SkipSpaceAndComments(true);
      if (Peek() == ']') {
        pos_++;
        return arr;
      }
      json v = ParseValue();
      if (!v.is_string()) Fail("only arrays of strings are supported");
      arr.push_back(std::move(v));
      SkipSpaceAndComments(true);
      if (Peek() == ',') {
        pos_++;
        continue;
      }
      if (Peek() != ']') Fail("expected ',' or ']' in an array, got " + Shown());
    }
  }

  void ParseKeyValue(json& table) {
    std::vector<std::string> key = ParseKey();
    SkipSpaceAndComments(false);
    Expect('=');
    json v = ParseValue();
    json& parent = Descend(table, key, key.size() - 1);
    if (parent.contains(key.back())) Fail("key \"" + Joined(key) + "\" defined twice");
    parent[key.back()] = std::move(v);
  }

  const std::string& s_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
  json* current_ = nullptr;
  std::set<const json*> array_tables_;  ///< arrays made by [[...]]
  std::set<const json*> defined_;       ///< tables made by [...]
};

}  // namespace

json ParseTomlSubset(const std::string& text, const std::string& source) { return Parser(text, source).Parse(); }

}  // namespace mini::registry
