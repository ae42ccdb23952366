#pragma once
/// Content-addressed blobs: blobs/sha256/<hex>, exact bytes of manifests, configs and layers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/io.h"
#include "store/layout.h"

namespace mini {

/// Default cap for documents (manifests, configs, indexes) read into memory.
constexpr uint64_t kMaxDocumentSize = 4 << 20;

/// Blob storage. Every write goes to tmp/, is verified, then renamed into place (atomic;
/// concurrent writers of the same blob are harmless). Thread-safe.
class BlobStore {
 public:
  explicit BlobStore(const Layout& layout) : layout_(layout) {}

  bool Has(const Digest& d) const;
  std::string Path(const Digest& d) const { return layout_.Blob(d); }
  /// Size of a stored blob; throws if absent.
  uint64_t Size(const Digest& d) const;

  /// Streams `src` into the store. If `expect` is given the content must hash to it, and if
  /// `expect_size` is given it must have exactly that many bytes (at most size+1 are read).
  /// Throws Error("blob sha256:..: digest mismatch" / "size mismatch") and leaves nothing.
  Digest Put(ByteSource& src, const std::optional<Digest>& expect = std::nullopt,
             const std::optional<uint64_t>& expect_size = std::nullopt, uint64_t* size_out = nullptr);
  Digest PutBytes(std::string_view data, const std::optional<Digest>& expect = std::nullopt);
  /// Moves a finished file (which must be on the store's filesystem, e.g. under tmp/) into place
  /// as blob `d`. The caller has already verified the digest.
  void Adopt(const std::string& path, const Digest& d);

  /// Reads a blob of at most `max_size` bytes (documents); verifies its digest again.
  std::string Read(const Digest& d, uint64_t max_size = kMaxDocumentSize) const;
  void Remove(const Digest& d);
  std::vector<Digest> List() const;

 private:
  const Layout& layout_;
};

}  // namespace mini
