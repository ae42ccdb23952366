#include "build/minifile_parser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace mini::build {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string TrimLeft(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  return s.substr(i);
}
std::string TrimRight(const std::string& s) {
  size_t n = s.size();
  while (n > 0 && IsSpace(s[n - 1])) --n;
  return s.substr(0, n);
}
std::string Trim(const std::string& s) { return TrimLeft(TrimRight(s)); }
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsComment(const std::string& line) {
  std::string t = TrimLeft(line);
  return !t.empty() && t[0] == '#';
}

/// Removes a trailing escape (plus whitespace after it); true if the line continues.
bool TrimContinuation(std::string* line, char escape) {
  std::string t = TrimRight(*line);
  if (!t.empty() && t.back() == escape) {
    *line = t.substr(0, t.size() - 1);
    return true;
  }
  return false;
}

enum class Form { kJsonOrString, kJsonOrList, kWords, kString, kNameVal, kArg, kHealth, kOnbuild, kJsonOnly };

const std::map<std::string, Form>& Instructions() {
  static const std::map<std::string, Form> m = {
      {"from", Form::kWords},         {"run", Form::kJsonOrString},   {"cmd", Form::kJsonOrString},
      {"entrypoint", Form::kJsonOrString}, {"shell", Form::kJsonOnly}, {"copy", Form::kJsonOrList},
      {"add", Form::kJsonOrList},     {"volume", Form::kJsonOrList},  {"expose", Form::kWords},
      {"env", Form::kNameVal},        {"label", Form::kNameVal},      {"arg", Form::kArg},
      {"workdir", Form::kString},     {"user", Form::kString},        {"stopsignal", Form::kString},
      {"maintainer", Form::kString},  {"healthcheck", Form::kHealth}, {"onbuild", Form::kOnbuild},
  };
  return m;
}

/// Leading `--flag[=value]` words; "--" alone ends them.
std::vector<std::string> ExtractFlags(std::string* rest, char escape) {
  std::vector<std::string> flags;
  for (;;) {
    std::string r = TrimLeft(*rest);
    if (r.compare(0, 2, "--") != 0) {
      *rest = r;
      return flags;
    }
    // The flag ends at unquoted whitespace.
    size_t i = 0;
    char quote = 0;
    for (; i < r.size(); ++i) {
      char c = r[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == escape && i + 1 < r.size()) {
        ++i;
      } else if (IsSpace(c)) {
        break;
      }
    }
    std::string flag = r.substr(0, i);
    *rest = r.substr(i);
    if (flag == "--") {
      *rest = TrimLeft(*rest);
      return flags;
    }
    flags.push_back(flag);
  }
}

