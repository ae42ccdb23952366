/// `mini load`: an image archive (docker-archive, new-style `docker save`, or an OCI layout tar)
/// -> verified layers, blobs, images and, only once everything is in, tags.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <set>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/path.h"
#include "store/archive.h"
#include "store/blob_store.h"
#include "store/lease.h"
#include "store/compression.h"
#include "store/importer.h"
#include "store/oci_types.h"

namespace mini {

/// Defined in archive_unpack.cc; used only here, so they have no header of their own.
namespace archive_internal {
struct Staged {
  std::string dir;
  std::map<std::string, std::string> aliases;
};
std::string CleanName(const std::string& name);
std::string StagedFile(const Staged& s, const std::string& name);
std::string ReadStaged(const Staged& s, const std::string& name, uint64_t max_size);
void UnpackOuter(ByteSource& src, Staged& s);
}  // namespace archive_internal

using archive_internal::ReadStaged;
using archive_internal::Staged;
using archive_internal::StagedFile;
using nlohmann::json;

namespace {

/// Layers unpacked at once: two cores here, and unpacking is part I/O.
constexpr size_t kParallelUnpacks = 3;

/// One layer file of an image, as the archive names it.
struct LayerRef {
  std::string name;               ///< archive member name
  std::optional<Digest> digest;   ///< expected blob digest, when the archive states one
  std::optional<uint64_t> size;   ///< expected blob size (OCI descriptors)
};

/// One image to load.
struct Plan {
  std::string what;  ///< for errors: "manifest.json image 1", "manifest sha256:..."
  std::string config_bytes;
  Digest config_digest;
  std::optional<std::string> manifest_bytes;  ///< OCI: the exact manifest to keep
  Digest manifest_digest;
  std::vector<LayerRef> layers;
  std::vector<Digest> diff_ids;
  std::vector<Reference> tags;
};

/// A layer file after verification: its blob digest, size and compression.
struct LayerFile {
  std::string path;
  Digest digest;
  uint64_t size = 0;
  Compression compression = Compression::kNone;
};

constexpr const char* kBlobPrefix = "blobs/sha256/";

/// The digest a member name states: "blobs/sha256/<hex>" or "<hex>.json".
std::optional<Digest> DigestFromName(const std::string& name) {
  std::string base = BaseName(name);
  if (base.size() == 64 + 5 && base.ends_with(".json")) base.resize(64);
  if (Digest::IsValidHex(base)) return Digest::FromHex(base);
  return std::nullopt;
}

void AddTag(std::vector<Reference>& tags, const Reference& r) {
  if (std::none_of(tags.begin(), tags.end(), [&](const Reference& t) { return t.String() == r.String(); })) tags.push_back(r);
}

Reference ParseRepoTag(const std::string& s) {
  Reference r = ParseReference(s);
  if (r.digest || r.tag.empty()) throw Error(ErrorKind::kInvalidInput, "invalid tag \"" + s + "\": a digest reference cannot be a tag");
  return r;
}

/// Reads config bytes, checks them against `expect` and extracts rootfs.diff_ids.
void ReadConfig(Plan& p, const Staged& s, const std::string& name, const std::optional<Digest>& expect) {
  p.config_bytes = ReadStaged(s, name, kMaxDocumentSize);
  p.config_digest = Sha256Of(p.config_bytes);
  if (expect && !(p.config_digest == *expect))
    throw Error("config \"" + name + "\": digest mismatch: expected " + expect->str() + ", got " + p.config_digest.str());
  json c = ParseJson(p.config_bytes, "config \"" + name + "\"");
  const json* ids = c.is_object() && c.contains("rootfs") && c["rootfs"].is_object() && c["rootfs"].contains("diff_ids")
                        ? &c["rootfs"]["diff_ids"] : nullptr;
  if (!ids || !ids->is_array()) throw Error("config \"" + name + "\": no rootfs.diff_ids");
  for (const auto& d : *ids) {
    if (!d.is_string()) throw Error("config \"" + name + "\": rootfs.diff_ids holds a non-string");
    p.diff_ids.push_back(WithContext("config \"" + name + "\"", [&] { return Digest::Parse(d.get<std::string>()); }));
  }
}

/// manifest.json (`docker save`): [{"Config": ..., "RepoTags": [...], "Layers": [...]}, ...].
std::vector<Plan> DockerPlans(const Staged& s) {
  json m = ParseJson(ReadStaged(s, "manifest.json", kMaxDocumentSize), "manifest.json");
  if (!m.is_array()) throw Error("manifest.json: not a JSON array");
  std::vector<Plan> plans;
  for (size_t i = 0; i < m.size(); i++) {
    const json& e = m[i];
    Plan p;
    p.what = "manifest.json image " + std::to_string(i + 1);
    WithContext(p.what, [&] {
      if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() || !e.contains("Layers") ||
          !e["Layers"].is_array())
        throw Error("needs Config and Layers");
      std::string config = e["Config"];
      ReadConfig(p, s, config, DigestFromName(config));
      for (const auto& l : e["Layers"]) {
        if (!l.is_string()) throw Error("Layers holds a non-string");
        std::string name = l;
        std::optional<Digest> d;
        if (archive_internal::CleanName(name).starts_with(kBlobPrefix)) d = DigestFromName(name);
        p.layers.push_back({name, d, std::nullopt});
      }
      if (e.contains("RepoTags") && e["RepoTags"].is_array())
        for (const auto& t : e["RepoTags"]) {
          if (!t.is_string()) throw Error("RepoTags holds a non-string");
          AddTag(p.tags, ParseRepoTag(t.get<std::string>()));
        }
    });
    auto same = std::find_if(plans.begin(), plans.end(), [&](const Plan& q) { return q.config_digest == p.config_digest; });
    if (same == plans.end()) {
      plans.push_back(std::move(p));
    } else {
      for (const auto& t : p.tags) AddTag(same->tags, t);
    }
  }
  return plans;
}

/// Reads the blob a descriptor names from blobs/sha256/, checking size and digest.
std::string ReadBlobDoc(const Staged& s, const Descriptor& d) {
  std::string bytes = ReadStaged(s, kBlobPrefix + d.digest.hex(), kMaxDocumentSize);
  if (bytes.size() != d.size || !(Sha256Of(bytes) == d.digest))
    throw Error("blob " + d.digest.str() + ": does not match its descriptor");
  return bytes;
}

/// Tags from a top-level index.json entry: the full name containerd/docker write, else a
/// ref.name that is a whole reference (podman); a bare tag ("latest") names no repository.
std::vector<Reference> OciTags(const json& annotations) {
  std::vector<Reference> tags;
  if (!annotations.is_object()) return tags;
  auto get = [&](const char* k) { return annotations.contains(k) && annotations[k].is_string() ? annotations[k].get<std::string>() : ""; };
  std::string full = get("io.containerd.image.name"), ref_name = get("org.opencontainers.image.ref.name");
  if (full.empty() && ref_name.find_first_of("/:") != std::string::npos) full = ref_name;
  if (!full.empty()) AddTag(tags, ParseRepoTag(full));
  return tags;
}

/// Why a manifest is not an image (an SBOM, a signature, a Helm chart, an attestation...), or
/// "" for an image: its artifactType, else a config of a type other than an image config's.
std::string ArtifactKind(const Manifest& m) {
  if (!m.artifact_type.empty()) return "artifact type " + m.artifact_type;
  const std::string& ct = m.config.media_type;
  if (!ct.empty() && ct != media::kOciConfig && ct != media::kDockerConfig) return "config type " + ct;
  return "";
}

/// Adds the image a descriptor leads to (through nested indexes: the host's linux platform).
/// Entries that are not images (artifacts, attestations) are skipped with one warning each.
void AddOciDescriptor(const Staged& s, const Descriptor& d, const std::vector<Reference>& tags,
                      std::vector<Plan>& plans, int depth) {
  if (d.annotations.is_object() && d.annotations.value("vnd.docker.reference.type", "") == "attestation-manifest") {
    Warn("load: skipping " + d.digest.str() + ": an attestation manifest, not an image");
    return;
  }
  std::string bytes = ReadBlobDoc(s, d);
  std::string type = d.media_type;
  if (type.empty()) {
    json j = ParseJson(bytes, "blob " + d.digest.str());
    type = j.is_object() && j.contains("manifests") ? media::kOciIndex : media::kOciManifest;
  }
  if (IsIndexMediaType(type)) {
    if (depth >= 4) throw Error("index " + d.digest.str() + ": nested too deeply");
    Index idx = WithContext("index " + d.digest.str(), [&] { return ParseIndex(bytes, d.media_type); });
    std::string arch = HostArchitecture();
    for (const auto& m : idx.manifests) {
      if (m.platform.is_object() && m.platform.value("os", "") == "linux" && m.platform.value("architecture", "") == arch)
        return AddOciDescriptor(s, m, tags, plans, depth + 1);
    }
    // An index of artifacts (referrers, signatures) or of other platforms only: not fatal to
    // the rest of the archive; an archive with nothing loadable fails after the walk.
    Warn("load: skipping index " + d.digest.str() + ": no image for linux/" + arch);
    return;
  }
  if (!IsManifestMediaType(type)) {
    Warn("load: skipping " + d.digest.str() + " of media type " + type);
    return;
  }
  for (auto& p : plans)
    if (p.manifest_bytes && p.manifest_digest == d.digest) {
      for (const auto& t : tags) AddTag(p.tags, t);
      return;
    }
  Plan p;
  p.what = "manifest " + d.digest.str();
  bool artifact = false;
  WithContext(p.what, [&] {
    Manifest m = ParseManifest(bytes, d.media_type);
    if (std::string kind = ArtifactKind(m); !kind.empty()) {
      Warn("load: skipping " + d.digest.str() + ": not an image (" + kind + ")");
      artifact = true;
      return;
    }
    std::string config_name = kBlobPrefix + m.config.digest.hex();
    ReadConfig(p, s, config_name, m.config.digest);
    if (p.config_bytes.size() != m.config.size) throw Error("config " + m.config.digest.str() + ": size mismatch");
    for (const auto& l : m.layers) p.layers.push_back({kBlobPrefix + l.digest.hex(), l.digest, l.size});
  });
  if (artifact) return;
  p.manifest_bytes = bytes;
  p.manifest_digest = d.digest;
  p.tags = tags;
  plans.push_back(std::move(p));
}

/// index.json; when the archive also has a manifest.json (newer `docker save`), its RepoTags are
/// the tags of the images it shares a config with, and its other images are loaded too.
std::vector<Plan> OciPlans(const Staged& s) {
  bool has_docker = true;
  try {
    StagedFile(s, "manifest.json");
  } catch (const Error&) {
    has_docker = false;
  }
  std::string index_bytes = ReadStaged(s, "index.json", kMaxDocumentSize);
  // Docker 25+ writes `"manifests": null` (Go's nil slice) for an image saved by id, beside a
  // manifest.json that names it: that archive is read through manifest.json alone.
  json raw = json::parse(index_bytes, nullptr, false);
  if (has_docker && raw.is_object() && (!raw.contains("manifests") || raw["manifests"].is_null())) return DockerPlans(s);
  Index idx = WithContext("index.json", [&] { return ParseIndex(index_bytes); });
  std::vector<Plan> plans;
  for (const auto& d : idx.manifests) AddOciDescriptor(s, d, OciTags(d.annotations), plans, 0);
  if (!has_docker) return plans;
  std::set<Digest> retagged;
  for (auto& dp : DockerPlans(s)) {
    auto same = std::find_if(plans.begin(), plans.end(), [&](const Plan& p) { return p.config_digest == dp.config_digest; });
    if (same == plans.end()) {
      plans.push_back(std::move(dp));
      continue;
    }
    if (retagged.insert(same->config_digest).second) same->tags.clear();
    for (const auto& t : dp.tags) AddTag(same->tags, t);
  }
  return plans;
}

/// What this load added, so a failure can take it all back out.
struct Added {
  std::vector<Digest> layers, blobs, images;
};

/// One layer of one image on its way in: verified (and, if the store lacks it, unpacked into
/// staging) on a worker thread, then committed in order on top of its parent.
struct LayerJob {
  const LayerRef* ref = nullptr;
  Digest diff_id;
  std::optional<Digest> parent;
  LayerFile file;
  StagedLayer staged;  ///< empty when the layer was already in the store
  std::exception_ptr error;
};

/// Verifies one layer file against the plan: re-hashes it when the store already has the layer,
/// else unpacks it into staging (independent of its parent, so jobs can run in parallel).
void PrepareLayer(LayerStore& layers, const Staged& s, LayerJob& job) {
  const LayerRef& ref = *job.ref;
  job.file.path = StagedFile(s, ref.name);
  UniqueFd fd(open(job.file.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) ThrowErrno("\"" + ref.name + "\"");
  char head[8] = {};
  ssize_t h = pread(fd.get(), head, sizeof head, 0);
  job.file.compression = DetectCompression(head, h > 0 ? static_cast<size_t>(h) : 0);
  FdSource raw(fd.get(), ref.name);
  HashingSource hashed(raw);
  if (layers.Has(LayerStore::ChainId(job.parent, job.diff_id))) {
    auto dec = NewDecompressingSource(hashed, ref.name);
    Sha256 sha;
    std::string buf(1 << 20, '\0');
    while (size_t n = dec->Read(buf.data(), buf.size())) sha.Update(buf.data(), n);
    Digest got = sha.Finish();
    if (!(got == job.diff_id)) throw Error("diff id mismatch: expected " + job.diff_id.str() + ", got " + got.str());
  } else {
    job.staged = layers.StageFromStream(hashed, ref.digest, ref.size, job.diff_id);
  }
  job.file.size = hashed.count();
  job.file.digest = hashed.Finish();
  if (ref.size && job.file.size != *ref.size) throw Error("size mismatch: expected " + std::to_string(*ref.size));
  if (ref.digest && !(job.file.digest == *ref.digest)) throw Error("digest mismatch: got " + job.file.digest.str());
}

/// Runs PrepareLayer over all jobs on up to `workers` threads; errors stay in each job.
void PrepareLayersInParallel(LayerStore& layers, const Staged& s, std::vector<LayerJob>& jobs, size_t workers) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < jobs.size(); i = next++) {
      try {
        PrepareLayer(layers, s, jobs[i]);
      } catch (...) {
        jobs[i].error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(workers, jobs.size()); t++) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
}

const char* LayerMediaType(Compression c) {
  switch (c) {
    case Compression::kGzip: return media::kOciLayerGzip;
    case Compression::kZstd: return media::kOciLayerZstd;
    default: return media::kOciLayer;
  }
}

void PutBlob(BlobStore& blobs, std::string_view bytes, const Digest& d, Added& added) {
  if (blobs.Has(d)) {
    if (Lease* lease = CurrentLease()) lease->AddBlob(d);  // relied on from here: held
    return;
  }
  blobs.PutBytes(bytes, d);
  added.blobs.push_back(d);
}

/// Layers, then blobs, then image records, for every plan; ids in plan order.
std::vector<Digest> Commit(const Layout& layout, ImageStore& images, LayerStore& layers, const Staged& s,
                           const std::vector<Plan>& plans, Added& added) {
  std::map<std::string, LayerFile> files;  // by member name, each file verified once
  // Held before anything is looked at: what is already present stays for this load.
  if (Lease* lease = CurrentLease()) {
    LeaseResources need;
    for (const auto& p : plans) {
      std::optional<Digest> chain;
      for (size_t i = 0; i < p.layers.size() && i < p.diff_ids.size(); i++) {
        chain = LayerStore::ChainId(chain, p.diff_ids[i]);
        need.layers.insert(*chain);
        if (p.layers[i].digest) need.blobs.insert(*p.layers[i].digest);
      }
      need.blobs.insert(p.config_digest);
      if (!p.manifest_digest.empty()) need.blobs.insert(p.manifest_digest);
    }
    lease->Add(need);
  }
  std::vector<std::vector<LayerFile>> per_plan;
  // Every layer of every image unpacks in parallel into its own staging dir...
  std::vector<LayerJob> jobs;
  std::vector<std::vector<size_t>> plan_jobs;
  for (const auto& p : plans) {
    if (p.layers.size() != p.diff_ids.size())
      throw Error(p.what + ": config has " + std::to_string(p.diff_ids.size()) + " diff ids for " +
                  std::to_string(p.layers.size()) + " layers");
    std::vector<size_t> mine;
    std::optional<Digest> parent;
    for (size_t i = 0; i < p.layers.size(); i++) {
      LayerJob job;
      job.ref = &p.layers[i];
      job.diff_id = p.diff_ids[i];
      job.parent = parent;
      mine.push_back(jobs.size());
      jobs.push_back(std::move(job));
      parent = LayerStore::ChainId(parent, p.diff_ids[i]);
    }
    plan_jobs.push_back(std::move(mine));
  }
  PrepareLayersInParallel(layers, s, jobs, kParallelUnpacks);
  // ...and commits in order, each on top of its parent.
  for (size_t pi = 0; pi < plans.size(); pi++) {
    const Plan& p = plans[pi];
    std::vector<LayerFile> mine;
    for (size_t ji : plan_jobs[pi]) {
      LayerJob& job = jobs[ji];
      WithContext(p.what + ": layer \"" + job.ref->name + "\"", [&] {
        if (job.error) std::rethrow_exception(job.error);
        if (job.staged.dir) {
          Digest chain = LayerStore::ChainId(job.parent, job.diff_id);
          bool existed = layers.Has(chain);
          layers.CommitStaged(job.staged, job.parent);
          if (!existed) added.layers.push_back(chain);
        }
      });
      files.emplace(job.ref->name, job.file);
      mine.push_back(job.file);
    }
    per_plan.push_back(std::move(mine));
  }
  BlobStore blobs(layout);
  std::set<std::string> adopted;  // staged paths already moved into the blob store
  for (const auto& [name, f] : files) {
    if (adopted.count(f.path)) continue;
    if (blobs.Has(f.digest)) {
      if (Lease* lease = CurrentLease()) lease->AddBlob(f.digest);  // relied on from here: held
      continue;
    }
    blobs.Adopt(f.path, f.digest);  // verified above; same filesystem (tmp/), so a rename
    adopted.insert(f.path);
    added.blobs.push_back(f.digest);
  }
  std::vector<Digest> ids;
  for (size_t i = 0; i < plans.size(); i++) {
    const Plan& p = plans[i];
    PutBlob(blobs, p.config_bytes, p.config_digest, added);
    Digest md = p.manifest_digest;
    if (p.manifest_bytes) {
      PutBlob(blobs, *p.manifest_bytes, md, added);
    } else {
      // docker-archive: keep the exact config bytes (the id is their digest) under a new manifest.
      json m = {{"schemaVersion", 2},
                {"mediaType", media::kOciManifest},
                {"config", {{"mediaType", media::kOciConfig}, {"digest", p.config_digest.str()}, {"size", p.config_bytes.size()}}},
                {"layers", json::array()}};
      for (const auto& f : per_plan[i])
        m["layers"].push_back({{"mediaType", LayerMediaType(f.compression)}, {"digest", f.digest.str()}, {"size", f.size}});
      std::string bytes = CanonicalJson(m);
      md = Sha256Of(bytes);
      PutBlob(blobs, bytes, md, added);
    }
    bool existed = images.Find(p.config_digest.str()).has_value();
    Digest id = WithContext(p.what, [&] { return images.AddImage(md); });
    if (!existed) added.images.push_back(id);
    if (!(id == p.config_digest)) throw Error(p.what + ": image id " + id.str() + " is not the config digest");
    ids.push_back(id);
  }
  return ids;
}

/// Takes out what a failed load added. Best effort: a failure here is only logged.
void Rollback(const Layout& layout, ImageStore& images, LayerStore& layers, const Added& added) noexcept {
  auto attempt = [](const std::string& what, auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      Warn("load: cleanup of " + what + ": " + e.what());
    }
  };
  for (const auto& id : added.images) attempt(id.str(), [&] { images.Delete(id.str(), true); });
  // What another operation holds meanwhile (a second load of the same archive) stays.
  attempt("layers and blobs", [&] { images.CollectUnused(added.layers, added.blobs); });
}

}  // namespace

