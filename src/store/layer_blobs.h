#pragma once
/// The extra compressed blobs of a layer: beside the blob it was first made from (blob-digest,
/// blob-size in its record), a layer may hold one blob per compression it was later pushed or
/// saved in (`mini push --compression-format zstd`, or gzip for a layer pulled as zstd). They
/// are listed in layers/<chain hex>/compressed-blobs, one line per blob:
///   "<format> <level> <digest> <size>"   e.g. "zstd 3 sha256:ab.. 1234"
/// sorted, so the file depends only on its content. A record without the file has none (stores
/// made before it existed). Pure: formatting and parsing only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/compression.h"

namespace mini {

/// The record file's name in layers/<chain hex>/.
inline constexpr const char* kLayerBlobsFile = "compressed-blobs";

struct LayerBlob {
  Compression format = Compression::kGzip;
  int level = 0;  ///< the zstd level it was made at; 0 for gzip (mini's one gzip encoding)
  Digest digest;
  uint64_t size = 0;
  bool operator==(const LayerBlob& o) const {
    return format == o.format && level == o.level && digest == o.digest && size == o.size;
  }
};

/// The file's text for `blobs`, sorted by (format, level, digest); empty for none.
std::string FormatLayerBlobs(std::vector<LayerBlob> blobs);
/// Parses the file's text (blank lines ignored). Throws Error naming the line on anything else:
/// `compressed-blobs line 2: "zstd x sha256:.. 12": bad level "x"`.
std::vector<LayerBlob> ParseLayerBlobs(const std::string& text);
/// The blob of `format` (and, for zstd, `level`) among `blobs`, if any.
std::optional<LayerBlob> FindLayerBlob(const std::vector<LayerBlob>& blobs, Compression format, int level);

}  // namespace mini
