#pragma once
/// `mini export`: a container's flattened filesystem (what its merged overlay view shows: the
/// image layers, the init layer's /etc/hosts etc. and the container's upper dir, whiteouts and
/// opaque directories applied) as one uncompressed tar, without mounting anything: the layer
/// directories are walked top-down, as overlayfs would merge them.
#include <string>
#include <vector>

#include "store/layout.h"
#include "store/tar_generate.h"

namespace mini::build {

/// Writes the merged view of `diff_dirs_top_first` to out_fd as a deterministic tar (names in
/// byte order, numeric owners only, mtimes kept, hard links within the view kept, sockets and
/// whiteouts skipped). Throws Error naming the entry that failed.
/// `shift` applies to the owners of entries from the first `shifted_layers` directories (a
/// --userns container's upper dir and init layer, owned by its mapped ids on disk).
void WriteMergedTar(const std::vector<std::string>& diff_dirs_top_first, int out_fd, const IdShift& shift = {},
                    size_t shifted_layers = 0);

/// The layer directories of a container, top first: its upper dir, its init layer, then the
/// image's layers. Throws Error("No such container: x").
std::vector<std::string> ContainerLayerDirs(const Layout& layout, const std::string& container);

/// Exports the container's filesystem to out_fd. Throws Error.
void ExportContainer(const Layout& layout, const std::string& container, int out_fd);

}  // namespace mini::build
