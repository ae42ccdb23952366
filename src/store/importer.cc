#include "store/importer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "store/blob_store.h"
#include "store/compression.h"
#include "store/oci_types.h"

namespace mini {

using nlohmann::json;

namespace {

/// Copies everything read through it to a file, so the blob is kept in the same pass as unpack.
class TeeSource : public ByteSource {
 public:
  TeeSource(ByteSource& inner, int fd, std::string name) : inner_(inner), fd_(fd), name_(std::move(name)) {}
  size_t Read(void* buf, size_t n) override {
    size_t got = inner_.Read(buf, n);
    WriteAll(fd_, buf, got, name_);
    return got;
  }

 private:
  ByteSource& inner_;
  int fd_;
  std::string name_;
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
  if (m == "ppc64le") return "ppc64le";
  if (m == "s390x") return "s390x";
  if (m == "riscv64") return "riscv64";
  return m;
}

Digest ImportRootfs(const Layout& layout, ImageStore& images, LayerStore& layers, ByteSource& src,
                    const ImportOptions& opts) {
  layout.Ensure();
  TempDir staging(layout.TmpDir(), "import-");
  std::string raw = staging.path() + "/raw";
  UniqueFd raw_fd(open(raw.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!raw_fd) ThrowErrno("create " + raw);
  TeeSource tee(src, raw_fd.get(), raw);
  LayerInfo layer = WithContext("import " + opts.source_name, [&] {
    return layers.CreateFromStream(tee, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
  });

  // Keep the blob compressed: as given when it already was, else gzip the tar we just read.
  BlobStore blobs(layout);
  char head[8] = {};
  ssize_t h = pread(raw_fd.get(), head, sizeof head, 0);
  Compression c = DetectCompression(head, h > 0 ? static_cast<size_t>(h) : 0);
  Descriptor desc;
  if (c == Compression::kNone) {
    std::string gz = staging.path() + "/gz";
    UniqueFd gz_fd(open(gz.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!gz_fd) ThrowErrno("create " + gz);
    if (lseek(raw_fd.get(), 0, SEEK_SET) != 0) ThrowErrno("seek " + raw);
    auto sink = NewCompressingSink(Compression::kGzip, gz_fd.get(), gz);
    std::string buf(1 << 20, '\0');
    while (size_t n = ReadSome(raw_fd.get(), buf.data(), buf.size(), raw)) sink->Write(buf.data(), n);
    sink->Finish();
    uint64_t size = 0;
    Digest d = Sha256OfFile(gz, &size);
    blobs.Adopt(gz, d);
    desc = {media::kOciLayerGzip, d, size, nullptr, nullptr};
  } else {
    blobs.Adopt(raw, layer.blob_digest);
    desc = {c == Compression::kGzip ? media::kOciLayerGzip : media::kOciLayerZstd, layer.blob_digest,
            layer.blob_size, nullptr, nullptr};
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