/// Tries the JSON array-of-strings form.
bool ParseJsonArray(const std::string& rest, std::vector<std::string>* out) {
  std::string t = Trim(rest);
  if (t.empty() || t[0] != '[') return false;
  auto j = nlohmann::json::parse(t, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return false;
  std::vector<std::string> v;
  for (const auto& e : j) {
    if (!e.is_string()) return false;
    v.push_back(e.get<std::string>());
  }
  *out = std::move(v);
  return true;
}

std::vector<std::string> SplitWhitespace(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

class LineError {
 public:
  LineError(const std::string& file, int line) : prefix_(file + ":" + std::to_string(line) + ": ") {}
  [[noreturn]] void operator()(const std::string& msg) const { throw Error(prefix_ + msg); }

 private:
  std::string prefix_;
};

void ParseArgs(Node* n, const std::string& rest, char escape, const LineError& fail);

/// Parses "CMD rest" into `n` (cmd, flags, args).
void ParseInstruction(Node* n, const std::string& line, char escape, const LineError& fail) {
  std::string t = TrimLeft(line);
  size_t sp = 0;
  while (sp < t.size() && !IsSpace(t[sp])) ++sp;
  std::string word = t.substr(0, sp);
  n->cmd = Lower(word);
  if (!Instructions().count(n->cmd)) fail("unknown instruction: " + word);
  std::string rest = t.substr(sp);
  n->flags = ExtractFlags(&rest, escape);
  rest = TrimRight(rest);
  if (Trim(rest).empty() && n->cmd != "healthcheck")
    fail(word + " requires at least one argument");
  ParseArgs(n, rest, escape, fail);
}

void ParseArgs(Node* n, const std::string& rest, char escape, const LineError& fail) {
  switch (Instructions().at(n->cmd)) {
    case Form::kJsonOrString:
      if (ParseJsonArray(rest, &n->args)) n->json = true;
      else n->args = {Trim(rest)};
      break;
    case Form::kJsonOnly:
      if (!ParseJsonArray(rest, &n->args)) fail(n->cmd == "shell" ? "SHELL requires the arguments to be in JSON form" : "expected a JSON array");
      n->json = true;
      break;
    case Form::kJsonOrList:
      if (ParseJsonArray(rest, &n->args)) n->json = true;
      else n->args = SplitWhitespace(rest);
      break;
    case Form::kWords:
      n->args = SplitWhitespace(rest);
      break;
    case Form::kString:
      n->args = {Trim(rest)};
      break;
    case Form::kArg:
      n->args = SplitWordsKeepQuotes(rest, escape);
      break;
    case Form::kNameVal: {
      std::string upper = n->cmd == "env" ? "ENV" : "LABEL";
      auto words = SplitWordsKeepQuotes(rest, escape);
      if (words.empty()) fail(upper + " requires at least one argument");
      if (words[0].find('=') == std::string::npos) {
        // Legacy "KEY value with spaces" form.
        std::string t = Trim(rest);
        size_t sp = 0;
        while (sp < t.size() && !IsSpace(t[sp])) ++sp;
        std::string value = Trim(t.substr(sp));
        if (value.empty()) fail(upper + " must have two arguments");
        n->args = {words[0], value};
        break;
      }
      for (const auto& w : words) {
        size_t eq = w.find('=');
        if (eq == std::string::npos)
          fail("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
        if (eq == 0) fail(upper + " names can not be blank");
        n->args.push_back(w.substr(0, eq));
        n->args.push_back(w.substr(eq + 1));
      }
      break;
    }
    case Form::kHealth: {
      std::string t = Trim(rest);
      size_t sp = 0;
      while (sp < t.size() && !IsSpace(t[sp])) ++sp;
      std::string kind = t.substr(0, sp);
      std::string up = kind;
      for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (up == "NONE") {
        if (!Trim(t.substr(sp)).empty()) fail("HEALTHCHECK NONE takes no arguments");
        n->args = {"NONE"};
      } else if (up == "CMD") {
        std::string cmd = Trim(t.substr(sp));
        if (cmd.empty()) fail("Missing command after HEALTHCHECK CMD");
        std::vector<std::string> a;
        if (ParseJsonArray(cmd, &a)) n->json = true;
        else a = {cmd};
        n->args = {"CMD"};
        n->args.insert(n->args.end(), a.begin(), a.end());
      } else {
        fail("Unknown type \"" + kind + "\" in HEALTHCHECK (try CMD)");
      }
      break;
    }
    case Form::kOnbuild: {
      auto sub = std::make_shared<Node>();
      sub->start_line = n->start_line;
      sub->end_line = n->end_line;
      sub->original = Trim(rest);
      ParseInstruction(sub.get(), rest, escape, fail);
      if (sub->cmd == "onbuild") fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (sub->cmd == "from" || sub->cmd == "maintainer")
        fail(std::string(sub->cmd == "from" ? "FROM" : "MAINTAINER") + " isn't allowed as an ONBUILD trigger");
      n->args = {Trim(rest)};
      n->sub = sub;
      break;
    }
  }
}

/// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF): instruction
/// text ends up in the image config and history, which JSON cannot hold otherwise.
bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return false;
    }
    i += n + 1;
  }
  return true;
}

