#pragma once
/// Parser directives at the top of a Minifile (`# syntax=`, `# escape=`, `# check=`), read the
/// way BuildKit's dockerfile:1 frontend reads them: only in the leading comment lines, one of
/// each, a line that is not a directive ends them. Pure.
#include <optional>
#include <string>

namespace mini::build {

/// Reads one candidate line. Returns false (and sets *done) when the line ends the directives;
/// true with name/value for a directive ("syntax", "escape", "check", lower case). Throws
/// Error("only one <name> parser directive can be used") for a repeated one (`seen` keeps count).
class DirectiveReader {
 public:
  bool Read(const std::string& line, std::string* name, std::string* value);
  bool done() const { return done_; }

 private:
  bool done_ = false;
  bool seen_syntax_ = false, seen_escape_ = false, seen_check_ = false;
};

/// Checks a `# syntax=` value names this frontend: docker/dockerfile (optionally docker.io/ in
/// front) with no tag, :1, :1.N or :1.N.M, optionally @sha256:<64 hex>. Throws Error naming the
/// value for any other frontend image and for the labs channel (":1-labs", ":1.N-labs").
void CheckSyntaxDirective(const std::string& value);

}  // namespace mini::build
