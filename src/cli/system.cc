// system df, system prune and system check.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

#include "build/cache_mounts.h"
#include "cli/cli.h"
#include "cli/confirm.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "cli/errors.h"
#include "common/rootless.h"
#include "net/network_admin.h"
#include "run/container.h"
#include "run/container_prune.h"
#include "run/lifecycle.h"
#include "run/volumes.h"
#include "run/userns/userns_container.h"
#include "run/userns/userns_rootfs.h"
#include "store/blob_store.h"
#include "store/store_check.h"

namespace mini::cli {

namespace {

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0B";
  return HumanSize(part) + " (" + std::to_string(part * 100 / whole) + "%)";
}

void RegisterDf(CLI::App& sys, Globals& g) {
  auto* cmd = sys.add_subcommand("df", "Show store disk usage: images, layers, blobs");
  cmd->callback([&g] {
    StoreHandle s(g.root);
    run::CollectContainers(s.layout);
    auto images = s.images.List();
    auto layers = s.layers.List();
    BlobStore blobs(s.layout);
    auto blob_list = blobs.List();
    std::set<Digest> used_layers, used_blobs;
    uint64_t image_bytes = 0, active_image_bytes = 0;
    int active = 0;
    for (const auto& r : images) {
      bool in_use = !s.images.Users(r.id).empty();
      active += in_use;
      for (const auto& c : r.chain_ids) {
        if (used_layers.insert(c).second && s.layers.Has(c)) {
          uint64_t sz = s.layers.Get(c).size;
          image_bytes += sz;
          if (in_use) active_image_bytes += sz;
        }
      }
      used_blobs.insert(r.manifest_digest);
      used_blobs.insert(r.id);
      for (const auto& l : r.manifest["layers"]) used_blobs.insert(Digest::Parse(l["digest"].get<std::string>()));
    }
    uint64_t layer_bytes = 0, unused_layer_bytes = 0;
    int used_layer_count = 0;
    for (const auto& l : layers) {
      layer_bytes += l.size;
      if (used_layers.count(l.chain_id))
        used_layer_count++;
      else
        unused_layer_bytes += l.size;
    }
    uint64_t blob_bytes = 0, unused_blob_bytes = 0;
    int used_blob_count = 0;
    for (const auto& b : blob_list) {
      uint64_t sz = blobs.Size(b);
      blob_bytes += sz;
      if (used_blobs.count(b))
        used_blob_count++;
      else
        unused_blob_bytes += sz;
    }
    Table t({"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"});
    t.Add({"Images", std::to_string(images.size()), std::to_string(active), HumanSize(image_bytes),
           Percent(image_bytes - active_image_bytes, image_bytes)});
    t.Add({"Layers", std::to_string(layers.size()), std::to_string(used_layer_count), HumanSize(layer_bytes),
           Percent(unused_layer_bytes, layer_bytes)});
    t.Add({"Blobs", std::to_string(blob_list.size()), std::to_string(used_blob_count), HumanSize(blob_bytes),
           Percent(unused_blob_bytes, blob_bytes)});
    std::fputs(t.Render().c_str(), stdout);
  });
}

void RegisterPrune(CLI::App& sys, Globals& g) {
  struct Opts {
    bool force = false, all = false, volumes = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sys.add_subcommand("prune", "Remove stopped containers, unused networks, untagged images, unreferenced layers and blobs, build cache");
  cmd->add_flag("-f,--force", o->force, "do not prompt for confirmation");
  cmd->add_flag("-a,--all", o->all, "remove all images not used by a container, not just untagged ones");
  cmd->add_flag("--volumes", o->volumes, "also remove the volumes no container uses");
  cmd->callback([&g, o] {
    if (!Confirm(o->force, std::string("WARNING! This will remove:\n  - all stopped containers\n"
                                       "  - all networks not used by at least one container\n") +
                               (o->volumes ? "  - all volumes not used by at least one container\n" : "") + "  - all " +
                               (o->all ? "images without at least one container associated to them" : "dangling images") +
                               "\n  - all layers and blobs no image uses\n  - unused build cache (RUN cache mounts)"))
      return;
    StoreHandle s(g.root);
    uint64_t reclaimed = 0;
    // Docker's order: containers first (what they held becomes unused), then networks,
    // volumes, images and the build cache.
    auto section = [](const char* title, const std::vector<std::string>& names) {
      if (names.empty()) return;
      std::printf("%s\n", title);
      for (const auto& n : names) std::printf("%s\n", n.c_str());
      std::printf("\n");
    };
    section("Deleted Containers:", run::PruneContainers(s.layout, &reclaimed, [](const Error& e) { PrintError(e); }));
    if (!IsRootless()) section("Deleted Networks:", net::PruneNetworks(s.layout));
    if (o->volumes) section("Deleted Volumes:", run::PruneVolumes(s.layout, &reclaimed));
    for (const auto& line : s.images.PruneImages(o->all, &reclaimed)) std::printf("%s\n", line.c_str());
    auto res = s.images.Prune();
    reclaimed += res.bytes;
    // Layer copies chowned for user namespace ranges no container uses any more.
    reclaimed += run::PruneIdmapCopies(s.layout, run::UsedIdMaps(s.layout));
    // RUN --mount=type=cache directories no build holds (as docker system prune's build cache).
    build::PruneCacheDirs(s.layout, &reclaimed);
    std::printf("Deleted layers: %d, blobs: %d\nTotal reclaimed space: %s\n", res.layers, res.blobs,
                HumanSize(reclaimed).c_str());
  });
}

void RegisterCheck(CLI::App& sys, Globals& g) {
  auto repair = std::make_shared<bool>(false);
  auto* cmd = sys.add_subcommand("check", "Verify blobs, layers and images; exit 1 if anything is wrong");
  cmd->add_flag("--repair", *repair, "remove what cannot be trusted, what depends on it, and garbage");
  cmd->callback([&g, repair] {
    StoreHandle s(g.root);
    run::CollectContainers(s.layout);  // dead --rm containers go, older containers get leases
    CheckOptions opts = CheckOptionsFromLeases(s.layout);
    StoreCheck c;
    RepairResult r;
    if (*repair) {
      r = RepairStore(s.layout, opts);
      c = r.check;
    } else {
      c = CheckStore(s.layout, opts);
    }
    for (const auto& f : c.faults) std::printf("%s\n", f.Line().c_str());
    std::printf("%s\n", c.Summary().c_str());
    for (const auto& l : r.lines) std::printf("%s\n", l.c_str());
    if (*repair) std::printf("%s\n", r.plan.Summary().c_str());
    if (*repair ? r.plan.left() > 0 : !c.clean()) g.exit_code = 1;
  });
}

}  // namespace

void RegisterSystemCommands(CLI::App& app, Globals& g) {
  auto* sys = app.add_subcommand("system", "Manage the store");
  sys->require_subcommand(1);
  RegisterDf(*sys, g);
  RegisterPrune(*sys, g);
  RegisterCheck(*sys, g);
}

}  // namespace mini::cli
