// The pull flow (see puller.h).
#include "registry/puller.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "registry/blob_pipe.h"
#include "registry/resolver.h"
#include "store/blob_store.h"
#include "store/lease.h"
#include "store/compression.h"

namespace mini::registry {

namespace {

enum class JobKind { kPresent, kBlobOnly, kUnpackLocal, kDownload };

struct LayerJob {
  size_t index = 0;
  Descriptor desc;
  Digest diff_id;
  Digest chain_id;
  JobKind kind = JobKind::kDownload;
  int row = -1;
  std::optional<StagedLayer> staged;
  std::string blob_tmp;  ///< verified blob file to adopt at commit
};

class Puller {
 public:
  Puller(RegistryClient& client, const Layout& layout, LayerStore& layers, Progress& progress, const std::string& tmp)
      : client_(client), layout_(layout), layers_(layers), progress_(progress), tmp_(tmp) {}

  /// Runs all jobs with `n` workers, biggest blob first (the biggest layer is the longest
  /// pipeline; started last it would run alone at the end, on one core); throws the first
  /// failure after every worker stopped.
  void Run(std::vector<LayerJob>& jobs, int n) {
    std::vector<size_t> order(jobs.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return jobs[a].desc.size > jobs[b].desc.size; });
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (;;) {
        size_t k = next++;
        if (k >= order.size() || failed_) return;
        LayerJob& job = jobs[order[k]];
        try {
          RunJob(job);
        } catch (const std::exception& e) {
          Failed(e.what(), job);
        }
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < std::max(1, n); t++) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (failed_) throw Error(error_);
  }

