#include "cli/go_template.h"

#include <cctype>
#include <memory>
#include <vector>

#include "common/error.h"

namespace mini::cli {

using nlohmann::json;

namespace {

/// One argument of a command: a field chain (".A.B", "." itself) or a literal.
struct Arg {
  bool field = false;
  std::vector<std::string> path;  ///< for a field; empty = "."
  json literal;
};

struct Command {
  std::string func;  ///< "" for a bare value
  std::vector<Arg> args;
};

Error TemplateError(const std::string& msg) { return Error(ErrorKind::kInvalidInput, "template: " + msg); }

}  // namespace

struct GoTemplate::Node {
  enum Kind { kList, kText, kAction, kRange, kIf, kWith } kind = kList;
  std::string text;
  Command cmd;
  std::vector<std::unique_ptr<Node>> children;       ///< kList; kRange/kIf: the body
  std::vector<std::unique_ptr<Node>> else_children;  ///< kRange/kIf/kWith: the else branch
};

namespace {

using Node = GoTemplate::Node;

/// The template split into text and `{{...}}` actions, with `{{-` / `-}}` trimming applied.
struct Piece {
  bool action = false;
  std::string body;  ///< the text, or the action without braces and trim marks
};

std::vector<Piece> Split(const std::string& t) {
  std::vector<Piece> out;
  size_t i = 0;
  while (i < t.size()) {
    size_t open = t.find("{{", i);
    if (open == std::string::npos) {
      out.push_back({false, t.substr(i)});
      break;
    }
    std::string text = t.substr(i, open - i);
    size_t close = t.find("}}", open + 2);
    if (close == std::string::npos) throw TemplateError("unclosed action");
    std::string body = t.substr(open + 2, close - open - 2);
    if (body.size() >= 2 && body[0] == '-' && std::isspace(static_cast<unsigned char>(body[1]))) {
      body = body.substr(2);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    }
    bool trim_after = false;
    if (body.size() >= 2 && body.back() == '-' && std::isspace(static_cast<unsigned char>(body[body.size() - 2]))) {
      body.resize(body.size() - 2);
      trim_after = true;
    }
    if (!text.empty()) out.push_back({false, text});
    out.push_back({true, body});
    i = close + 2;
    if (trim_after)
      while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) i++;
  }
  return out;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> w;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) i++;
    if (i >= s.size()) break;
    if (s[i] == '"' || s[i] == '`') {
      char q = s[i];
      size_t j = i + 1;
      std::string lit(1, '"');
      for (; j < s.size() && s[j] != q; j++) {
        if (q == '"' && s[j] == '\\' && j + 1 < s.size()) {
          char c = s[++j];
          lit += c == 'n' ? '\n' : c == 't' ? '\t' : c;
          continue;
        }
        lit += s[j];
      }
      if (j >= s.size()) throw TemplateError("unterminated quoted string");
      w.push_back(lit);
      i = j + 1;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) j++;
    w.push_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

Arg ParseArg(const std::string& w) {
  Arg a;
  if (w[0] == '"') {
    a.literal = w.substr(1);
    return a;
  }
  if (w[0] == '.') {
    a.field = true;
    if (w == ".") return a;
    size_t i = 1;
    while (i <= w.size()) {
      size_t dot = w.find('.', i);
      std::string part = w.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
      if (part.empty()) throw TemplateError("bad field \"" + w + "\"");
      a.path.push_back(part);
      if (dot == std::string::npos) break;
      i = dot + 1;
    }
    return a;
  }
  if (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '-') {
    try {
      size_t pos;
      long long v = std::stoll(w, &pos);
      if (pos == w.size()) {
        a.literal = v;
        return a;
      }
    } catch (const std::exception&) {
    }
  }
  if (w == "true" || w == "false") {
    a.literal = w == "true";
    return a;
  }
  throw TemplateError("function \"" + w + "\" not defined");
}

const std::vector<std::string> kFuncs = {"json", "index", "upper", "lower", "title", "len", "join", "println", "print"};

Command ParseCommand(const std::string& body) {
  std::vector<std::string> w = Words(body);
  if (w.empty()) throw TemplateError("missing value for command");
  Command c;
  size_t first = 0;
  if (w[0][0] != '.' && w[0][0] != '"' && !std::isdigit(static_cast<unsigned char>(w[0][0]))) {
    bool known = false;
    for (const auto& f : kFuncs) known |= f == w[0];
    if (!known) throw TemplateError("function \"" + w[0] + "\" not defined");
    c.func = w[0];
    first = 1;
  }
  for (size_t i = first; i < w.size(); i++) c.args.push_back(ParseArg(w[i]));
  if (c.func.empty() && c.args.size() != 1) throw TemplateError("can't give argument to non-function " + w[0]);
  return c;
}

/// Parses pieces[i...] into `into` until an {{end}} / {{else}} (returned) or the end ("").
std::string ParseList(const std::vector<Piece>& pieces, size_t& i, std::vector<std::unique_ptr<Node>>& into) {
  while (i < pieces.size()) {
    const Piece& p = pieces[i++];
    auto n = std::make_unique<Node>();
    if (!p.action) {
      n->kind = Node::kText;
      n->text = p.body;
      into.push_back(std::move(n));
      continue;
    }
    std::vector<std::string> w = Words(p.body);
    if (w.empty()) throw TemplateError("missing value for command");
    if (w[0] == "end" || w[0] == "else") return w[0];
    if (w[0] == "range" || w[0] == "if" || w[0] == "with") {
      n->kind = w[0] == "range" ? Node::kRange : w[0] == "if" ? Node::kIf : Node::kWith;
      n->cmd = ParseCommand(p.body.substr(p.body.find(w[0]) + w[0].size()));
      std::string stop = ParseList(pieces, i, n->children);
      if (stop == "else") stop = ParseList(pieces, i, n->else_children);
      if (stop != "end") throw TemplateError("unexpected EOF: {{" + w[0] + "}} without {{end}}");
      into.push_back(std::move(n));
      continue;
    }
    n->kind = Node::kAction;
    n->cmd = ParseCommand(p.body);
    into.push_back(std::move(n));
  }
  return "";
}

json Lookup(const json& dot, const Arg& a) {
  if (!a.field) return a.literal;
  const json* v = &dot;
  for (const auto& k : a.path) {
    if (!v->is_object()) throw TemplateError("can't evaluate field " + k + " in a " + std::string(v->type_name()));
    auto it = v->find(k);
    if (it == v->end()) return nullptr;
    v = &*it;
  }
  return *v;
}

/// Go's %v of a value: strings raw, integers without a fraction, [a b], map[k:v].
std::string Show(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "<no value>";
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::array: {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); i++) s += (i ? " " : "") + (v[i].is_null() ? std::string("<nil>") : Show(v[i]));
      return s + "]";
    }
    case json::value_t::object: {
      std::string s = "map[";
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        s += (first ? "" : " ") + k + ":" + (e.is_null() ? std::string("<nil>") : Show(e));
        first = false;
      }
      return s + "]";
    }
    default: return v.dump();
  }
}

