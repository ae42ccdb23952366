#include "build/run_mount.h"

#include <cctype>

#include "common/error.h"
#include "common/path.h"
#include "run/rootfs/mount_plan.h"

namespace mini::build {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Go's strconv.ParseBool.
std::optional<bool> ParseBool(const std::string& v) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    if (v == t) return true;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"})
    if (v == f) return false;
  return std::nullopt;
}

/// Go's strconv.ParseUint(v, base, 32).
std::optional<uint32_t> ParseUint32(const std::string& v, int base) {
  if (v.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    int d = c >= '0' && c <= '9' ? c - '0' : -1;
    if (d < 0 || d >= base) return std::nullopt;
    n = n * base + d;
    if (n > UINT32_MAX) return std::nullopt;
  }
  return static_cast<uint32_t>(n);
}

std::string LastName(const std::string& p) {
  std::string c = CleanAbsPath(p);
  return c.substr(c.rfind('/') + 1);
}

/// Go's path.Clean, near enough: absolute paths cleaned, relative ones made of their components.
std::string CleanPath(const std::string& p) {
  if (!p.empty() && p[0] == '/') return CleanAbsPath(p);
  std::string j = JoinPath(CleanPathComponents(p));
  return j.empty() ? "." : j;
}

}  // namespace

const char* ToString(MountType t) {
  switch (t) {
    case MountType::kBind: return "bind";
    case MountType::kCache: return "cache";
    case MountType::kTmpfs: return "tmpfs";
    case MountType::kSecret: return "secret";
    case MountType::kSsh: return "ssh";
  }
  return "?";
}

const char* ToString(CacheSharing s) {
  switch (s) {
    case CacheSharing::kShared: return "shared";
    case CacheSharing::kPrivate: return "private";
    case CacheSharing::kLocked: return "locked";
  }
  return "?";
}

std::vector<std::string> SplitCsv(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    std::string field;
    if (i < s.size() && s[i] == '"') {
      ++i;
      for (;;) {
        if (i >= s.size()) throw Error("failed to parse csv mounts: extraneous or missing \" in quoted-field");
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += s[i++];
      }
      if (i < s.size() && s[i] != ',') throw Error("failed to parse csv mounts: extraneous or missing \" in quoted-field");
    } else {
      while (i < s.size() && s[i] != ',') {
        if (s[i] == '"') throw Error("failed to parse csv mounts: bare \" in non-quoted-field");
        field += s[i++];
      }
    }
    out.push_back(field);
    if (i >= s.size()) break;
    ++i;  // the comma
  }
  return out;
}

