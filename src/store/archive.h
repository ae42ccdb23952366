#pragma once
/// Image archives: `mini save` (docker-archive, as `docker save` writes and `docker load` reads;
/// or an OCI image layout tar) and `mini load` (reads both, detected from their content).
#include <string>
#include <vector>

#include "common/io.h"
#include "store/image_store.h"
#include "store/layer_compression.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini {

enum class ArchiveFormat { kDockerArchive, kOciArchive };

/// Writes the images named in `names` (references, ids or id prefixes; a reference also names the
/// tag it is saved under) as one tar to `out_fd`. docker-archive: manifest.json + repositories +
/// config + uncompressed layer tars (what `docker load` and `skopeo ... docker-archive:` read).
/// oci-archive: oci-layout + index.json + blobs/sha256/* with the exact stored blobs, so manifest
/// and layer digests are the original ones; tags go in org.opencontainers.image.ref.name (and
/// io.containerd.image.name, like containerd/docker) annotations.
/// `compression` (store/layer_compression.h) applies to oci-archive only (Error otherwise).
void SaveImages(const Layout& layout, ImageStore& images, LayerStore& layers,
                const std::vector<std::string>& names, ArchiveFormat format, int out_fd,
                const CompressionOptions& compression = {});

/// Reads a docker-archive (legacy `docker save` and the newer OCI-style `docker save`) or an OCI
/// layout tar from `src`, verifies every blob against its digest and every layer against the
/// config's diff_ids, adds the images and their tags. Nothing is tagged unless all of an image's
/// parts were verified; staging is removed on failure. Returns the lines to print:
/// "Loaded image: busybox:latest" or "Loaded image ID: sha256:...".
std::vector<std::string> LoadImages(const Layout& layout, ImageStore& images, LayerStore& layers, ByteSource& src);

}  // namespace mini