 private:
  void Failed(const std::string& msg, const LayerJob& job) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_) {
      std::string m = msg;
      if (m.find(job.desc.digest.str()) == std::string::npos) m = "layer " + job.desc.digest.str() + ": " + m;
      error_ = m;
      failed_ = true;
      for (auto* p : pipes_) p->Cancel();  // stop the other transfers
      progress_.State(job.row, "Failed");
    } else {
      progress_.State(job.row, "Cancelled");
    }
  }

  /// Downloads the blob of `job` on a producer thread, which also writes it to job.blob_tmp
  /// and hashes it, into a pipe handed to `consume` on this thread (decompression, diff id and
  /// extraction): the work of one layer is spread over two threads. Once `consume` returns, the
  /// blob's size and digest are checked against the descriptor; a corrupt blob usually fails as
  /// bad gzip or tar first, and is then reported as the digest mismatch it is.
  template <class F>
  void Stream(LayerJob& job, F&& consume) {
    BlobPipe pipe;
    job.blob_tmp = tmp_ + "/" + job.desc.digest.hex() + "-" + std::to_string(job.index);
    UniqueFd fd(open(job.blob_tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) ThrowErrno("create " + job.blob_tmp);
    /// Makes the pipe cancellable by other jobs' failures while it lives.
    struct Registration {
      Puller& self;
      BlobPipe& pipe;
      Registration(Puller& s, BlobPipe& p) : self(s), pipe(p) {
        std::lock_guard<std::mutex> lock(self.mu_);
        if (self.failed_) throw Error("cancelled");
        self.pipes_.insert(&pipe);
      }
      ~Registration() {
        std::lock_guard<std::mutex> lock(self.mu_);
        self.pipes_.erase(&pipe);
      }
    } registration(*this, pipe);
    progress_.State(job.row, "Downloading");
    uint64_t received = 0;
    bool complete = false;  // all bytes arrived, within the descriptor's size
    Digest got;
    std::thread producer([&] {
      bool too_big = false;
      try {
        Sha256 sha;
        client_.FetchBlob(job.desc.digest, [&](const char* p, size_t n) {
          received += n;
          if (received > job.desc.size) {
            too_big = true;
            return false;
          }
          WriteAll(fd.get(), p, n, job.blob_tmp);
          sha.Update(p, n);
          progress_.Bytes(job.row, received);
          return pipe.Write(p, n);
        });
        got = sha.Finish();
        complete = true;
        progress_.State(job.row, "Extracting");  // all bytes are in; the unpacker finishes the tail
        pipe.Close();
      } catch (const std::exception& e) {
        pipe.Fail(too_big ? "layer " + job.desc.digest.str() + ": size mismatch: expected " +
                                std::to_string(job.desc.size) + " bytes, got more"
                          : std::string(e.what()));
      }
    });
    struct Joiner {
      BlobPipe& pipe;
      std::thread& t;
      void Join() {
        if (!t.joinable()) return;
        pipe.Cancel();  // a no-op when the producer is done; else it makes its Write fail
        t.join();
      }
      ~Joiner() { Join(); }
    } joiner{pipe, producer};
    // After the producer is done: a complete blob of the right size must have the right digest.
    auto check_digest = [&] {
      if (complete && received == job.desc.size && !(got == job.desc.digest))
        throw Error("layer " + job.desc.digest.str() + ": digest mismatch: got " + got.str());
    };
    try {
      consume(pipe);
    } catch (const Error&) {
      if (failed_) throw;
      try {
        std::string buf(1 << 20, '\0');
        while (pipe.Read(buf.data(), buf.size()) > 0) {
        }
      } catch (const Error&) {
      }
      joiner.Join();
      check_digest();
      throw;
    }
    joiner.Join();
    if (!complete) throw Error("layer " + job.desc.digest.str() + ": download incomplete");
    if (received != job.desc.size)
      throw Error("layer " + job.desc.digest.str() + ": size mismatch: expected " + std::to_string(job.desc.size) +
                  " bytes, got " + std::to_string(received));
    check_digest();
  }

  void RunJob(LayerJob& job) {
    switch (job.kind) {
      case JobKind::kPresent:
        return;
      case JobKind::kBlobOnly:
        // The layer is unpacked already; only its compressed blob is missing (needed by push).
        Stream(job, [&](ByteSource& src) {  // Stream checks the size and digest
          std::string buf(1 << 20, '\0');
          while (src.Read(buf.data(), buf.size()) > 0) {
          }
        });
        progress_.State(job.row, "Download complete");
        return;
      case JobKind::kUnpackLocal: {
        // The blob is here (e.g. the layer was removed by prune but the blob kept): no download.
        progress_.State(job.row, "Extracting");
        std::string path = layout_.Blob(job.desc.digest);
        UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) ThrowErrno("open " + path);
        FdSource src(fd.get(), path);
        UnpackOptions opts;
        opts.spread_directories = true;
        job.staged = layers_.StageFromStream(src, job.desc.digest, job.desc.size, job.diff_id, opts);
        progress_.State(job.row, "Download complete");
        return;
      }
      case JobKind::kDownload: {
        UnpackOptions opts;
        opts.hash_blob = false;  // Stream hashes and checks it on the download thread
        opts.spread_directories = true;
        Stream(job, [&](ByteSource& src) {
          job.staged = layers_.StageFromStream(src, job.desc.digest, job.desc.size, job.diff_id, opts);
        });
        job.staged->result.blob_digest = job.desc.digest;  // verified by Stream
        job.staged->result.blob_size = job.desc.size;
        progress_.State(job.row, "Download complete");
        return;
      }
    }
  }

  RegistryClient& client_;
  const Layout& layout_;
  LayerStore& layers_;
  Progress& progress_;
  std::string tmp_;
  std::mutex mu_;
  std::atomic<bool> failed_{false};
  std::string error_;
  std::set<BlobPipe*> pipes_;
};

std::string ShortOf(const Digest& d) { return d.Short(); }

}  // namespace

