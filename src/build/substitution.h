#pragma once
/// Docker's variable substitution for Minifile words (the rules of BuildKit's shell lexer):
/// `$V`, `${V}`, `${V:-x}`, `${V-x}`, `${V:+x}`, `${V+x}`, `${V:?msg}`, `${V?msg}`, single
/// quotes (literal), double quotes (expanded), and the escape character (`\` or a backtick,
/// from `# escape=`). Quotes are removed from the result, as Docker does. Pure.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mini::build {

/// Looks a variable up; nullopt when it is not set (unset and empty differ for `:-` vs `-`).
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

/// A VarLookup over KEY=VALUE entries; later entries win.
VarLookup LookupIn(const std::vector<std::string>& env);

class ShellLex {
 public:
  explicit ShellLex(char escape = '\\') : escape_(escape) {}

  /// Expands one word: quotes are removed, variables replaced. Throws Error for a bad
  /// substitution ("missing '}'", "${V:?msg}" on an unset V: "V: msg").
  std::string ProcessWord(const std::string& word, const VarLookup& vars) const;

  /// Expands and splits on unquoted whitespace (quoted words stay whole; a variable's value is
  /// not split again, as in Docker).
  std::vector<std::string> ProcessWords(const std::string& text, const VarLookup& vars) const;

 private:
  char escape_;
};

}  // namespace mini::build