RunMount ParseRunMount(const std::string& spec, const ExpandFn& expand) {
  RunMount m;
  bool ro_auto = true;
  auto bad_value = [](const std::string& key, const std::string& v) {
    return Error(ErrorKind::kInvalidInput, "invalid value for " + key + ": " + v);
  };
  auto not_for_type = [&](const std::string& key) {
    return Error(ErrorKind::kInvalidInput, "unexpected key '" + key + "' for mount type '" + ToString(m.type) + "'");
  };
  for (const auto& field : SplitCsv(spec)) {
    size_t eq = field.find('=');
    std::string key = Lower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro") {
        m.read_only = true;
        ro_auto = false;
      } else if (key == "readwrite" || key == "rw") {
        m.read_only = false;
        ro_auto = false;
      } else if (key == "required") {
        if (m.type != MountType::kSecret && m.type != MountType::kSsh) throw not_for_type(key);
        m.required = true;
      } else {
        throw Error(ErrorKind::kInvalidInput, "invalid field '" + field + "' must be a key=value pair");
      }
      continue;
    }
    std::string value = field.substr(eq + 1);
    if (key == "from") {
      size_t d = value.find('$');
      if (d != std::string::npos && d != value.size() - 1)
        throw Error(ErrorKind::kInvalidInput, "'from' doesn't support variable expansion, define alias stage instead");
    }
    if (expand) value = expand(value);
    if (key == "type") {
      std::string v = Lower(value);
      if (v == "bind") m.type = MountType::kBind;
      else if (v == "cache") m.type = MountType::kCache;
      else if (v == "tmpfs") m.type = MountType::kTmpfs;
      else if (v == "secret") m.type = MountType::kSecret;
      else if (v == "ssh") m.type = MountType::kSsh;
      else throw Error(ErrorKind::kInvalidInput, "unsupported mount type \"" + value + "\" (use bind, cache, tmpfs, secret or ssh)");
    } else if (key == "from") {
      m.from = value;
    } else if (key == "source" || key == "src") {
      m.source = value;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = value;
    } else if (key == "readonly" || key == "ro") {
      auto b = ParseBool(value);
      if (!b) throw bad_value(key, value);
      m.read_only = *b;
      ro_auto = false;
    } else if (key == "readwrite" || key == "rw") {
      auto b = ParseBool(value);
      if (!b) throw bad_value(key, value);
      m.read_only = !*b;
      ro_auto = false;
    } else if (key == "required") {
      if (m.type != MountType::kSecret && m.type != MountType::kSsh) throw not_for_type(key);
      auto b = ParseBool(value);
      if (!b) throw bad_value(key, value);
      m.required = *b;
    } else if (key == "size") {
      if (m.type != MountType::kTmpfs) throw not_for_type(key);
      try {
        m.size = run::ParseSize(value);
      } catch (const Error&) {
        throw bad_value(key, value);
      }
    } else if (key == "id") {
      m.id = value;
    } else if (key == "sharing") {
      std::string v = Lower(value);
      if (v == "shared") m.sharing = CacheSharing::kShared;
      else if (v == "private") m.sharing = CacheSharing::kPrivate;
      else if (v == "locked") m.sharing = CacheSharing::kLocked;
      else throw Error(ErrorKind::kInvalidInput, "unsupported sharing value \"" + value + "\" (use shared, private or locked)");
      m.sharing_set = true;
    } else if (key == "mode" || key == "uid" || key == "gid") {
      auto n = ParseUint32(value, key == "mode" ? 8 : 10);
      if (!n) throw Error(ErrorKind::kInvalidInput, "invalid value " + value + " for " + key);
      (key == "mode" ? m.mode : key == "uid" ? m.uid : m.gid) = *n;
    } else if (key == "env") {
      m.env = value;
    } else {
      throw Error(ErrorKind::kInvalidInput, "unexpected key '" + key + "' in '" + field + "'");
    }
  }
  bool file_info = m.type == MountType::kSecret || m.type == MountType::kSsh || m.type == MountType::kCache;
  if (!file_info) {
    const char* t = ToString(m.type);
    if (m.mode) throw Error(ErrorKind::kInvalidInput, std::string("mode not allowed for \"") + t + "\" type mounts");
    if (m.uid) throw Error(ErrorKind::kInvalidInput, std::string("uid not allowed for \"") + t + "\" type mounts");
    if (m.gid) throw Error(ErrorKind::kInvalidInput, std::string("gid not allowed for \"") + t + "\" type mounts");
  }
  if (ro_auto) m.read_only = !(m.type == MountType::kCache || m.type == MountType::kTmpfs);
  if (m.type == MountType::kSecret) {
    if (!m.from.empty()) throw Error(ErrorKind::kInvalidInput, "secret mount should not have a from");
    if (m.sharing_set) throw Error(ErrorKind::kInvalidInput, "secret mount should not define sharing");
    if (m.source.empty() && m.target.empty() && m.id.empty())
      throw Error(ErrorKind::kInvalidInput, "invalid secret mount. one of source, target required");
    if (!m.source.empty() && !m.id.empty()) throw Error(ErrorKind::kInvalidInput, "both source and id can't be set");
  }
  if (m.sharing_set && m.type != MountType::kCache)
    throw Error(ErrorKind::kInvalidInput, std::string("invalid cache sharing set for ") + ToString(m.type) + " mount");
  if (m.type == MountType::kSsh && !m.source.empty()) throw Error(ErrorKind::kInvalidInput, "ssh does not support source");
  if (m.type == MountType::kTmpfs && !m.from.empty()) throw Error(ErrorKind::kInvalidInput, "tmpfs mount should not have a from");
  return m;
}

