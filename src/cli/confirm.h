#pragma once
/// Docker's confirmation prompt of the prune commands.
#include <cstdio>
#include <iostream>
#include <string>

namespace mini::cli {

/// Prints `warning` and "Are you sure you want to continue? [y/N] ", reads a line from stdin;
/// true for y/Y/yes, or at once when `force` (-f).
inline bool Confirm(bool force, const std::string& warning) {
  if (force) return true;
  std::printf("%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace mini::cli
