#pragma once
/// The store objects a command needs, opened on the root chosen by --root / MINI_ROOT.
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::cli {

struct StoreHandle {
  explicit StoreHandle(const std::string& root) : layout(root), layers(layout), images(layout, layers) {
    layout.Ensure();
  }
  Layout layout;
  LayerStore layers;
  ImageStore images;
};

}  // namespace mini::cli