PullResult PullImage(RegistryClient& client, const Layout& layout, LayerStore& layers, ImageStore& images,
                     const Reference& ref, const PullOptions& opts, Progress& progress) {
  layout.Ensure();
  BlobStore blobs(layout);
  ResolvedImage img = ResolveImage(client, ref, opts.platform);
  const Manifest& m = img.manifest;
  // Everything this pull needs, held before it looks at what is present: a prune or rmi running
  // meanwhile keeps it, and a kill -9 leaves a lease the next collection removes.
  LeaseScope scope(layout, "pull");
  {
    LeaseResources need;
    std::optional<Digest> chain;
    for (size_t i = 0; i < m.layers.size(); i++) {
      chain = LayerStore::ChainId(chain, img.diff_ids[i]);
      need.layers.insert(*chain);
      need.blobs.insert(m.layers[i].digest);
    }
    need.blobs.insert(m.config.digest);
    need.blobs.insert(img.manifest_digest);
    scope.lease().Add(need);
  }

  // Plan: which layers are present, which need their blob, which need a download.
  std::vector<LayerJob> jobs(m.layers.size());
  std::optional<Digest> parent;
  for (size_t i = 0; i < m.layers.size(); i++) {
    LayerJob& j = jobs[i];
    j.index = i;
    j.desc = m.layers[i];
    j.diff_id = img.diff_ids[i];
    j.chain_id = LayerStore::ChainId(parent, j.diff_id);
    parent = j.chain_id;
    bool have_layer = layers.Has(j.chain_id);
    bool have_blob = blobs.Has(j.desc.digest);
    if (have_layer && have_blob) j.kind = JobKind::kPresent;
    else if (have_layer) j.kind = JobKind::kBlobOnly;
    else if (have_blob) j.kind = JobKind::kUnpackLocal;
    else j.kind = JobKind::kDownload;
    j.row = progress.Add(ShortOf(j.desc.digest), j.kind == JobKind::kPresent ? "Already exists" : "Waiting", j.desc.size);
  }

  TempDir tmp(layout.TmpDir(), "pull-");
  Puller puller(client, layout, layers, progress, tmp.path());
  puller.Run(jobs, opts.max_concurrent);

  // Commit bottom-up; undo what this pull added if a commit fails half-way.
  std::vector<Digest> added;
  std::vector<Digest> adopted;
  try {
    for (auto& j : jobs) {
      if (!j.blob_tmp.empty() && !blobs.Has(j.desc.digest)) {
        blobs.Adopt(j.blob_tmp, j.desc.digest);
        adopted.push_back(j.desc.digest);
      }
    }
    std::optional<Digest> below;
    for (auto& j : jobs) {
      if (j.staged) {
        bool existed = layers.Has(j.chain_id);
        LayerInfo info = layers.CommitStaged(*j.staged, below);
        if (!(info.chain_id == j.chain_id))
          throw Error("layer " + j.desc.digest.str() + ": chain id mismatch");  // cannot happen: diff id verified
        if (!existed) added.push_back(j.chain_id);
        progress.State(j.row, "Pull complete");
      } else if (j.kind == JobKind::kBlobOnly) {
        progress.State(j.row, "Pull complete");
      }
      below = j.chain_id;
    }
    blobs.PutBytes(img.config_bytes, m.config.digest);
    blobs.PutBytes(img.manifest_bytes, img.manifest_digest);
  } catch (...) {
    // Undo what this pull added, but what another operation holds meanwhile.
    try {
      images.CollectUnused(added, adopted);
    } catch (const std::exception& e) {
      Warn(std::string("cleanup: ") + e.what());
    }
    throw;
  }
  progress.Finish();

  PullResult res;
  res.pulled_digest = img.pulled_digest;
  res.manifest_digest = img.manifest_digest;
  std::optional<ImageRecord> before;
  if (!ref.tag.empty()) before = images.Find(ref.String().substr(0, ref.String().find('@')));
  res.image_id = images.AddImage(img.manifest_digest);
  res.updated = !before || !(before->id == res.image_id);
  if (!ref.tag.empty()) {
    Reference tagged = ref;
    tagged.digest.reset();
    images.Tag(tagged, res.image_id);
  }
  Reference by_digest = ref;
  by_digest.tag.clear();
  by_digest.digest = img.pulled_digest;
  images.AddDigestRef(by_digest, res.image_id);
  return res;
}

}  // namespace mini::registry