/// `# name=value` at the top of the file.
bool ParseDirective(const std::string& line, std::string* name, std::string* value) {
  std::string t = Trim(line);
  if (t.empty() || t[0] != '#') return false;
  t = Trim(t.substr(1));
  size_t eq = t.find('=');
  if (eq == std::string::npos) return false;
  std::string k = Trim(t.substr(0, eq));
  if (k.empty() || !std::isalpha(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  *name = Lower(k);
  *value = Trim(t.substr(eq + 1));
  return !value->empty();
}

}  // namespace

std::vector<std::string> SplitWordsKeepQuotes(const std::string& s, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!in_word) {
      if (IsSpace(c)) continue;
      in_word = true;
    }
    if (!quote && IsSpace(c)) {
      words.push_back(word);
      word.clear();
      in_word = false;
      continue;
    }
    if (c == escape && i + 1 < s.size() && quote != '\'') {
      word += c;
      word += s[++i];
      continue;
    }
    if (quote == c) quote = 0;
    else if (!quote && (c == '"' || c == '\'')) quote = c;
    word += c;
  }
  if (in_word) words.push_back(word);
  return words;
}

std::string Node::Dump() const {
  std::string out = "(" + cmd;
  if (!flags.empty()) {
    out += " [";
    for (size_t i = 0; i < flags.size(); ++i) out += (i ? " " : "") + nlohmann::json(flags[i]).dump();
    out += "]";
  }
  if (json) out += " json";
  if (sub) {
    out += " " + sub->Dump();
  } else {
    for (const auto& a : args) out += " " + nlohmann::json(a).dump();
  }
  return out + ")";
}

ParsedFile ParseMinifile(const std::string& text, const std::string& file) {
  ParsedFile pf;
  pf.file = file;
  std::vector<std::string> lines;
  {
    std::string cur;
    for (char c : text) {
      if (c == '\n') {
        lines.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    if (!cur.empty()) lines.push_back(cur);
  }
  if (!lines.empty() && lines[0].compare(0, 3, "\xEF\xBB\xBF") == 0) lines[0] = lines[0].substr(3);
  for (auto& l : lines)
    if (!l.empty() && l.back() == '\r') l.pop_back();

  size_t i = 0;
  bool seen_escape = false;
  for (; i < lines.size(); ++i) {
    std::string name, value;
    if (!ParseDirective(lines[i], &name, &value)) break;
    if (name != "escape" && name != "syntax" && name != "check") break;
    if (name == "escape") {
      LineError fail(file, static_cast<int>(i + 1));
      if (seen_escape) fail("only one escape parser directive can be used");
      if (value != "\\" && value != "`") fail("invalid escape token '" + value + "' does not match ` or \\");
      pf.escape = value[0];
      seen_escape = true;
    }
  }

  for (; i < lines.size(); ++i) {
    if (Trim(lines[i]).empty() || IsComment(lines[i])) continue;
    Node n;
    n.start_line = static_cast<int>(i + 1);
    std::string line = TrimLeft(lines[i]);
    bool more = TrimContinuation(&line, pf.escape);
    while (more && i + 1 < lines.size()) {
      ++i;
      if (IsComment(lines[i])) continue;
      if (Trim(lines[i]).empty()) {
        pf.warnings.push_back(file + ":" + std::to_string(i + 1) + ": empty continuation line");
        continue;
      }
      std::string next = lines[i];
      more = TrimContinuation(&next, pf.escape);
      line += next;
    }
    n.end_line = static_cast<int>(i + 1);
    n.original = TrimRight(line);
    if (!ValidUtf8(line)) LineError(file, n.start_line)("invalid UTF-8 in the instruction");
    ParseInstruction(&n, line, pf.escape, LineError(file, n.start_line));
    pf.nodes.push_back(std::move(n));
  }
  return pf;
}

}  // namespace mini::build
