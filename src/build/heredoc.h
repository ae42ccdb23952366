#pragma once
/// Here-documents in RUN, COPY and ADD lines, found the way BuildKit's dockerfile:1 parser finds
/// them: the line is split into shell words (quotes and `\` escapes kept), and every word of the
/// form `[fd]<<[-]WORD` starts one; a quoted WORD (`<<"EOF"`, `<<'EOF'`, `<<E"O"F`) turns
/// expansion off. Pure.
#include <optional>
#include <string>
#include <vector>

namespace mini::build {

/// What a `<<WORD` marker says (the body is read by the parser into a Heredoc).
struct HeredocMarker {
  std::string name;    ///< WORD with its quotes removed
  bool expand = true;  ///< false when any part of WORD was quoted
  bool chomp = false;  ///< `<<-`
};

/// The heredoc a single word opens ("<<EOF", "<<-'EOF'"), without content; nullopt when the word
/// is not one ("<<", "a<<EOF", "<<<EOF").
std::optional<HeredocMarker> ParseHeredocWord(const std::string& word);

/// Every heredoc opened on an instruction line, in order.
std::vector<HeredocMarker> HeredocsFromLine(const std::string& line);

/// Removes the leading tabs of every line (`<<-`).
std::string ChompHeredoc(const std::string& content);

}  // namespace mini::build
