#pragma once
/// ADD's git sources with BuildKit's rules (dfgitutil.ParseGitRef): `git@host:repo.git`
/// (scp style), `ssh://`, `git://`, `http(s)://...` whose path ends in `.git`, and, as mini's
/// own addition for local repositories, `file://`. A `#ref:subdir` fragment and the query
/// keys ref, tag, branch, subdir, checksum/commit and keep-git-dir select what is copied.
/// Fetching execs the `git` binary (argv, never a shell): the ref is resolved with ls-remote,
/// then a shallow fetch of that commit into a temp dir, checkout, and `.git` removed unless
/// keep-git-dir.
#include <optional>
#include <string>
#include <vector>

namespace mini::build {

struct GitRef {
  std::string remote;   ///< the URL without fragment and query
  std::string ref;      ///< branch, tag, commit or full ref name; "" for HEAD
  std::string subdir;   ///< cleaned, relative; "" for the whole tree
  std::string checksum; ///< ?checksum= / ?commit=: the commit must start with it
  std::optional<bool> keep_git_dir;
};

/// Parses `src` as a git source. Returns nullopt when it is not one (a local path, an http URL
/// of a file). Throws Error for a git URL with a bad query ("unexpected query \"x\"").
std::optional<GitRef> ParseGitRef(const std::string& src);

/// The commit `ref` names in `remote` (a full hex commit is taken as it is). Throws
/// Error("git ls-remote REMOTE: ...") when git fails, Error("git ref X not found in REMOTE").
std::string ResolveGitCommit(const GitRef& ref);

/// Fetches `commit` of `ref.remote` into `dir` (which must not exist; its parent must) and
/// checks it out; `.git` is removed unless `keep_git_dir`. Throws Error with git's message.
void FetchGitCommit(const GitRef& ref, const std::string& commit, const std::string& dir, bool keep_git_dir);

}  // namespace mini::build
