#pragma once
/// COPY --link: a layer made without the stage below it can be put on any parent. On a cache
/// hit over a different base, the cached layer's diff is registered again on the new parent
/// (same diff id and blob, so nothing is packed again): its files are hard links to the cached
/// layer's (read-only lower dirs both), directories and symlinks are made anew.
#include <optional>

#include "build/layer_commit.h"
#include "common/digest.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

/// The layer with `chain_id`'s diff on top of `parent`: the existing one when the store has it,
/// else a linked copy committed there. Held by the current lease. Throws Error.
LayerRef RebaseLayer(const Layout& layout, LayerStore& layers, const Digest& chain_id,
                     const std::optional<Digest>& parent);

/// Copies the tree at `from` to `to` (which must not exist): directories, symlinks and device
/// nodes made with the same owner, mode and times; regular files hard-linked (copied when the
/// link fails). Throws Error.
void LinkTree(const std::string& from, const std::string& to);

}  // namespace mini::build
