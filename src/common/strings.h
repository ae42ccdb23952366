#pragma once
/// Small string helpers shared by the modules.
#include <string>
#include <vector>

namespace mini {

/// Splits at every `sep`: "a::b" -> {"a", "", "b"}, "" -> {""}.
std::vector<std::string> Split(const std::string& s, char sep);
/// Without leading and trailing whitespace (spaces, tabs, newlines).
std::string TrimSpace(const std::string& s);

}  // namespace mini