std::vector<RunMount> ParseRunMounts(const std::vector<std::string>& specs, const ExpandFn& expand,
                                     const std::string& workdir) {
  std::vector<RunMount> out;
  int ssh_index = 0;
  for (const auto& spec : specs) {
    RunMount m = ParseRunMount(spec, expand);
    ResolveRunMount(&m, workdir, m.type == MountType::kSsh ? ssh_index++ : 0);
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> RunMountFroms(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  for (const auto& spec : specs) {
    try {
      RunMount m = ParseRunMount(spec, nullptr);
      if (!m.from.empty() && (m.type == MountType::kBind || m.type == MountType::kCache)) out.push_back(m.from);
    } catch (const Error&) {
    }
  }
  return out;
}

void ResolveRunMount(RunMount* m, const std::string& workdir, int ssh_index) {
  if (m->type == MountType::kSecret) {
    if (!m->source.empty()) m->id = m->source;
    if (m->id.empty()) m->id = LastName(m->target);
    if (!m->env && m->target.empty()) m->target = "/run/secrets/" + LastName(m->id);
    if (!m->mode) m->mode = 0400;
  } else if (m->type == MountType::kSsh) {
    if (m->id.empty()) m->id = "default";
    if (m->target.empty()) m->target = "/run/buildkit/ssh_agent." + std::to_string(ssh_index);
    if (!m->mode) m->mode = 0600;
  } else if (m->type == MountType::kCache && m->id.empty()) {
    m->id = m->target.empty() ? "." : CleanPath(m->target);
  }
  if (m->target.empty() && m->type == MountType::kSecret) return;  // env only
  std::string t = m->target;
  if (t.empty() || t[0] != '/') t = (workdir.empty() ? std::string("/") : workdir) + "/" + t;
  t = CleanAbsPath(t);
  if (t == "/") throw Error(ErrorKind::kInvalidInput, "invalid mount target \"/\"");
  m->target = t;
}

std::string RunMountKeyText(const RunMount& m) {
  std::string s = std::string("type=") + ToString(m.type);
  if (!m.target.empty()) s += ",target=" + m.target;
  switch (m.type) {
    case MountType::kBind:
      s += ",from=" + m.from + ",source=" + CleanAbsPath("/" + m.source) + (m.read_only ? ",ro" : ",rw");
      break;
    case MountType::kCache:
      s += ",id=" + m.id + ",sharing=" + ToString(m.sharing) + ",from=" + m.from + ",source=" + m.source +
           (m.read_only ? ",ro" : ",rw");
      break;
    case MountType::kTmpfs:
      s += ",size=" + std::to_string(m.size);
      break;
    case MountType::kSecret:
      s += ",id=" + m.id + (m.env ? ",env=" + *m.env : "") + (m.required ? ",required" : "");
      break;
    case MountType::kSsh:
      s += ",id=" + m.id + (m.required ? ",required" : "");
      break;
  }
  if (m.mode) s += ",mode=" + std::to_string(*m.mode);
  if (m.uid) s += ",uid=" + std::to_string(*m.uid);
  if (m.gid) s += ",gid=" + std::to_string(*m.gid);
  return s;
}

SecretSource ParseSecretFlag(const std::string& spec, const std::function<bool(const std::string&)>& env_set) {
  SecretSource s;
  std::string type;
  for (const auto& field : SplitCsv(spec)) {
    size_t eq = field.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorKind::kInvalidInput, "--secret " + spec + ": invalid field '" + field + "' must be a key=value pair");
    std::string key = Lower(field.substr(0, eq)), value = field.substr(eq + 1);
    if (key == "type") {
      if (value != "file" && value != "env")
        throw Error(ErrorKind::kInvalidInput, "--secret " + spec + ": unsupported secret type \"" + value + "\"");
      type = value;
    } else if (key == "id") {
      s.id = value;
    } else if (key == "source" || key == "src") {
      s.file = value;
    } else if (key == "env") {
      s.env = value;
    } else {
      throw Error(ErrorKind::kInvalidInput, "--secret " + spec + ": unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (type == "env" && s.env.empty()) {
    s.env = s.file;
    s.file.clear();
  }
  if (s.id.empty()) throw Error(ErrorKind::kInvalidInput, "--secret " + spec + ": secret missing ID");
  if (s.env.empty() && s.file.empty()) {
    if (env_set && env_set(s.id)) s.env = s.id;
    else s.file = s.id;
  }
  return s;
}

SshSource ParseSshFlag(const std::string& spec) {
  SshSource s;
  size_t eq = spec.find('=');
  s.id = spec.substr(0, eq);
  if (s.id.empty()) throw Error(ErrorKind::kInvalidInput, "--ssh " + spec + ": missing id");
  if (eq != std::string::npos) {
    std::string rest = spec.substr(eq + 1);
    for (size_t a = 0, b; a <= rest.size(); a = b + 1) {
      b = rest.find(',', a);
      if (b == std::string::npos) b = rest.size();
      if (b > a) s.paths.push_back(rest.substr(a, b - a));
    }
  }
  return s;
}

Entitlements ParseAllow(const std::vector<std::string>& allow) {
  Entitlements e;
  for (const auto& a : allow)
    for (const auto& v : SplitCsv(a)) {
      if (v == "security.insecure") e.security_insecure = true;
      else if (v == "network.host") e.network_host = true;
      else throw Error(ErrorKind::kInvalidInput, "invalid entitlement: " + v + " (use security.insecure or network.host)");
    }
  return e;
}

}  // namespace mini::build
