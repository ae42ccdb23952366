#pragma once
/// Here-documents in RUN, COPY and ADD lines, found the way BuildKit's dockerfile:1 parser finds
/// them: the line is split into shell words (quotes and `\` escapes kept), and every word of the
/// form `[fd]<<[-]WORD` starts one; a quoted WORD (`<<"EOF"`, `<<'EOF'`, `<<E"O"F`) turns
/// expansion off. Pure.
#include <optional>
#include <string>
#include <vector>

#include "build/minifile_parser.h"

namespace mini::build {

/// The heredoc a single word opens ("<<EOF", "<<-'EOF'"), without content; nullopt when the word
/// is not one ("<<", "a<<EOF", "<<<EOF").
std::optional<Heredoc> ParseHeredocWord(const std::string& word);

/// Every heredoc opened on an instruction line, in order.
std::vector<Heredoc> HeredocsFromLine(const std::string& line);

/// Removes the leading tabs of every line (`<<-`).
std::string ChompHeredoc(const std::string& content);

}  // namespace mini::build
