#pragma once
/// Safe, streaming layer unpack: compressed bytes -> sha256(blob) -> decompress -> sha256(tar) ->
/// extract into a directory, in one pass. See ../shared/SECURITY.md "Unpacking a layer".
#include <cstdint>
#include <optional>
#include <string>

#include "common/digest.h"
#include "common/io.h"
#include "store/compression.h"

namespace mini {

struct UnpackOptions {
  /// Turn `.wh.NAME` into overlay whiteouts (0/0 char devices) and `.wh..wh..opq` into the
  /// trusted.overlay.opaque=y xattr. Off: they are kept as plain files.
  bool convert_whiteouts = true;
  /// Off: the caller hashes the compressed bytes itself (the puller does, on its download
  /// thread, to spread the work over two cores); blob_digest is then left empty.
  bool hash_blob = true;
  /// Marks `dest` as a top of a directory hierarchy (FS_TOPDIR_FL, where the filesystem has it,
  /// as ext4 does) when it is empty, so its subdirectories are spread over the block groups as
  /// those of "/" are: the files of a layer then land in groups of their own, not among the
  /// inodes of a store that was just emptied by rmi or prune, which ext4 (without a journal)
  /// skips one by one for a minute, costing seconds per thousand new files. For fresh layers.
  bool spread_directories = false;
};

struct UnpackResult {
  Digest blob_digest;      ///< sha256 of the bytes read from the source (compressed)
  uint64_t blob_size = 0;  ///< number of bytes read from the source
  Digest diff_id;          ///< sha256 of the decompressed tar stream, to its very end
  uint64_t tar_size = 0;   ///< size of the decompressed tar stream
  Compression compression = Compression::kNone;
  /// The apparent size of what was unpacked as TreeSize counts it, known without walking the tree
  /// when `dest` was empty and no entry replaced another; else empty.
  std::optional<uint64_t> tree_size;
};

/// Extracts the (possibly compressed) tar read from `src` into the existing directory `dest`.
/// Every path is resolved inside `dest`: absolute names and `..` are taken relative to it, and no
/// symlink, hard link or whiteout can reach outside it. The whole source is consumed (padding
/// after the tar end included) so both digests cover everything. Throws Error on malformed or
/// hostile input; what was written to `dest` is then left for the caller to remove.
UnpackResult UnpackLayer(ByteSource& src, const std::string& dest, const UnpackOptions& opts = {});

}  // namespace mini
