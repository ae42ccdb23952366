#pragma once
/// Turns a RUN's parsed mounts into what the runner mounts (run::MountRequest) for one
/// execution, and holds what they need while the step runs: cache directories and their locks,
/// secret files on tmpfs (never in the store), a scratch directory for throw-away writes. All of
/// it goes when the StepMounts is destroyed, whatever happened. Also the build's secrets and ssh
/// agents (from --secret / --ssh), and the mount points a step created that must not reach its
/// layer.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "build/cache_mounts.h"
#include "build/run_mount.h"
#include "build/source_tree.h"
#include "common/fs.h"
#include "run/run_spec.h"
#include "store/layout.h"

namespace mini::build {

/// The secrets and ssh agent sockets of one build, read from the flags when the build starts
/// (a secret file that cannot be read, or an ssh key file, is an error then). Values stay in
/// memory.
class BuildSecrets {
 public:
  BuildSecrets(const std::vector<std::string>& secrets, const std::vector<std::string>& ssh);
  const std::string* Secret(const std::string& id) const;
  const std::string* SshSocket(const std::string& id) const;

 private:
  std::map<std::string, std::string> secrets_;
  std::map<std::string, std::string> ssh_;
};

class StepMounts {
 public:
  explicit StepMounts(const Layout& layout);
  ~StepMounts();
  StepMounts(const StepMounts&) = delete;
  StepMounts& operator=(const StepMounts&) = delete;

  /// type=bind: `tree` are the host directories of the source, top first.
  void AddBind(const RunMount& m, const std::vector<std::string>& tree);
  /// type=cache: locks the cache directory (waiting for sharing=locked). With from=, `tree` (the
  /// host directories of that tree, top first) fills a new cache with its `source`.
  void AddCache(const RunMount& m, const std::vector<std::string>& tree);
  void AddTmpfs(const RunMount& m);
  /// type=secret: `value` null when the build has no such secret (an error when required).
  void AddSecret(const RunMount& m, const std::string* value);
  /// type=ssh: `socket` null when the build forwards no such agent (an error when required).
  void AddSsh(const RunMount& m, const std::string* socket);
  /// Adds each of a step's mounts (trees[i]: the host directories of bind mount i) and returns
  /// the mount points they will create in `view` (MissingMountPoints), deepest first. With
  /// `context` (a context with an ignore file), binds of the context do not show what it excludes.
  std::vector<std::string> AddAll(const std::vector<RunMount>& mounts, const std::vector<std::vector<std::string>>& trees,
                                  const BuildSecrets& secrets, const SourceTree& view, const ContextTree* context);
  /// A read-only file of `content` at `target` (a RUN heredoc run as a script, /dev/pipes/NAME).
  void AddInlineFile(const std::string& target, const std::string& content, mode_t mode);

  const std::vector<run::MountRequest>& mounts() const { return mounts_; }
  /// NAME=VALUE to add to the step's environment (secrets with env=, SSH_AUTH_SOCK): held in
  /// memory only, never in the container's config.json.
  const std::vector<std::string>& env() const { return env_; }

 private:
  std::string Scratch();
  /// A layer of overlay whiteouts for what `context` excludes ("" when nothing is excluded).
  std::string ContextFilter(const ContextTree& context);
  std::string SecretDir();

  const Layout& layout_;
  std::vector<run::MountRequest> mounts_;
  std::vector<std::string> env_;
  std::vector<HeldCacheDir> caches_;
  std::unique_ptr<TempDir> scratch_;
  std::unique_ptr<TempDir> secrets_;
  int scratch_n_ = 0, secret_n_ = 0;
  bool ssh_env_ = false;
};

/// The components of `target` (absolute) that do not exist in `view`, deepest first ("/a/b/c"
/// with only /a present: {"a/b/c", "a/b"}): the mount points a step will create.
std::vector<std::string> MissingMountPoints(const SourceTree& view, const std::string& target);

/// Removes, from a finished step's upper directory, the mount points it created (`paths` from
/// MissingMountPoints), where they are still an empty directory or an empty file. Never follows
/// a symlink; what the step put there stays.
void RemoveMountPoints(const std::string& upper, const std::vector<std::string>& paths);

}  // namespace mini::build
