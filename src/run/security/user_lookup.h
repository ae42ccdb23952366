#pragma once
/// `-u user[:group]` -> ids, through the image's /etc/passwd and /etc/group contents, with
/// runc's rules (libcontainer/user GetExecUser). Pure; the caller reads the files.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mini::run {

struct ExecUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> sgids;  ///< supplementary groups (from group membership, implicit group only)
  std::string home = "/";
};

/// Resolves `spec` ("", "name", "1000", "name:group", "1000:1000"). `passwd` / `group` are the
/// file contents, nullopt when the file does not exist. Throws Error like runc:
///   unable to find user bob: no matching entries in passwd file
///   unable to find group staff: no matching entries in group file
ExecUser ResolveExecUser(const std::string& spec, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group);

}  // namespace mini::run
