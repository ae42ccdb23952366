#pragma once
/// The compression of the layers an image leaves the store with (push, OCI save, a build's
/// output), as podman's `--compression-format`, `--compression-level` and `--force-compression`
/// choose it. The default (no format) is what it always was: each layer's stored blob, gzip made
/// once for a deferred layer (store/deferred_layer.h), and the image's stored manifest. With a
/// format, a layer without a blob, and with `force` (the default once a format is named, as in
/// podman) every layer in another format, gets a blob in that format: made once,
/// deterministically (zstd frames with a checksum and no timestamps; multi-threaded zstd gives
/// the same bytes for any number of threads >= 1), recorded in its layer record
/// (store/layer_blobs.h) and the current lease, and reused by the next push or save. zstd layers
/// need an OCI manifest: a Docker schema2 manifest is converted to OCI, as podman does.
#include <memory>
#include <optional>
#include <string>

#include "store/compression.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"
#include "store/oci_types.h"

namespace mini {

/// zstd's level when none is given: podman's default (and zstd's own).
inline constexpr int kDefaultZstdLevel = 3;

struct CompressionOptions {
  std::optional<Compression> format;  ///< none: the default described above
  int level = kDefaultZstdLevel;      ///< zstd only, 1-20
  bool force = false;                 ///< recompress layers stored in another format
};

/// The zstd compressor of layer blobs: `level`, a checksum, no timestamps or sizes in the frame
/// header, `workers` threads (0: one per CPU, at most 8). The bytes depend on the input and the
/// level only, never on `workers` (>= 1 always: libzstd's single-threaded mode would make other
/// bytes). Writes compressed chunks to `out`, on the calling thread. Throws Error.
std::unique_ptr<CompressingSink> NewZstdLayerSink(ChunkWriter out, const std::string& name, int level,
                                                  unsigned workers = 0);

/// Checks flag values and builds the options; pure. `format` "" means none given. `force` unset
/// is true when a format is given (podman's rule), else false. Throws Error (kInvalidInput) whose
/// message names the flag with `flag_prefix` before its name ("--" for push and save, "" for
/// build's --output keys): `invalid --compression-format "lz4": use gzip or zstd`,
/// `invalid --compression-level 30: zstd levels are 1-20`, `--compression-level applies to zstd
/// only: mini's gzip has one level`.
CompressionOptions ParseCompressionOptions(const std::string& format, std::optional<int> level,
                                           std::optional<bool> force, const std::string& flag_prefix = "--");

/// The compression a layer media type names: kNone for a plain tar, nullopt for what is not a
/// layer mini knows (foreign, nondistributable), left as it is.
std::optional<Compression> LayerMediaCompression(const std::string& media_type);

/// The blob of layer `chain_id` in `format` (at `level` for zstd), whose manifest entry is now
/// `current` (its stored blob, or its tar when deferred): `current` itself when it is already in
/// that format; else one recorded earlier; else made now from the stored blob (decompressed,
/// checked against the diff id) or, for a deferred layer, from its directory, then recorded.
/// gzip made for a deferred layer becomes its first blob (EnsureLayerBlob). Throws Error.
Descriptor LayerBlobIn(const Layout& layout, LayerStore& layers, const Digest& chain_id, const Descriptor& current,
                       Compression format, int level);

/// The manifest of `rec` as it leaves the store under `opts`, from `stored` (its manifest's
/// exact bytes), and its media type in *media_type. No format: ManifestForExport. A format: the
/// layers chosen above name their blob in it, the manifest is OCI when a layer is zstd, and it
/// is canonical JSON (`stored` itself when nothing changed); it is not stored and the image
/// keeps its own. The same image and options always give the same bytes. Throws Error.
std::string ManifestWithCompression(const Layout& layout, ImageStore& images, const ImageRecord& rec,
                                    const std::string& stored, const CompressionOptions& opts,
                                    std::string* media_type);

}  // namespace mini
