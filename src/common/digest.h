#pragma once
/// sha256 digests: validated strings and a streaming hasher over OpenSSL EVP.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mini {

/// A validated `sha256:<64 lowercase hex>` digest. Only a validated digest may become a path or URL.
class Digest {
 public:
  Digest() = default;
  /// Parses "sha256:<hex>"; nullopt unless the algorithm is sha256 and the hex is 64 lowercase chars.
  static std::optional<Digest> TryParse(std::string_view s);
  /// Like TryParse, throws Error("invalid digest \"s\"") on failure.
  static Digest Parse(std::string_view s);
  /// From a bare 64-char hex string; throws on invalid input.
  static Digest FromHex(std::string_view hex);
  static bool IsValidHex(std::string_view hex);

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  /// First 12 hex characters (Docker's short image id).
  std::string Short() const { return hex_.substr(0, 12); }
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.hex_ == b.hex_; }
  friend bool operator<(const Digest& a, const Digest& b) { return a.hex_ < b.hex_; }

 private:
  std::string hex_;
};

/// Streaming sha256. Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  /// Finishes the hash; the object must not be used afterwards.
  Digest Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest Sha256Of(std::string_view data);
/// Hashes a whole file; throws Error naming the path on I/O failure.
Digest Sha256OfFile(const std::string& path, uint64_t* size_out = nullptr);

}  // namespace mini
