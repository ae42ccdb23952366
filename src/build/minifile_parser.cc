#include "build/minifile_parser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "build/heredoc.h"
#include "build/parser_directives.h"
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

/// BuildKit's line continuation: the escape as the last character before trailing blanks, not
/// itself escaped (`foo\\` ends the line); or the escape alone on its line. Removes it.
bool TrimContinuation(std::string* line, char escape) {
  size_t n = line->size();
  while (n > 0 && ((*line)[n - 1] == ' ' || (*line)[n - 1] == '\t')) --n;
  if (n == 0 || (*line)[n - 1] != escape) return false;
  if (n >= 2 && (*line)[n - 2] == escape) return false;
  line->resize(n - 1);
  return true;
}

enum class Form { kJsonOrString, kJsonOrList, kWords, kString, kNameVal, kArg, kHealth, kOnbuild };

const std::map<std::string, Form>& Instructions() {
  static const std::map<std::string, Form> m = {
      {"from", Form::kWords},         {"run", Form::kJsonOrString},   {"cmd", Form::kJsonOrString},
      {"entrypoint", Form::kJsonOrString}, {"shell", Form::kJsonOrString}, {"copy", Form::kJsonOrList},
      {"add", Form::kJsonOrList},     {"volume", Form::kJsonOrList},  {"expose", Form::kWords},
      {"env", Form::kNameVal},        {"label", Form::kNameVal},      {"arg", Form::kArg},
      {"workdir", Form::kString},     {"user", Form::kString},        {"stopsignal", Form::kString},
      {"maintainer", Form::kString},  {"healthcheck", Form::kHealth}, {"onbuild", Form::kOnbuild},
  };
  return m;
}

