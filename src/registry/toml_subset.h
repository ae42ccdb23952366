#pragma once
/// The subset of TOML that containers-registries.conf(5) uses, parsed into JSON: tables
/// ([a.b]), arrays of tables ([[a.b]]), key = value with bare, "basic" or 'literal' keys
/// (dotted too), basic strings (with TOML's escapes), literal strings, booleans, and arrays of
/// strings (over several lines, trailing comma allowed), and # comments. Anything else
/// (numbers, dates, inline tables, multi-line strings) is refused, never guessed at.
/// Pure; no I/O.
#include <nlohmann/json.hpp>
#include <string>

namespace mini::registry {

/// Parses `text`; throws Error("<source>:<line>: <what>") on the first thing it does not
/// understand or that TOML forbids (a key defined twice, a table redefined).
nlohmann::json ParseTomlSubset(const std::string& text, const std::string& source);

}  // namespace mini::registry
