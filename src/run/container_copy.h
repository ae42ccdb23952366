#pragma once
/// `mini cp`: files between a container and the host, Docker's rules (docker cp): archive
/// semantics (modes, mtimes, symlinks kept as links, hard links), SRC ending in "/." copies a
/// directory's contents, a missing DEST is created with the source's name rebased on it, and
/// "-" is a tar stream on stdin/stdout. Container paths are resolved inside the container's
/// root (common/in_root.h), never out of it: a running container through /proc/<pid>/root (its
/// mount namespace: volumes and binds as it sees them); a created or stopped one through its
/// overlay (lowers + upper, with its volumes and binds) mounted in a private mount namespace
/// of a child process, so writes go to its upper dir and vanish from the host's mount table
/// with the child. Extraction is the store's safe unpack (store/tar_extract.h).
#include <string>

#include "store/layout.h"

namespace mini::run {

/// Where the copy plan puts a source (pure; docker's archive.PrepareArchiveCopy rules).
struct CopyPlan {
  std::string dst_dir;   ///< the existing directory the tar is extracted into
  std::string top_name;  ///< the name the source gets there ("" with contents_only)
  bool contents_only = false;  ///< SRC/. into an existing directory: its entries, not itself
};
/// `src` and `dst` as typed. Throws Error: "cannot copy directory" (a directory onto a file),
/// "no such directory" (a file onto a missing DEST ending in "/").
CopyPlan PlanCopy(const std::string& src, bool src_is_dir, const std::string& dst, bool dst_exists, bool dst_is_dir);

struct CopyOptions {
  bool follow_link = false;  ///< -L: a symlink SRC is copied as what it points to
  /// -a. Out of a container: keep uid/gid (else the files are the caller's, Docker's
  /// NoLchown). Into one: Docker 20.10 keeps the source's uid/gid either way (whatever its docs
  /// say); -a gives them to the container's user (--user / the image's User) when it has one.
  bool archive = false;
};

/// CONTAINER:SRC -> host `dst` ("-": a tar on `out_fd`). `container` is the name as typed
/// (for messages). Throws Error with Docker's messages ("Could not find the file /x in container c", ...).
void CopyFromContainer(const Layout& layout, const std::string& id, const std::string& container,
                       const std::string& src, const std::string& dst, const CopyOptions& opts, int out_fd);
/// Host `src` ("-": a tar read from `in_fd`) -> CONTAINER:DST.
void CopyToContainer(const Layout& layout, const std::string& id, const std::string& container,
                     const std::string& src, const std::string& dst, const CopyOptions& opts, int in_fd);

}  // namespace mini::run
