#include "build/chown_spec.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/error.h"

namespace mini::build {

namespace {

bool IsNumber(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void ResolveChown(const std::string& spec, const SourceTree& image, uid_t* uid, gid_t* gid) {
  size_t colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::optional<std::string> group;
  if (colon != std::string::npos) group = spec.substr(colon + 1);
  if (user.empty()) throw Error(ErrorKind::kInvalidInput, "invalid --chown \"" + spec + "\"");
  // The fields of the entry named `name` in `file` (name:x:id:...), or none.
  auto find = [&](const std::string& file, const std::string& name) -> std::optional<std::vector<std::string>> {
    auto text = image.ReadFile(file);
    if (!text) return std::nullopt;
    size_t i = 0;
    while (i < text->size()) {
      size_t j = text->find('\n', i);
      if (j == std::string::npos) j = text->size();
      std::string line = text->substr(i, j - i);
      i = j + 1;
      std::vector<std::string> f;
      for (size_t a = 0;;) {
        size_t b = line.find(':', a);
        f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
        if (b == std::string::npos) break;
        a = b + 1;
      }
      if (f.size() >= 3 && f[0] == name && IsNumber(f[2])) return f;
    }
    return std::nullopt;
  };
  auto missing = [](const char* kind, const std::string& name) {
    return Error(std::string("unable to find ") + kind + " " + name + ": no matching entries in " +
                 (std::string(kind) == "user" ? "passwd" : "group") + " file");
  };
  if (IsNumber(user) || user == "root") {
    *uid = user == "root" ? 0 : static_cast<uid_t>(std::stoul(user));
    *gid = *uid;
  } else {
    auto f = find("/etc/passwd", user);
    if (!f || f->size() < 4 || !IsNumber((*f)[3])) throw missing("user", user);
    *uid = static_cast<uid_t>(std::stoul((*f)[2]));
    *gid = static_cast<gid_t>(std::stoul((*f)[3]));
  }
  if (!group) return;
  if (group->empty()) throw Error(ErrorKind::kInvalidInput, "invalid --chown \"" + spec + "\"");
  if (IsNumber(*group) || *group == "root") {
    *gid = *group == "root" ? 0 : static_cast<gid_t>(std::stoul(*group));
    return;
  }
  auto g = find("/etc/group", *group);
  if (!g) throw missing("group", *group);
  *gid = static_cast<gid_t>(std::stoul((*g)[2]));
}

}  // namespace mini::build
