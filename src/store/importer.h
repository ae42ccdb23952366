#pragma once
/// `mini import`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer image.
#include <nlohmann/json.hpp>
#include <string>

#include "common/digest.h"
#include "common/io.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini {

struct ImportOptions {
  std::string source_name = "-";  ///< recorded in the history comment ("Imported from -")
  std::string message;            ///< history comment override (docker import -m)
  nlohmann::json config;          ///< initial "config" section (Cmd, Env, ...), may be null
};

/// Streams the tarball through unpack (one pass, whiteouts converted) into a new layer, stores the
/// layer blob gzip-compressed (kept as is if it already was gzip or zstd), writes config and
/// manifest and returns the image id. Leaves nothing behind on failure.
Digest ImportRootfs(const Layout& layout, ImageStore& images, LayerStore& layers, ByteSource& src,
                    const ImportOptions& opts);

/// The host's architecture in GOARCH terms (amd64, arm64, ...), as image configs spell it.
std::string HostArchitecture();

}  // namespace mini