std::vector<std::string> LoadImages(const Layout& layout, ImageStore& images, LayerStore& layers, ByteSource& src) {
  return WithContext("load", [&] {
    layout.Ensure();
    LeaseScope scope(layout, "load");
    TempDir staging(layout.TmpDir(), "load-");
    Staged s{staging.path(), {}};
    archive_internal::UnpackOuter(src, s);
    std::vector<Plan> plans;
    bool oci = true;
    try {
      StagedFile(s, "index.json");
    } catch (const Error&) {
      oci = false;
    }
    if (oci) {
      plans = OciPlans(s);
    } else {
      try {
        StagedFile(s, "manifest.json");
      } catch (const Error&) {
        throw Error("archive has neither index.json nor manifest.json: not an image archive");
      }
      plans = DockerPlans(s);
    }
    if (plans.empty()) throw Error("the archive holds no image");
    Added added;
    std::vector<Digest> ids;
    try {
      ids = Commit(layout, images, layers, s, plans, added);
    } catch (...) {
      Rollback(layout, images, layers, added);
      throw;
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < plans.size(); i++) {
      for (const auto& t : plans[i].tags) {
        images.Tag(t, ids[i]);
        out.push_back("Loaded image: " + t.Familiar());
      }
      if (plans[i].tags.empty()) out.push_back("Loaded image ID: " + ids[i].str());
    }
    return out;
  });
}

}  // namespace mini
