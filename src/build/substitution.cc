#include "build/substitution.h"

#include <cctype>

#include "common/error.h"

namespace mini::build {

VarLookup LookupIn(const std::vector<std::string>& env) {
  return [&env](const std::string& name) -> std::optional<std::string> {
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
      size_t eq = it->find('=');
      if (eq == std::string::npos) {
        if (*it == name) return std::string();
      } else if (it->compare(0, eq, name) == 0 && eq == name.size()) {
        return it->substr(eq + 1);
      }
    }
    return std::nullopt;
  };
}

namespace {

/// Collects words; unquoted text (including variable values) splits on whitespace, quoted text
/// never does. In single-word mode nothing splits.
class Words {
 public:
  explicit Words(bool split) : split_(split) {}
  void AddChar(char c) {
    if (split_ && std::isspace(static_cast<unsigned char>(c))) {
      if (in_word_) {
        words_.push_back(word_);
        word_.clear();
        in_word_ = false;
      }
      return;
    }
    AddRawChar(c);
  }
  void AddRawChar(char c) {
    word_ += c;
    in_word_ = true;
  }
  void AddString(const std::string& s) {
    for (char c : s) AddChar(c);
  }
  void AddRawString(const std::string& s) {
    word_ += s;
    in_word_ = true;
  }
  /// Marks a word as present even when empty ("" is one empty word).
  void Touch() { in_word_ = true; }
  std::vector<std::string> Finish() {
    if (in_word_) words_.push_back(word_);
    return words_;
  }

 private:
  bool split_;
  bool in_word_ = false;
  std::string word_;
  std::vector<std::string> words_;
};

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  Lexer(const std::string& s, char escape, const VarLookup& vars) : s_(s), esc_(escape), vars_(vars) {}

  /// Processes until the end, or until an unquoted, unescaped `stop` (consumed) when stop != 0.
  void Process(Words& w, char stop) {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (stop && c == stop) {
        ++pos_;
        return;
      }
      if (c == '\'') {
        ++pos_;
        w.Touch();
        w.AddRawString(SingleQuoted());
      } else if (c == '"') {
        ++pos_;
        w.Touch();
        w.AddRawString(DoubleQuoted());
      } else if (c == '$') {
        ++pos_;
        w.AddString(Dollar());
      } else if (c == esc_) {
        ++pos_;
        if (pos_ < s_.size()) w.AddRawChar(s_[pos_++]);
      } else {
        ++pos_;
        w.AddChar(c);
      }
    }
    if (stop) throw Error("failed to process \"" + s_ + "\": syntax error: missing '}'");
  }

 private:
  std::string SingleQuoted() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\'') return out;
      out += c;
    }
    throw Error("failed to process \"" + s_ + "\": unexpected end of statement while looking for matching single-quote");
  }

  std::string DoubleQuoted() {
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '$') {
        ++pos_;
        out += Dollar();
        continue;
      }
      ++pos_;
      if (c == esc_ && pos_ < s_.size()) {
        char n = s_[pos_];
        if (n == '"' || n == '$' || n == esc_) {
          out += n;
          ++pos_;
          continue;
        }
      }
      out += c;
    }
    throw Error("failed to process \"" + s_ + "\": unexpected end of statement while looking for matching double-quote");
  }

  /// After a `$`: a variable reference, or a literal `$` when no name follows.
  std::string Dollar() {
    if (pos_ >= s_.size()) return "$";
    if (s_[pos_] != '{') {
      size_t start = pos_;
      while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
      if (pos_ == start) return "$";
      return vars_(s_.substr(start, pos_ - start)).value_or("");
    }
    ++pos_;
    size_t start = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    std::string name = s_.substr(start, pos_ - start);
    if (name.empty()) throw Error("failed to process \"" + s_ + "\": bad substitution");
    if (pos_ >= s_.size()) throw Error("failed to process \"" + s_ + "\": syntax error: missing '}'");
    char c = s_[pos_];
    auto value = vars_(name);
    if (c == '}') {
      ++pos_;
      return value.value_or("");
    }
    bool colon = false;
    if (c == ':') {
      colon = true;
      ++pos_;
      if (pos_ >= s_.size()) throw Error("failed to process \"" + s_ + "\": syntax error: missing '}'");
      c = s_[pos_];
    }
    if (c != '-' && c != '+' && c != '?')
      throw Error("failed to process \"" + s_ + "\": unsupported modifier (" + std::string(1, c) + ") in substitution");
    ++pos_;
    Words inner(false);
    Process(inner, '}');
    auto words = inner.Finish();
    std::string word = words.empty() ? "" : words[0];
    bool set = colon ? value && !value->empty() : value.has_value();
    switch (c) {
      case '-':
        return set ? *value : word;
      case '+':
        return set ? word : "";
      default:  // '?'
        if (set) return *value;
        throw Error("failed to process \"" + s_ + "\": " + name + ": " + (word.empty() ? "is not allowed to be unset" : word));
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
  char esc_;
  const VarLookup& vars_;
};

}  // namespace

std::string ShellLex::ProcessWord(const std::string& word, const VarLookup& vars) const {
  Words w(false);
  Lexer(word, escape_, vars).Process(w, 0);
  auto words = w.Finish();
  return words.empty() ? "" : words[0];
}

std::vector<std::string> ShellLex::ProcessWords(const std::string& text, const VarLookup& vars) const {
  Words w(true);
  Lexer(text, escape_, vars).Process(w, 0);
  return w.Finish();
}

}  // namespace mini::build
