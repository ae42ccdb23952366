#include "build/parser_directives.h"

#include <cctype>

#include "common/error.h"

namespace mini::build {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// "1", "1.5", "1.5.2" (the stable channel of major version 1).
bool StableOne(const std::string& tag) {
  if (tag == "1") return true;
  if (tag.rfind("1.", 0) != 0) return false;
  std::string rest = tag.substr(2);
  size_t dot = rest.find('.');
  if (dot == std::string::npos) return AllDigits(rest);
  return AllDigits(rest.substr(0, dot)) && AllDigits(rest.substr(dot + 1));
}

}  // namespace

bool DirectiveReader::Read(const std::string& line, std::string* name, std::string* value) {
  if (done_) return false;
  // BuildKit: "#", optional whitespace, then ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
  if (line.empty() || line[0] != '#') {
    done_ = true;
    return false;
  }
  size_t i = 1;
  while (i < line.size() && IsSpace(line[i])) ++i;
  size_t k = i;
  if (k >= line.size() || !std::isalpha(static_cast<unsigned char>(line[k]))) {
    done_ = true;
    return false;
  }
  while (i < line.size() && std::isalnum(static_cast<unsigned char>(line[i]))) ++i;
  std::string key = line.substr(k, i - k);
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') {
    done_ = true;
    return false;
  }
  ++i;
  while (i < line.size() && IsSpace(line[i])) ++i;
  size_t end = line.size();
  while (end > i && IsSpace(line[end - 1])) --end;
  if (end == i) {
    done_ = true;
    return false;
  }
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool* seen = key == "syntax" ? &seen_syntax_ : key == "escape" ? &seen_escape_ : key == "check" ? &seen_check_ : nullptr;
  if (!seen) {
    done_ = true;
    return false;
  }
  if (*seen) throw Error("only one " + key + " parser directive can be used");
  *seen = true;
  *name = key;
  *value = line.substr(i, end - i);
  return true;
}

void CheckSyntaxDirective(const std::string& full) {
  // BuildKit takes the image reference up to the first space (the rest are frontend options).
  std::string ref = full.substr(0, full.find(' '));
  std::string r = ref;
  if (size_t at = r.find('@'); at != std::string::npos) {
    std::string digest = r.substr(at + 1);
    bool ok = digest.rfind("sha256:", 0) == 0 && digest.size() == 7 + 64;
    for (size_t i = 7; ok && i < digest.size(); ++i) ok = std::isxdigit(static_cast<unsigned char>(digest[i])) && !std::isupper(static_cast<unsigned char>(digest[i]));
    if (!ok) throw Error("syntax directive \"" + ref + "\": invalid digest");
    r = r.substr(0, at);
  }
  for (const char* prefix : {"docker.io/", "index.docker.io/", "registry-1.docker.io/"})
    if (r.rfind(prefix, 0) == 0) {
      r = r.substr(std::string(prefix).size());
      break;
    }
  std::string repo = r, tag;
  if (size_t colon = r.find(':'); colon != std::string::npos) {
    repo = r.substr(0, colon);
    tag = r.substr(colon + 1);
  }
  if (repo == "docker/dockerfile") {
    if (tag.empty() || tag == "latest" || StableOne(tag)) return;
    if (tag.size() > 5 && tag.compare(tag.size() - 5, 5, "-labs") == 0)
      throw Error("syntax directive \"" + ref + "\": the labs channel of the Dockerfile frontend is not supported; mini builds docker/dockerfile:1 (stable)");
    throw Error("syntax directive \"" + ref + "\": mini builds only the docker/dockerfile:1 frontend (stable channel), not version " + tag);
  }
  throw Error("syntax directive \"" + ref + "\": mini builds only the docker/dockerfile:1 frontend; another frontend image cannot be used");
}

}  // namespace mini::build
