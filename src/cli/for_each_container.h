#pragma once
/// Verbs over several containers (stop, kill, rm, pause, restart...): Docker's ForEachName over
/// the names resolved to ids, each name echoed on success when `echo`.
#include <iostream>
#include <string>
#include <vector>

#include "cli/errors.h"
#include "cli/store_handle.h"
#include "run/container.h"

namespace mini::cli {

template <class F>
void ForEachContainer(Globals& g, const std::vector<std::string>& names, bool echo, F fn) {
  StoreHandle s(g.root);
  run::ContainerStore store(s.layout);
  ForEachName(g, names, [&](const std::string& n) {
    fn(s.layout, store.Resolve(n));
    if (echo) std::cout << n << "\n";
  });
}

}  // namespace mini::cli
