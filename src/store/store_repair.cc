// The repair half of store_check.h: PlanRepair (pure) and RepairStore (removes under the lock).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "store/blob_store.h"
#include "store/oci_types.h"
#include "store/store_check.h"
#include "store/store_check_internal.h"

namespace mini {

using nlohmann::json;

RepairPlan PlanRepair(const StoreCheck& check, const std::function<bool(const Digest&)>& layer_in_use) {
  using Kind = StoreFault::Kind;
  RepairPlan plan;
  std::set<Digest> bad_blobs, bad_layers, bad_images;
  for (const auto& f : check.faults) {
    switch (f.kind) {
      case Kind::kBlob: bad_blobs.insert(f.digest); break;
      case Kind::kLayer: bad_layers.insert(f.digest); break;
      case Kind::kImage: bad_images.insert(f.digest); break;
      case Kind::kOrphanDir: plan.paths.push_back("overlay2/" + f.name); break;
      case Kind::kDanglingLink: plan.paths.push_back("overlay2/l/" + f.name); break;
      case Kind::kStray:
        if (f.name != "images/refs.json")
          plan.paths.push_back(f.name);
        else
          plan.unrepairable++;  // dropping it would drop every tag
        break;
      case Kind::kDanglingRef: plan.refs.push_back(f.name); break;
    }
  }
  // Everything above a broken layer goes with it.
  std::map<Digest, std::vector<Digest>> children;
  for (const auto& [c, p] : check.layer_parent)
    if (p) children[*p].push_back(c);
  std::set<Digest> doomed;
  std::vector<Digest> todo(bad_layers.begin(), bad_layers.end());
  while (!todo.empty()) {
    Digest c = todo.back();
    todo.pop_back();
    if (!doomed.insert(c).second) continue;
    for (const auto& k : children[c]) todo.push_back(k);
  }
  // ...except what a container uses, and what that stands on.
  std::set<Digest> kept;
  for (const auto& c : doomed) {
    if (!layer_in_use || !layer_in_use(c)) continue;
    std::optional<Digest> p = c;
    while (p && doomed.count(*p) && kept.insert(*p).second) {
      auto it = check.layer_parent.find(*p);
      p = it == check.layer_parent.end() ? std::nullopt : it->second;
    }
  }
  for (const auto& [id, deps] : check.images_deps) {
    bool own = bad_images.count(id) > 0 ||
               std::any_of(deps.blobs.begin(), deps.blobs.end(), [&](const Digest& b) { return bad_blobs.count(b) > 0; });
    bool on_doomed = std::any_of(deps.chain_ids.begin(), deps.chain_ids.end(), [&](const Digest& c) { return doomed.count(c) > 0; });
    bool on_kept = std::any_of(deps.chain_ids.begin(), deps.chain_ids.end(), [&](const Digest& c) { return kept.count(c) > 0; });
    if (!own && on_kept)
      plan.kept_images.push_back(id);
    else if (own || on_doomed)
      plan.images.push_back(id);
  }
  // Top first: order by depth in the graph, deepest first.
  auto depth = [&](const Digest& c) {
    size_t d = 0;
    for (auto it = check.layer_parent.find(c); it != check.layer_parent.end() && it->second && d <= check.layer_parent.size();
         it = check.layer_parent.find(*it->second))
      d++;
    return d;
  };
  for (const auto& c : doomed) (kept.count(c) ? plan.kept_layers : plan.layers).push_back(c);
  std::stable_sort(plan.layers.begin(), plan.layers.end(), [&](const Digest& a, const Digest& b) { return depth(a) > depth(b); });
  plan.blobs.assign(bad_blobs.begin(), bad_blobs.end());
  return plan;
}

namespace {

/// Removes a layer whose record or directory may be broken: the record first, then the l/ link
/// (only if it really points at this layer), then the directory.
void RemoveUntrustedLayer(const Layout& layout, const Digest& chain) {
  std::string hex = chain.hex();
  RemoveTree(layout.LayerMeta(chain));
  if (auto link = ReadFileIfExists(layout.LayerDir(hex) + "/link", 1 << 16)) {
    std::string s = *link;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    char buf[512];
    ssize_t n = check_internal::IsShortId(s) ? readlink(layout.Link(s).c_str(), buf, sizeof(buf)) : -1;
    if (n > 0 && std::string(buf, n) == "../" + hex + "/diff") unlink(layout.Link(s).c_str());
  }
  RemoveTree(layout.LayerDir(hex));
}

/// Removes l/ entries whose target is gone (left by a layer removed without its link file).
void SweepDanglingLinks(const Layout& layout, std::vector<std::string>* lines) {
  for (const auto& s : ListDirNames(layout.LinksDir())) {
    std::string p = layout.Link(s);
    if (PathExists(p)) continue;  // follows the link
    if (unlink(p.c_str()) == 0) lines->push_back("removed overlay2/l/" + s + " (dangling)");
  }
}

void ApplyPlan(const Layout& layout, const RepairPlan& plan, std::vector<std::string>* lines) {
  // Images and references first, so nothing names what goes next.
  std::optional<json> refs;
  try {
    if (auto data = ReadFileIfExists(layout.RefsFile(), kMaxDocumentSize)) refs = ParseJson(*data, "refs");
  } catch (const Error&) {
    // reported by the check; left alone
  }
  bool refs_changed = false;
  for (const auto& id : plan.images) {
    std::string names;
    if (refs && refs->is_object()) {
      for (const char* kind : {"tags", "digests"}) {
        if (!refs->contains(kind) || !(*refs)[kind].is_object()) continue;
        std::vector<std::string> drop;
        for (auto& [name, target] : (*refs)[kind].items())
          if (target == id.str()) drop.push_back(name);
        for (const auto& n : drop) {
          (*refs)[kind].erase(n);
          names += (names.empty() ? "" : ", ") + n;
          refs_changed = true;
        }
      }
    }
    RemoveTreeAway(layout.ImageDir(id), kImageRecordTmpPrefix);
    lines->push_back("removed image " + id.str() + (names.empty() ? "" : " (" + names + ")"));
  }
  for (const auto& r : plan.refs) {
    size_t colon = r.find(':');
    std::string kind = r.substr(0, colon), name = r.substr(colon + 1);
    if (refs && refs->is_object() && refs->contains(kind) && (*refs)[kind].is_object() && (*refs)[kind].erase(name)) {
      refs_changed = true;
      lines->push_back("removed refs.json entry " + name);
    }
  }
  if (refs_changed) WriteFileAtomic(layout.RefsFile(), refs->dump(2) + "\n");
  for (const auto& c : plan.layers) {
    RemoveUntrustedLayer(layout, c);
    lines->push_back("removed layer " + c.str());
  }
  BlobStore blobs(layout);
  for (const auto& b : plan.blobs) {
    blobs.Remove(b);
    lines->push_back("removed blob " + b.str());
  }
  for (const auto& p : plan.paths) {
    RemoveTree(layout.root() + "/" + p);
    lines->push_back("removed " + p);
  }
  SweepDanglingLinks(layout, lines);
  for (const auto& c : plan.kept_layers) lines->push_back("kept layer " + c.str() + ": in use, not removed");
  for (const auto& id : plan.kept_images)
    lines->push_back("kept image " + id.str() + ": a layer it uses is in use, not removed");
}

}  // namespace

RepairResult RepairStore(const Layout& layout, const CheckOptions& opts) {
  RepairResult res;
  res.check = check_internal::RunCheck(layout, opts, [&](StoreCheck& check) {
    res.plan = PlanRepair(check, opts.layer_in_use);
    ApplyPlan(layout, res.plan, &res.lines);
  });
  return res;
}

}  // namespace mini
