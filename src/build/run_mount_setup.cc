#include "build/run_mount_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <stdexcept>

#include "build/copy_step.h"
#include "common/error.h"
#include "common/in_root.h"
#include "common/log.h"
#include "common/path.h"
#include "run/runtime_dir.h"

namespace mini::build {

namespace {

constexpr uint64_t kMaxSecretSize = 500 * 1024;  // BuildKit's MaxSecretSize

}  // namespace

BuildSecrets::BuildSecrets(const std::vector<std::string>& secrets, const std::vector<std::string>& ssh) {
  for (const auto& spec : secrets) {
    SecretSource s = ParseSecretFlag(spec, [](const std::string& n) { return std::getenv(n.c_str()) != nullptr; });
    if (!s.env.empty()) {
      const char* v = std::getenv(s.env.c_str());
      secrets_[s.id] = v ? v : "";
      continue;
    }
    struct stat st;
    if (stat(s.file.c_str(), &st) != 0) ThrowErrno("--secret " + spec + ": failed to stat " + s.file);
    if (static_cast<uint64_t>(st.st_size) > kMaxSecretSize)
      throw Error(ErrorKind::kInvalidInput, "--secret " + spec + ": secret " + s.id + " too big. max size 500KB");
    secrets_[s.id] = ReadFile(s.file, kMaxSecretSize);
  }
  for (const auto& spec : ssh) {
    SshSource s = ParseSshFlag(spec);
    if (s.paths.size() > 1)
      throw Error(ErrorKind::kInvalidInput, "--ssh " + spec + ": mini forwards one agent socket per id");
    std::string path = s.paths.empty() ? "" : s.paths[0];
    if (path.empty()) {
      const char* sock = std::getenv("SSH_AUTH_SOCK");
      if (!sock || !*sock)
        throw Error(ErrorKind::kInvalidInput, "--ssh " + spec + ": invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set");
      path = sock;
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0) ThrowErrno("--ssh " + spec + ": " + path);
    if (!S_ISSOCK(st.st_mode))
      throw Error(ErrorKind::kInvalidInput, "--ssh " + spec + ": " + path +
                  " is not a socket: mini forwards ssh agent sockets only, not key files (load the key with "
                  "ssh-add into an agent and use --ssh " + s.id + "=$SSH_AUTH_SOCK)");
    ssh_[s.id] = path;
  }
}

const std::string* BuildSecrets::Secret(const std::string& id) const {
  auto it = secrets_.find(id);
  return it == secrets_.end() ? nullptr : &it->second;
}

const std::string* BuildSecrets::SshSocket(const std::string& id) const {
  auto it = ssh_.find(id);
  return it == ssh_.end() ? nullptr : &it->second;
}

StepMounts::StepMounts(const Layout& layout) : layout_(layout) {}

StepMounts::~StepMounts() = default;  // the temp dirs, then the cache locks

std::string StepMounts::Scratch() {
  if (!scratch_) scratch_ = std::make_unique<TempDir>(layout_.TmpDir(), "run-mounts-");
  std::string d = scratch_->path() + "/" + std::to_string(scratch_n_++);
  MakeDirs(d, 0700);
  return d;
}

std::string StepMounts::SecretDir() {
  if (!secrets_) {
    // On tmpfs, never in the store. Leftovers of killed builds (their flock gone) go first.
    run::EnsureRuntimeRoot(layout_);
    std::string parent = run::RuntimeRoot(layout_) + "/build-secrets";
    MakeDirs(parent, 0700);
    RemoveStaleEntries(parent);
    secrets_ = std::make_unique<TempDir>(parent, "step-");
  }
  return secrets_->path();
}

std::string StepMounts::ContextFilter(const ContextTree& context) {
  std::string dir;
  bool any = false;
  // Walks the context; an excluded entry becomes a whiteout (a 0/0 character device), which
  // hides it when this directory is a lower layer above the context. Excluded directories are
  // not entered.
  std::function<void(const std::vector<std::string>&)> walk = [&](const std::vector<std::string>& comps) {
    std::string host = context.dir() + (comps.empty() ? "" : "/" + JoinPath(comps));
    std::vector<std::string> kept = context.List(comps);
    for (const auto& name : ListDirNames(host)) {
      std::vector<std::string> c = comps;
      c.push_back(name);
      if (!std::binary_search(kept.begin(), kept.end(), name)) {
        if (dir.empty()) dir = Scratch() + "/ignored";
        std::string parent = dir + (comps.empty() ? "" : "/" + JoinPath(comps));
        MakeDirs(parent, 0755);
        if (mknod((parent + "/" + name).c_str(), S_IFCHR, makedev(0, 0)) != 0) {
          if (errno != EPERM) ThrowErrno("whiteout for ignored " + JoinPath(c));
          Warn("cannot hide the files the ignore file excludes from RUN --mount=type=bind (no mknod here)");
          dir.clear();
          throw std::runtime_error("no whiteouts");
        }
        any = true;
        continue;
      }
      auto e = context.Lstat(c);
      if (e && S_ISDIR(e->st.st_mode)) walk(c);
    }
  };
  try {
    walk({});
  } catch (const Error&) {
    throw;
  } catch (const std::runtime_error&) {
    return "";
  }
  return any ? dir : "";
}

void StepMounts::AddBind(const RunMount& m, const std::vector<std::string>& tree) {
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kLayered;
  r.lowers = tree;
  r.source = CleanAbsPath("/" + m.source);
  r.target = m.target;
  r.read_only = m.read_only;
  if (tree.size() > 1 || !m.read_only) r.scratch = Scratch();  // the merged view, the throw-away upper
  mounts_.push_back(r);
}

void StepMounts::AddCache(const RunMount& m, const std::vector<std::string>& tree) {
  std::string source = CleanAbsPath("/" + m.source);
  std::function<void(const std::string&)> seed;
  if (!m.from.empty())
    seed = [&](const std::string& data) {
      // What the mount shows of a cache based on `from`: its `source`, copied in once.
      LayerView from(tree);
      CopyOptions co;
      co.what = "RUN --mount=type=cache";
      auto expanded = ExpandSources(from, {source == "/" ? "." : source.substr(1)}, co);
      CopyToLayer(expanded, source == "/" ? "/" : source + "/", LayerView({}), data, co);
    };
  caches_.push_back(AcquireCacheDir(layout_, m.id, m.sharing, m.mode, m.uid, m.gid, seed));
  const std::string& data = caches_.back().data();
  if (source != "/") InRoot(data).MkdirAll(source);  // inside the cache, whatever links it holds
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kLayered;
  r.lowers = {data};
  r.source = source;
  r.target = m.target;
  r.read_only = m.read_only;  // no scratch: writes go to the cache itself
  mounts_.push_back(r);
}

void StepMounts::AddTmpfs(const RunMount& m) {
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kTmpfs;
  r.target = m.target;
  r.options = "exec";
  if (m.size > 0) r.options += ",size=" + std::to_string(m.size);
  mounts_.push_back(r);
}

void StepMounts::AddSecret(const RunMount& m, const std::string* value) {
  if (!value) {
    if (m.required) throw Error(ErrorKind::kNotFound, "secret " + m.id + ": not found");
    return;
  }
  if (m.env) env_.push_back(*m.env + "=" + *value);
  if (m.target.empty()) return;
  std::string file = SecretDir() + "/" + std::to_string(secret_n_++);
  UniqueFd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) ThrowErrno("create secret file");
  WriteAll(fd.get(), value->data(), value->size(), "write secret file");
  if (fchown(fd.get(), m.uid.value_or(0), m.gid.value_or(0)) != 0) ThrowErrno("chown secret file");
  if (fchmod(fd.get(), m.mode.value_or(0400)) != 0) ThrowErrno("chmod secret file");
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kBind;
  r.source = file;
  r.target = m.target;
  r.read_only = true;
  mounts_.push_back(r);
}

