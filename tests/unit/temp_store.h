#pragma once
/// Unit-test helpers for tests that need a real store on disk: a fresh directory under /tmp,
/// and a store root there with its layer and image stores, removed when it goes.
#include <stdlib.h>

#include <string>

#include "common/error.h"
#include "common/fs.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::test {

/// A new directory /tmp/<prefix>XXXXXX. Throws Error.
inline std::string MakeTempDir(const char* prefix) {
  std::string t = std::string("/tmp/") + prefix + "XXXXXX";
  if (!mkdtemp(t.data())) ThrowErrno("mkdtemp");
  return t;
}

/// A private store root with its stores, removed afterwards.
struct TempStore {
  std::string root;
  Layout layout;
  LayerStore layers;
  ImageStore images;
  explicit TempStore(const std::string& r) : root(r), layout(r), layers(layout), images(layout, layers) { layout.Ensure(); }
  ~TempStore() { RemoveTree(root); }
};

}  // namespace mini::test
