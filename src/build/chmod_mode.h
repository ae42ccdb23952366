#pragma once
/// COPY/ADD --chmod values as BuildKit (1.14+) accepts them: octal ("0755", at most 07777) or
/// symbolic, chmod(1)-style clauses ("u=rwx,go=rx", "+x", "a-w", "g=u", "u+X"). Pure.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mini::build {

class ChmodMode {
 public:
  /// Parses `spec`. Throws Error("invalid chmod parameter: 'x'. it should be octal string and
  /// between 0 and 07777") for a number that is not octal or too large (BuildKit's message), and
  /// Error("invalid chmod parameter: 'x': invalid syntax") for a bad symbolic mode.
  static ChmodMode Parse(const std::string& spec);

  /// The permission bits (07777) of an entry whose bits were `mode`; `is_dir` for `X`.
  mode_t Apply(mode_t mode, bool is_dir) const;
  /// The octal value, when the spec was one (BuildKit then also gives it to the directories the
  /// copy creates for its destination).
  std::optional<mode_t> octal() const { return octal_; }
  const std::string& spec() const { return spec_; }

 private:
  struct Clause {
    mode_t who = 0;      ///< the bits the clause may touch
    char op = '+';       ///< '+', '-' or '='
    mode_t perm = 0;     ///< r/w/x/s/t bits, spread over ugo
    bool cond_x = false; ///< X: x only for directories or already executable entries
    char copy = 0;       ///< 'u', 'g' or 'o': take the bits from that class
  };
  std::string spec_;
  std::optional<mode_t> octal_;
  std::vector<Clause> clauses_;
};

}  // namespace mini::build
