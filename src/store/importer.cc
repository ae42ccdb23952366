#include "store/importer.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "store/blob_store.h"
#include "store/lease.h"
#include "store/compression.h"
#include "store/oci_types.h"

namespace mini {

using nlohmann::json;

namespace {

/// gzip-compresses chunks on its own thread into a file while the caller goes on unpacking, so
/// an uncompressed import costs max(unpack, compress) instead of their sum. Bounded queue.
class BackgroundCompressor {
 public:
  BackgroundCompressor(std::string path) : path_(std::move(path)) {
    fd_.reset(open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd_) ThrowErrno("create " + path_);
    thread_ = std::thread([this] { Run(); });
  }
  ~BackgroundCompressor() {
    Close();
    if (thread_.joinable()) thread_.join();
  }
  void Push(const void* data, size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return queue_.size() < kMaxChunks || error_; });
    if (error_) std::rethrow_exception(error_);
    queue_.emplace_back(static_cast<const char*>(data), n);
    cv_.notify_all();
  }
  /// Waits for the compressor; returns the blob's digest and size.
  Digest Finish(uint64_t* size) {
    Close();
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    *size = size_;
    return sha_.Finish();
  }

 private:
  static constexpr size_t kMaxChunks = 16;
  void Close() {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void Run() {
    try {
      auto sink = NewCompressingSinkTo(
          Compression::kGzip,
          [this](const void* d, size_t n) {
            sha_.Update(d, n);
            size_ += n;
            WriteAll(fd_.get(), d, n, path_);
          },
          path_, CompressionSpeed::kFastest);
      for (;;) {
        std::string chunk;
        {
          std::unique_lock<std::mutex> l(mu_);
          cv_.wait(l, [&] { return !queue_.empty() || closed_; });
          if (queue_.empty()) break;
          chunk = std::move(queue_.front());
          queue_.pop_front();
          cv_.notify_all();
        }
        sink->Write(chunk.data(), chunk.size());
      }
      sink->Finish();
    } catch (...) {
      std::lock_guard<std::mutex> l(mu_);
      error_ = std::current_exception();
      cv_.notify_all();
    }
  }

  std::string path_;
  UniqueFd fd_;
  Sha256 sha_;
  uint64_t size_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

/// Keeps the blob in the same pass as the unpack: bytes that are already compressed are copied
/// to a file as they are; a plain tar is handed to the background gzip compressor.
class KeepBlobSource : public ByteSource {
 public:
  KeepBlobSource(ByteSource& inner, std::string dir) : inner_(inner), dir_(std::move(dir)) {}
  size_t Read(void* buf, size_t n) override {
    size_t got = inner_.Read(buf, n);
    if (got == 0) return 0;
    if (!started_) {
      started_ = true;
      compression_ = DetectCompression(buf, got);
      if (compression_ == Compression::kNone) {
        gzip_ = std::make_unique<BackgroundCompressor>(dir_ + "/blob.gz");
      } else {
        raw_.reset(open((dir_ + "/blob").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!raw_) ThrowErrno("create " + dir_ + "/blob");
      }
    }
    if (gzip_) {
      gzip_->Push(buf, got);
    } else {
      WriteAll(raw_.get(), buf, got, dir_ + "/blob");
    }
    return got;
  }
  Compression compression() const { return compression_; }
  BackgroundCompressor* gzip() { return gzip_.get(); }
  std::string raw_path() const { return dir_ + "/blob"; }

 private:
  ByteSource& inner_;
  std::string dir_;
  bool started_ = false;
  Compression compression_ = Compression::kNone;
  std::unique_ptr<BackgroundCompressor> gzip_;
  UniqueFd raw_;
};

}  // namespace

std::string HostArchitecture() {
  utsname u;
  uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i386" || m == "i686") return "386";
  if (m.rfind("arm", 0) == 0) return "arm";
  return m;  // ppc64le, s390x, riscv64 are spelt the same
}

Digest ImportRootfs(const Layout& layout, ImageStore& images, LayerStore& layers, ByteSource& src,
                    const ImportOptions& opts) {
  layout.Ensure();
  LeaseScope scope(layout, "import");  // the new layer and blob, until the image records them
  TempDir staging(layout.TmpDir(), "import-");
  KeepBlobSource keep(src, staging.path());
  LayerInfo layer = WithContext("import " + opts.source_name, [&] {
    return layers.CreateFromStream(keep, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
  });

  BlobStore blobs(layout);
  Descriptor desc;
  if (auto* gz = keep.gzip()) {
    uint64_t size = 0;
    Digest d = gz->Finish(&size);
    blobs.Adopt(staging.path() + "/blob.gz", d);
    desc = {media::kOciLayerGzip, d, size, nullptr, nullptr};
  } else {
    blobs.Adopt(keep.raw_path(), layer.blob_digest);
    desc = {keep.compression() == Compression::kGzip ? media::kOciLayerGzip : media::kOciLayerZstd,
            layer.blob_digest, layer.blob_size, nullptr, nullptr};
  }

  std::string now = NowRfc3339();
  json config = {
      {"architecture", HostArchitecture()},
      {"os", "linux"},
      {"created", now},
      {"config", opts.config.is_object() ? opts.config : json::object()},
      {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({layer.diff_id.str()})}}},
      {"history", json::array({{{"created", now},
                                {"created_by", "mini import"},
                                {"comment", opts.message.empty() ? "Imported from " + opts.source_name : opts.message}}})},
  };
  return images.CreateImage(config, {desc});
}

}  // namespace mini
