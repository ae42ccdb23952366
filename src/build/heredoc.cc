#include "build/heredoc.h"

#include <cctype>

namespace mini::build {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

/// Shell words of `s` with `\` as the escape. raw: quotes and escapes kept as written; else
/// removed (a quoted empty string is still a word).
std::vector<std::string> ShellWords(const std::string& s, bool raw) {
  std::vector<std::string> words;
  std::string w;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!quote && IsSpace(c)) {
      if (in_word) words.push_back(w);
      w.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
        if (raw) w += c;
      } else {
        w += c;
      }
      continue;
    }
    if (c == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      // Inside double quotes only \" \$ \\ and \` are escapes; the backslash stays otherwise.
      if (raw || (quote == '"' && n != '"' && n != '$' && n != '\\' && n != '`')) w += c;
      w += n;
      ++i;
      continue;
    }
    if (quote == '"' && c == '"') {
      quote = 0;
      if (raw) w += c;
      continue;
    }
    if (!quote && c == '<' && i + 1 < s.size() && s[i + 1] == '<') {
      // BuildKit's lexer keeps the blanks after an unquoted "<<" in the word: "<<  EOF" is one.
      w += "<<";
      for (i += 2; i < s.size() && (s[i] == ' ' || s[i] == '\t'); ++i) w += s[i];
      --i;
      continue;
    }
    if (!quote && (c == '"' || c == '\'')) {
      quote = c;
      if (raw) w += c;
      continue;
    }
    w += c;
  }
  if (in_word) words.push_back(w);
  return words;
}

size_t CountQuotes(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '"' || c == '\'';
  return n;
}

}  // namespace

std::optional<HeredocMarker> ParseHeredocWord(const std::string& word) {
  // ^(\d*)<<(-?)\s*([^<]*)$
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  if (word.compare(i, 2, "<<") != 0) return std::nullopt;
  i += 2;
  HeredocMarker h;
  if (i < word.size() && word[i] == '-') {
    h.chomp = true;
    ++i;
  }
  while (i < word.size() && IsSpace(word[i])) ++i;
  std::string rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string::npos) return std::nullopt;
  auto words = ShellWords(rest, false);
  if (words.size() != 1) return std::nullopt;
  auto raw = ShellWords(rest, true);
  if (raw.size() != 1) return std::nullopt;
  h.name = words[0];
  h.expand = CountQuotes(words[0]) == CountQuotes(raw[0]);
  return h;
}

std::vector<HeredocMarker> HeredocsFromLine(const std::string& line) {
  std::vector<HeredocMarker> out;
  for (const auto& w : ShellWords(line, true))
    if (auto h = ParseHeredocWord(w)) out.push_back(*h);
  return out;
}

std::string ChompHeredoc(const std::string& content) {
  std::string out;
  bool bol = true;
  for (char c : content) {
    if (bol && c == '\t') continue;
    bol = c == '\n';
    out += c;
  }
  return out;
}

}  // namespace mini::build
