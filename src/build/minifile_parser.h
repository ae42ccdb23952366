#pragma once
/// Minifile text -> nodes (the first of BuildKit's three stages): parser directives
/// (`# escape=`, `# syntax=`), comments, line continuations, one node per instruction with its
/// flags and arguments split the way Docker splits each instruction (JSON or shell form,
/// key=value pairs, whitespace lists). No variable is expanded here. Pure.
#include <memory>
#include <string>
#include <vector>

namespace mini::build {

/// A here-document attached to an instruction (BuildKit's `<<EOF`, `<<-EOF`, `<<"EOF"`).
struct Heredoc {
  std::string name;     ///< the delimiter word, quotes removed ("EOF")
  std::string content;  ///< the body, every line ending in '\n'; tabs stripped for `<<-`
  bool expand = true;   ///< false when the delimiter was quoted: no variable expansion
  bool chomp = false;   ///< `<<-`
};

/// One instruction as written.
struct Node {
  std::string cmd;       ///< lower case: "from", "run", ...
  std::string original;  ///< the instruction text, continuation lines joined
  int start_line = 0;    ///< 1-based
  int end_line = 0;
  std::vector<std::string> flags;  ///< "--from=x", in order
  std::vector<std::string> args;   ///< see ParseMinifile for the shape per instruction
  bool json = false;               ///< exec (JSON array) form
  std::shared_ptr<Node> sub;       ///< ONBUILD's instruction
  std::vector<Heredoc> heredocs;   ///< RUN/COPY/ADD here-documents, in order of their markers

  /// One-line dump for golden tests: `(cmd ["--f=x"] json "arg" ...)`.
  std::string Dump() const;
};

struct ParsedFile {
  std::string file;  ///< name used in error messages
  char escape = '\\';
  std::vector<Node> nodes;
  std::vector<std::string> warnings;  ///< e.g. empty continuation lines
};

/// Parses a whole Minifile. Throws Error("<file>:<line>: <reason>") for an unknown
/// instruction, a bad directive, an instruction without arguments or a malformed argument list.
/// Argument shapes: ENV/LABEL -> key, value, key, value...; ARG -> the "name[=value]" words
/// (quotes kept); RUN/CMD/ENTRYPOINT/SHELL -> the JSON strings, or one string (shell form);
/// COPY/ADD/VOLUME -> JSON strings or whitespace-split words; FROM/EXPOSE -> whitespace words;
/// WORKDIR/USER/STOPSIGNAL/MAINTAINER -> one string; HEALTHCHECK -> "NONE", or "CMD" followed by
/// the command (json tells which form); ONBUILD -> the raw text, with `sub` parsed.
ParsedFile ParseMinifile(const std::string& text, const std::string& file);

/// Splits on unquoted whitespace keeping quotes and escapes in the words (Docker's parseWords).
std::vector<std::string> SplitWordsKeepQuotes(const std::string& s, char escape);

}  // namespace mini::build