bool Truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();  // json's empty() is false for any string
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

json Eval(const Command& c, const json& dot) {
  std::vector<json> a;
  for (const auto& arg : c.args) a.push_back(Lookup(dot, arg));
  if (c.func.empty()) return a[0];
  auto need = [&](size_t n) {
    if (a.size() != n) throw TemplateError("wrong number of args for " + c.func + ": want " + std::to_string(n) + " got " + std::to_string(a.size()));
  };
  if (c.func == "json") {
    need(1);
    return a[0].dump();
  }
  if (c.func == "index") {
    if (a.empty()) throw TemplateError("wrong number of args for index");
    json v = a[0];
    for (size_t i = 1; i < a.size(); i++) {
      if (v.is_object() && a[i].is_string()) {
        auto it = v.find(a[i].get<std::string>());
        v = it == v.end() ? json(nullptr) : *it;
      } else if (v.is_array() && a[i].is_number_integer()) {
        long long k = a[i].get<long long>();
        if (k < 0 || static_cast<size_t>(k) >= v.size()) throw TemplateError("index out of range: " + std::to_string(k));
        v = v[static_cast<size_t>(k)];
      } else if (v.is_null()) {
        return nullptr;
      } else {
        throw TemplateError("can't index item of type " + std::string(v.type_name()));
      }
    }
    return v;
  }
  if (c.func == "upper" || c.func == "lower" || c.func == "title") {
    need(1);
    std::string s = Show(a[0]);
    bool start = true;
    for (char& ch : s) {
      unsigned char u = static_cast<unsigned char>(ch);
      if (c.func == "upper") ch = static_cast<char>(std::toupper(u));
      else if (c.func == "lower") ch = static_cast<char>(std::tolower(u));
      else if (start) ch = static_cast<char>(std::toupper(u));
      start = std::isspace(u) != 0;
    }
    return s;
  }
  if (c.func == "len") {
    need(1);
    if (a[0].is_string()) return a[0].get<std::string>().size();
    if (a[0].is_array() || a[0].is_object()) return a[0].size();
    throw TemplateError("len of type " + std::string(a[0].type_name()));
  }
  if (c.func == "join") {
    need(2);
    if (!a[0].is_array()) throw TemplateError("join: not a list");
    std::string s;
    for (size_t i = 0; i < a[0].size(); i++) s += (i ? Show(a[1]) : "") + Show(a[0][i]);
    return s;
  }
  std::string s;  // print, println
  for (size_t i = 0; i < a.size(); i++) s += (i && c.func == "println" ? " " : "") + Show(a[i]);
  return c.func == "println" ? s + "\n" : s;
}