void StepMounts::AddSsh(const RunMount& m, const std::string* socket) {
  if (!ssh_env_) {
    env_.push_back("SSH_AUTH_SOCK=" + m.target);  // the first ssh mount's, as BuildKit
    ssh_env_ = true;
  }
  if (!socket) {
    if (m.required)
      throw Error(ErrorKind::kNotFound, "no SSH key \"" + m.id + "\" forwarded from the client (use `mini build --ssh " + m.id + "`)");
    return;
  }
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kBind;
  r.source = *socket;
  r.target = m.target;
  mounts_.push_back(r);
}

std::vector<std::string> StepMounts::AddAll(const std::vector<RunMount>& mounts,
                                            const std::vector<std::vector<std::string>>& trees,
                                            const BuildSecrets& secrets, const SourceTree& view,
                                            const ContextTree* context) {
  std::vector<std::string> points;
  std::optional<std::string> filter;
  for (size_t i = 0; i < mounts.size(); ++i) {
    const RunMount& m = mounts[i];
    std::vector<std::string> tree = trees.at(i);
    if (m.type == MountType::kBind && m.from.empty() && context) {
      if (!filter) filter = ContextFilter(*context);
      if (!filter->empty()) tree.insert(tree.begin(), *filter);
    }
    switch (m.type) {
      case MountType::kBind: AddBind(m, tree); break;
      case MountType::kCache: AddCache(m, tree); break;
      case MountType::kTmpfs: AddTmpfs(m); break;
      case MountType::kSecret: AddSecret(m, secrets.Secret(m.id)); break;
      case MountType::kSsh: AddSsh(m, secrets.SshSocket(m.id)); break;
    }
    if (!m.target.empty())
      for (auto& p : MissingMountPoints(view, m.target)) points.push_back(p);
  }
  std::stable_sort(points.begin(), points.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  return points;
}

void StepMounts::AddInlineFile(const std::string& target, const std::string& content, mode_t mode) {
  std::string file = Scratch() + "/file";
  UniqueFd fd(open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) ThrowErrno("create " + file);
  WriteAll(fd.get(), content.data(), content.size(), "write " + file);
  if (fchmod(fd.get(), mode) != 0) ThrowErrno("chmod " + file);
  run::MountRequest r;
  r.kind = run::MountRequest::Kind::kBind;
  r.source = file;
  r.target = target;
  r.read_only = true;
  mounts_.push_back(r);
}

std::vector<std::string> MissingMountPoints(const SourceTree& view, const std::string& target) {
  std::vector<std::string> comps = CleanPathComponents(target), out;
  for (size_t n = comps.size(); n > 0; n--) {
    std::vector<std::string> prefix(comps.begin(), comps.begin() + static_cast<long>(n));
    if (view.Lstat(prefix)) break;
    out.push_back(JoinPath(prefix));
  }
  return out;
}

void RemoveMountPoints(const std::string& upper, const std::vector<std::string>& paths) {
  InRoot root(upper);
  for (const auto& p : paths) {
    size_t slash = p.rfind('/');
    std::string parent = slash == std::string::npos ? "" : p.substr(0, slash);
    std::string name = p.substr(slash == std::string::npos ? 0 : slash + 1);
    // The parent opened without following a final link either (O_NOFOLLOW on each walk step).
    UniqueFd dir = root.Open(parent, O_RDONLY | O_DIRECTORY);
    if (!dir) continue;
    struct stat st;
    if (fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      unlinkat(dir.get(), name.c_str(), AT_REMOVEDIR);  // fails, and keeps it, unless empty
    } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
      unlinkat(dir.get(), name.c_str(), 0);
    }
  }
}

}  // namespace mini::build
