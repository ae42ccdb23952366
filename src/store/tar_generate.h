#pragma once
/// Deterministic layer packing: a directory tree -> tar (sorted names, stable headers, overlay
/// whiteouts back to `.wh.` files) -> compression, hashing both streams in the same pass.
#include <cstdint>
#include <string>

#include "common/digest.h"
#include "store/compression.h"

namespace mini {

struct PackOptions {
  Compression compression = Compression::kGzip;
  /// Overlay whiteouts (0/0 char devices) become `.wh.NAME`; opaque dirs get `.wh..wh..opq`.
  bool convert_whiteouts = true;
};

struct PackResult {
  Digest blob_digest;  ///< sha256 of the bytes written to out_fd
  uint64_t blob_size = 0;
  Digest diff_id;  ///< sha256 of the uncompressed tar
  uint64_t tar_size = 0;
};

/// Packs the tree under `dir` (not following symlinks) into out_fd. Packing the same tree twice
/// yields identical bytes. Entry names are relative ("etc/passwd", dirs end with "/"), user and
/// group names are empty, uid/gid/mode/mtime/xattrs/hard links/devices/fifos are kept.
PackResult PackLayer(const std::string& dir, int out_fd, const PackOptions& opts = {});

}  // namespace mini