/// Leading `--flag[=value]` words, BuildKit's extractBuilderFlags: quotes and escapes are
/// removed from them; "--" alone ends them. `rest` is left at the first other word.
std::vector<std::string> ExtractFlags(std::string* rest, char escape) {
  const std::string& line = *rest;
  std::vector<std::string> flags;
  std::string word;
  bool in_word = false, blank_ok = false;
  char quote = 0;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char ch = pos < line.size() ? line[pos] : 0;
    if (!in_word) {
      if (pos == line.size()) break;
      if (IsSpace(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        *rest = line.substr(pos);
        return flags;
      }
      in_word = true;
    }
    if (pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) flags.push_back(word);
      break;
    }
    if (!quote) {
      if (IsSpace(ch)) {
        if (word == "--") {
          *rest = TrimLeft(line.substr(pos));
          return flags;
        }
        if (blank_ok || !word.empty()) flags.push_back(word);
        word.clear();
        in_word = blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        continue;
      }
    } else if (ch == quote) {
      quote = 0;
      continue;
    }
    if (ch == escape) {
      if (pos + 1 == line.size()) {
        quote = 0;
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  rest->clear();
  return flags;
}

enum class Json { kNo, kYes, kNotStrings };

/// BuildKit's parseJSON: text starting with '[' that is a JSON array; an array with an element
/// that is not a string is an error, any other malformed text is not JSON (the shell form).
Json ParseJsonArray(const std::string& rest, std::vector<std::string>* out) {
  std::string t = TrimLeft(rest);
  if (t.empty() || t[0] != '[') return Json::kNo;
  auto j = nlohmann::json::parse(t, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return Json::kNo;
  std::vector<std::string> v;
  for (const auto& e : j) {
    if (!e.is_string()) return Json::kNotStrings;
    v.push_back(e.get<std::string>());
  }
  *out = std::move(v);
  return Json::kYes;
}

/// Go's regexp [\t\v\f\r ]+ split (no empty words at the ends: the text is trimmed first).
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

constexpr const char* kNotStrings = "when using JSON array syntax, arrays must be comprised of strings only";

void ParseArgs(Node* n, const std::string& rest, char escape, const LineError& fail);

/// Parses "CMD rest" into `n` (cmd, flags, args). Argument counts are checked later, by
/// instructions.cc, as BuildKit does.
void ParseInstruction(Node* n, const std::string& line, char escape, const LineError& fail) {
  std::string t = Trim(line);
  size_t sp = 0;
  while (sp < t.size() && !IsSpace(t[sp])) ++sp;
  std::string word = t.substr(0, sp);
  n->cmd = Lower(word);
  if (!Instructions().count(n->cmd)) fail("unknown instruction: " + word);
  std::string rest = TrimLeft(t.substr(sp));
  n->flags = ExtractFlags(&rest, escape);
  ParseArgs(n, Trim(rest), escape, fail);
}

/// parseMaybeJSON: the JSON strings, or the whole text as one string.
void MaybeJson(Node* n, const std::string& rest, const LineError& fail) {
  if (rest.empty()) return;
  switch (ParseJsonArray(rest, &n->args)) {
    case Json::kYes:
      n->json = true;
      return;
    case Json::kNotStrings:
      fail(kNotStrings);
    case Json::kNo:
      n->args = {rest};
  }
}

void ParseArgs(Node* n, const std::string& rest, char escape, const LineError& fail) {
  switch (Instructions().at(n->cmd)) {
    case Form::kJsonOrString:
      MaybeJson(n, rest, fail);
      break;
    case Form::kJsonOrList:
      switch (ParseJsonArray(rest, &n->args)) {
        case Json::kYes:
          n->json = true;
          break;
        case Json::kNotStrings:
          fail(kNotStrings);
        case Json::kNo:
          n->args = SplitWhitespace(rest);
      }
      break;
    case Form::kWords:
      n->args = SplitWhitespace(rest);
      break;
    case Form::kString:
      if (!rest.empty()) n->args = {rest};
      break;
    case Form::kArg:
      n->args = SplitWordsKeepQuotes(rest, escape);
      break;
    case Form::kNameVal: {
      std::string upper = n->cmd == "env" ? "ENV" : "LABEL";
      auto words = SplitWordsKeepQuotes(rest, escape);
      if (words.empty()) break;
      if (words[0].find('=') == std::string::npos) {
        // Legacy "KEY value with spaces" form.
        size_t sp = 0;
        while (sp < rest.size() && !IsSpace(rest[sp])) ++sp;
        std::string value = TrimLeft(rest.substr(sp));
        if (value.empty()) fail(upper + " must have two arguments");
        n->args = {rest.substr(0, sp), value};
        break;
      }
      for (const auto& w : words) {
        size_t eq = w.find('=');
        if (eq == std::string::npos)
          fail("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value");
        n->args.push_back(w.substr(0, eq));
        n->args.push_back(w.substr(eq + 1));
      }
      break;
    }
    case Form::kHealth: {
      // The type word as written, then the command (JSON or one string).
      size_t sp = 0;
      while (sp < rest.size() && !IsSpace(rest[sp])) ++sp;
      if (sp == 0) break;
      n->args = {rest.substr(0, sp)};
      Node cmd;
      MaybeJson(&cmd, TrimLeft(rest.substr(sp)), fail);
      n->json = cmd.json;
      n->args.insert(n->args.end(), cmd.args.begin(), cmd.args.end());
      break;
    }
    case Form::kOnbuild: {
      if (rest.empty()) break;
      auto sub = std::make_shared<Node>();
      sub->start_line = n->start_line;
      sub->end_line = n->end_line;
      sub->original = rest;
      ParseInstruction(sub.get(), rest, escape, fail);
      n->args = {rest};
      n->sub = sub;
      break;
    }
  }
}

/// BuildKit's canContainHeredoc: RUN, COPY and ADD in shell form, also as an ONBUILD trigger.
bool CanContainHeredoc(const Node& n) {
  const Node& c = n.cmd == "onbuild" && n.sub ? *n.sub : n;
  return (c.cmd == "run" || c.cmd == "copy" || c.cmd == "add") && !c.json;
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
    if (c == escape && quote != '\'') {
      if (i + 1 == s.size()) continue;  // an escape at the very end is dropped (parseWords)
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
  for (const auto& h : heredocs) {
    out += " (heredoc " + nlohmann::json(h.name).dump();
    if (h.chomp) out += " chomp";
    if (!h.expand) out += " noexpand";
    out += " " + nlohmann::json(h.content).dump() + ")";
  }
  return out + ")";
}

ParsedFile ParseMinifile(const std::string& text, const std::string& file) {
  ParsedFile pf;
  pf.file = file;
  // Lines as in the file, each with its '\n' (heredoc bodies keep them, and any '\r').
  std::vector<std::string> raw;
  {
    size_t p = 0;
    while (p < text.size()) {
      size_t nl = text.find('\n', p);
      size_t end = nl == std::string::npos ? text.size() : nl + 1;
      raw.push_back(text.substr(p, end - p));
      p = end;
    }
  }
  if (!raw.empty() && raw[0].compare(0, 3, "\xEF\xBB\xBF") == 0) raw[0] = raw[0].substr(3);
  std::vector<std::string> lines;  // without "\r\n" (BuildKit's trimNewline)
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string& r = raw[i];
    // BuildKit reads lines with a bufio.Scanner: 64 KiB at most, the newline included.
    if (r.size() - (r.back() == '\n') >= 65536)
      LineError(file, static_cast<int>(i + 1))("dockerfile line greater than max allowed size of 65535");
    size_t n = r.size();
    while (n > 0 && (r[n - 1] == '\n' || r[n - 1] == '\r')) --n;
    lines.push_back(r.substr(0, n));
  }

  DirectiveReader directives;
  // Every line is offered to the directive reader until one is not a directive (BuildKit reads
  // the first line of each instruction left-trimmed, continuation lines as they are).
  auto directive = [&](const std::string& line, size_t idx) {
    std::string name, value;
    bool ok;
    try {
      ok = directives.Read(line, &name, &value);
    } catch (const Error& e) {
      LineError(file, static_cast<int>(idx + 1))(e.what());
    }
    if (!ok) return false;
    LineError fail(file, static_cast<int>(idx + 1));
    if (name == "escape") {
      if (value != "\\" && value != "`") fail("invalid escape token '" + value + "' does not match ` or \\");
      pf.escape = value[0];
    } else if (name == "syntax") {
      try {
        CheckSyntaxDirective(value);
      } catch (const Error& e) {
        fail(e.what());
      }
    } else if (name == "check") {
      pf.warnings.push_back(file + ":" + std::to_string(idx + 1) + ": the check directive is accepted, but mini runs no build checks");
    }
    return true;
  };
  // BuildKit's DetectSyntax skips a "#!" first line when it looks for `# syntax=`.
  if (!lines.empty() && lines[0].rfind("#!", 0) == 0)
    for (size_t k = 1; k < lines.size(); ++k) {
      DirectiveReader probe;
      std::string name, value;
      bool ok = false;
      try {
        ok = probe.Read(lines[k], &name, &value);
      } catch (const Error&) {
      }
      if (!ok) break;
      if (name == "syntax") {
        try {
          CheckSyntaxDirective(value);
        } catch (const Error& e) {
          LineError(file, static_cast<int>(k + 1))(e.what());
        }
      }
    }

  for (size_t i = 0; i < lines.size(); ++i) {
    std::string first = TrimLeft(lines[i]);
    if (directive(first, i) || first.empty() || first[0] == '#') continue;
    Node n;
    n.start_line = static_cast<int>(i + 1);
    std::string line = first;
    bool more = TrimContinuation(&line, pf.escape);
    bool empty_continuation = false;
    while (more && i + 1 < lines.size()) {
      ++i;
      if (IsComment(lines[i])) continue;
      if (Trim(lines[i]).empty()) {
        empty_continuation = true;
        continue;
      }
      std::string next = lines[i];
      more = TrimContinuation(&next, pf.escape);
      line += next;
    }
    if (empty_continuation) pf.warnings.push_back(file + ":" + std::to_string(i + 1) + ": empty continuation line");
    n.end_line = static_cast<int>(i + 1);
    n.original = TrimRight(line);
    if (!ValidUtf8(line)) LineError(file, n.start_line)("invalid UTF-8 in the instruction");
    LineError fail(file, n.start_line);
    ParseInstruction(&n, line, pf.escape, fail);
    if (CanContainHeredoc(n) && line.find("<<") != std::string::npos) {
      for (const HeredocMarker& m : HeredocsFromLine(line)) {
        Heredoc h;
        h.name = m.name;
        h.expand = m.expand;
        h.chomp = m.chomp;
        bool terminated = false;
        while (i + 1 < lines.size()) {
          ++i;
          std::string candidate = h.chomp ? lines[i].substr(std::min(lines[i].find_first_not_of('\t'), lines[i].size())) : lines[i];
          if (candidate == h.name) {
            terminated = true;
            break;
          }
          h.content += raw[i];
        }
        if (!terminated) fail("unterminated heredoc");
        if (h.chomp) h.content = ChompHeredoc(h.content);
        n.heredocs.push_back(std::move(h));
      }
      n.end_line = static_cast<int>(i + 1);
    }
    pf.nodes.push_back(std::move(n));
  }
  if (text.empty()) throw Error(file + ": the Dockerfile cannot be empty");
  if (pf.nodes.empty()) throw Error(file + ": file with no instructions");
  return pf;
}

}  // namespace mini::build
