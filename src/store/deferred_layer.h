#pragma once
/// Deferred compression, as Docker's commit: a layer made by `commit` or a build step is
/// registered with its directory, diff id and tar size only. Its record names the uncompressed
/// tar as its blob (blob-digest = diff id, blob-size = tar size) and no such blob is stored;
/// image manifests give it the tar's descriptor (application/vnd.oci.image.layer.v1.tar, diff
/// id, tar size). The tar is generated again from the layer's directory when it is needed
/// (docker-archive save), and the gzip blob is made once, deterministically, when a push or an
/// OCI save first needs it, then recorded in the layer record; the image then gets the manifest
/// that names it (what is pushed or saved), and its id (config digest) never changes.
#include <cstddef>
#include <functional>
#include <string>

#include "store/blob_store.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"
#include "store/oci_types.h"

namespace mini {

/// True when the layer has no stored blob of its own yet (it was committed without one).
bool IsDeferredLayer(const BlobStore& blobs, const LayerInfo& info);

/// The descriptor an image manifest gives the layer: its stored (gzip) blob's, or for a
/// deferred layer the uncompressed tar's.
Descriptor StoredLayerDescriptor(const BlobStore& blobs, const LayerInfo& info);

/// Generates the tar of the layer's directory into `write` (as many calls as it takes) and
/// checks that it is the layer's own (diff id and size). Throws Error.
void GenerateLayerTar(const LayerStore& layers, const LayerInfo& info,
                      const std::function<void(const void* data, size_t n)>& write);

/// The layer's gzip blob: made, stored and recorded in its layer record (in the current
/// lease) if it is deferred. Returns its descriptor (OCI gzip media type). Throws Error.
Descriptor EnsureLayerBlob(const Layout& layout, LayerStore& layers, const Digest& chain_id);

/// The manifest of `rec` as it leaves the store (push, OCI save), from `stored`, its manifest's
/// exact bytes: those bytes when no layer is deferred, else a copy (canonical JSON) in which every
/// deferred layer names its gzip blob (made now when needed); that copy is stored and becomes the
/// image's manifest (the image id, its config, does not change). The same image always gives
/// the same bytes.
std::string ManifestForExport(const Layout& layout, ImageStore& images, const ImageRecord& rec,
                              const std::string& stored);

}  // namespace mini
