#pragma once
/// Deterministic layer packing: a directory tree -> tar (sorted names, stable headers, overlay
/// whiteouts back to `.wh.` files) -> compression, hashing both streams in the same pass.
#include <cstdint>
#include <functional>
#include <string>

#include "common/digest.h"
#include "store/compression.h"

namespace mini {

/// Owners of a tree written by a container with a user namespace, back to the container's
/// (and image's) view: host ids [base, base+size) -> id - base, others -> 65534 (the overflow
/// id the container saw). size == 0: ids are kept as they are.
struct IdShift {
  uint32_t uid_base = 0;
  uint32_t gid_base = 0;
  uint32_t size = 0;
  bool enabled() const { return size != 0; }
  uint32_t Uid(uint32_t host) const { return Back(host, uid_base); }
  uint32_t Gid(uint32_t host) const { return Back(host, gid_base); }

 private:
  uint32_t Back(uint32_t host, uint32_t base) const {
    if (!enabled()) return host;
    return host >= base && uint64_t{host} < uint64_t{base} + size ? host - base : 65534;
  }
};

struct PackOptions {
  Compression compression = Compression::kGzip;
  /// Overlay whiteouts (0/0 char devices) become `.wh.NAME`; opaque dirs get `.wh..wh..opq`.
  bool convert_whiteouts = true;
  /// Owners are shifted back (a --userns container's upper dir); whiteouts are owned by 0.
  IdShift shift;
  /// When set, every byte of the tar goes here too, in order, on the packing thread (commit
  /// unpacks the new layer from it while packing). What it throws fails the pack.
  std::function<void(const void* data, size_t n)> tar_copy;
  /// Off: the tar is not hashed (diff_id left empty), for a caller whose tar_copy hashes it
  /// anyway (commit: the unpacker computes the diff id of the same bytes).
  bool hash_tar = true;
};

struct PackResult {
  Digest blob_digest;  ///< sha256 of the bytes written to out_fd
  uint64_t blob_size = 0;
  Digest diff_id;  ///< sha256 of the uncompressed tar
  uint64_t tar_size = 0;
  /// Apparent size of the tree as TreeSize counts it (regular files and symlinks, each link of
  /// a hard-linked file), so that registering the tree needs no second walk.
  uint64_t tree_size = 0;
};

/// Packs the tree under `dir` (not following symlinks) into out_fd; out_fd -1 packs without
/// writing or compressing anything (the tar goes only to tar_copy; commit and build steps defer
/// compression: blob_digest is then the diff_id and blob_size the tar_size). Packing the same tree twice
/// yields identical bytes. The tar is generated, hashed and (written to out_fd) on the calling
/// thread while gzip runs on every core; writeback of out_fd starts as it is written, so the
/// caller's fsync finds little left to do. Entry names are relative ("etc/passwd", dirs end with "/"), user and
/// group names are empty, uid/gid/mode/mtime/xattrs/hard links/devices/fifos are kept.
PackResult PackLayer(const std::string& dir, int out_fd, const PackOptions& opts = {});

}  // namespace mini
