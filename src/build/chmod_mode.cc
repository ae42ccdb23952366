#include "build/chmod_mode.h"

#include <sys/stat.h>

#include "common/error.h"

namespace mini::build {

namespace {

[[noreturn]] void NotOctal(const std::string& s) {
  throw Error(ErrorKind::kInvalidInput,
              "invalid chmod parameter: '" + s + "'. it should be octal string and between 0 and 07777");
}
[[noreturn]] void BadSyntax(const std::string& s) {
  throw Error(ErrorKind::kInvalidInput, "invalid chmod parameter: '" + s + "': invalid syntax");
}

}  // namespace

ChmodMode ChmodMode::Parse(const std::string& s) {
  ChmodMode m;
  m.spec_ = s;
  if (s.empty()) BadSyntax(s);
  if (s[0] >= '0' && s[0] <= '9') {
    // BuildKit: a value that looks numeric is octal or an error (never symbolic).
    if (s.size() > 11 || s.find_first_not_of("01234567") != std::string::npos) NotOctal(s);
    unsigned long v = std::stoul(s, nullptr, 8);
    if (v > 07777) NotOctal(s);
    m.octal_ = static_cast<mode_t>(v);
    return m;
  }
  size_t i = 0;
  for (;;) {
    // who*
    mode_t who = 0;
    bool any_who = false;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (c == 'u') who |= S_ISUID | S_IRWXU;
      else if (c == 'g') who |= S_ISGID | S_IRWXG;
      else if (c == 'o') who |= S_IRWXO;
      else if (c == 'a') who |= S_ISUID | S_ISGID | 0777;
      else break;
      any_who = true;
    }
    // With no "who", all classes (BuildKit applies the symbolic mode with a zero umask).
    if (!any_who) who = S_ISUID | S_ISGID | 0777;
    bool sticky_ok = !any_who || (who & ~static_cast<mode_t>(S_IRWXO)) != 0;
    if (sticky_ok) who |= S_ISVTX;
    // (op perm*)+
    bool one = false;
    while (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == '=')) {
      Clause c;
      c.who = who;
      c.op = s[i++];
      for (; i < s.size(); ++i) {
        char p = s[i];
        if (p == 'r') c.perm |= 0444;
        else if (p == 'w') c.perm |= 0222;
        else if (p == 'x') c.perm |= 0111;
        else if (p == 'X') c.cond_x = true;
        else if (p == 's') c.perm |= S_ISUID | S_ISGID;
        else if (p == 't') c.perm |= S_ISVTX;
        else if ((p == 'u' || p == 'g' || p == 'o') && c.perm == 0 && !c.cond_x && !c.copy) c.copy = p;
        else break;
      }
      m.clauses_.push_back(c);
      one = true;
    }
    if (!one) BadSyntax(s);
    if (i == s.size()) break;
    if (s[i] != ',') BadSyntax(s);
    ++i;
    if (i == s.size()) BadSyntax(s);
  }
  return m;
}

mode_t ChmodMode::Apply(mode_t mode, bool is_dir) const {
  if (octal_) return *octal_;
  const mode_t orig = mode & 07777;
  mode_t cur = orig;
  for (const auto& c : clauses_) {
    mode_t bits = c.perm;
    if (c.copy) {
      int shift = c.copy == 'u' ? 6 : c.copy == 'g' ? 3 : 0;
      mode_t trio = (cur >> shift) & 07;
      bits = static_cast<mode_t>(trio << 6 | trio << 3 | trio);
    }
    if (c.cond_x && (is_dir || (orig & 0111) != 0)) bits |= 0111;
    bits &= c.who;
    if (c.op == '+') {
      cur |= bits;
    } else if (c.op == '-') {
      cur &= ~bits;
    } else {
      cur = (cur & ~(c.who & ~static_cast<mode_t>(S_ISVTX))) | bits;
    }
  }
  return cur & 07777;
}

}  // namespace mini::build
