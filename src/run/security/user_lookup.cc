#include "run/security/user_lookup.h"

#include <charconv>

#include "common/error.h"
#include "common/strings.h"

namespace mini::run {
namespace {

std::optional<uint32_t> ParseId(const std::string& s) {
  if (s.empty()) return std::nullopt;
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Entry {
  std::vector<std::string> f;
};

/// Non-comment lines with at least `min_fields` ':'-separated fields and a numeric id field 2.
std::vector<Entry> ParseDb(const std::optional<std::string>& content, size_t min_fields) {
  std::vector<Entry> out;
  if (!content) return out;
  for (auto& line : Split(*content, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    Entry e{Split(line, ':')};
    if (e.f.size() < min_fields || !ParseId(e.f[2])) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

ExecUser ResolveExecUser(const std::string& spec, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group) {
  std::string user_arg = spec, group_arg;
  if (size_t c = spec.find(':'); c != std::string::npos) {
    user_arg = spec.substr(0, c);
    group_arg = spec.substr(c + 1);
  }
  ExecUser u;
  auto users = ParseDb(passwd, 7);
  auto groups = ParseDb(group, 3);

  // The user: by name, else by number; "" means root (uid 0).
  std::optional<uint32_t> uid_num = user_arg.empty() ? std::optional<uint32_t>(0) : ParseId(user_arg);
  const Entry* matched = nullptr;
  for (const auto& e : users) {
    if ((!user_arg.empty() && e.f[0] == user_arg) || (uid_num && *ParseId(e.f[2]) == *uid_num)) {
      matched = &e;
      break;
    }
  }
  if (matched) {
    u.uid = *ParseId(matched->f[2]);
    u.gid = ParseId(matched->f[3]).value_or(0);
    if (!matched->f[5].empty()) u.home = matched->f[5];
  } else if (uid_num) {
    u.uid = *uid_num;
  } else {
    throw Error("unable to find user " + user_arg + ": no matching entries in passwd file");
  }

  if (!group_arg.empty()) {
    std::optional<uint32_t> gid_num = ParseId(group_arg);
    bool found = false;
    for (const auto& g : groups) {
      if (g.f[0] == group_arg || (gid_num && *ParseId(g.f[2]) == *gid_num)) {
        u.gid = *ParseId(g.f[2]);
        found = true;
        break;
      }
    }
    if (!found) {
      if (!gid_num) throw Error("unable to find group " + group_arg + ": no matching entries in group file");
      u.gid = *gid_num;
    }
  } else if (matched) {
    // Supplementary groups only in the implicit form: groups listing the user as a member.
    for (const auto& g : groups) {
      if (g.f.size() < 4) continue;
      for (const auto& m : Split(g.f[3], ','))
        if (!m.empty() && m == matched->f[0]) {
          u.sgids.push_back(*ParseId(g.f[2]));
          break;
        }
    }
  }
  return u;
}

}  // namespace mini::run