void Render(const std::vector<std::unique_ptr<Node>>& list, const json& dot, std::string& out) {
  for (const auto& n : list) {
    switch (n->kind) {
      case Node::kText: out += n->text; break;
      case Node::kAction: out += Show(Eval(n->cmd, dot)); break;
      case Node::kIf: Render(Truthy(Eval(n->cmd, dot)) ? n->children : n->else_children, dot, out); break;
      case Node::kWith: {  // the body with dot set to the value, when it is not empty
        json v = Eval(n->cmd, dot);
        if (Truthy(v)) Render(n->children, v, out);
        else Render(n->else_children, dot, out);
        break;
      }
      case Node::kRange: {
        json v = Eval(n->cmd, dot);
        if (!Truthy(v)) {
          Render(n->else_children, dot, out);
          break;
        }
        if (!v.is_array() && !v.is_object()) throw TemplateError("range can't iterate over " + Show(v));
        for (const auto& e : v) Render(n->children, e, out);
        break;
      }
      case Node::kList: Render(n->children, dot, out); break;
    }
  }
}

}  // namespace

GoTemplate::GoTemplate(const std::string& text) : root_(std::make_unique<Node>()) {
  // Docker's CLI turns the two-character escapes \t and \n of a --format into a tab and a
  // newline before parsing (shells pass them through single quotes as they are).
  std::string t;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      t += text[++i] == 't' ? '\t' : '\n';
      continue;
    }
    t += text[i];
  }
  std::vector<Piece> pieces = Split(t);
  size_t i = 0;
  std::string stop = ParseList(pieces, i, root_->children);
  if (!stop.empty()) throw TemplateError("unexpected {{" + stop + "}}");
}
GoTemplate::~GoTemplate() = default;
GoTemplate::GoTemplate(GoTemplate&&) noexcept = default;
GoTemplate& GoTemplate::operator=(GoTemplate&&) noexcept = default;

std::string GoTemplate::Render(const json& data) const {
  std::string out;
  mini::cli::Render(root_->children, data, out);
  return out;
}

bool IsTable(const std::string& format, std::string* rest) {
  if (format != "table" && !format.starts_with("table ")) return false;
  *rest = format.size() > 6 ? format.substr(6) : "";
  return true;
}

std::string AlignTabs(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> width;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::vector<std::string> cells;
    size_t c = 0;
    while (true) {
      size_t tab = line.find('\t', c);
      cells.push_back(line.substr(c, tab == std::string::npos ? std::string::npos : tab - c));
      if (tab == std::string::npos) break;
      c = tab + 1;
    }
    for (size_t i = 0; i + 1 < cells.size(); i++) {
      if (width.size() <= i) width.resize(i + 1, 0);
      width[i] = std::max(width[i], cells[i].size());
    }
    rows.push_back(std::move(cells));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace mini::cli
