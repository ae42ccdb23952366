#include "common/digest.h"

#include <fcntl.h>
#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256_Init and friends: see Sha256::Ctx
#include <openssl/sha.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"

namespace mini {

bool Digest::IsValidHex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::optional<Digest> Digest::TryParse(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto hex = s.substr(kPrefix.size());
  if (!IsValidHex(hex)) return std::nullopt;
  Digest d;
  d.hex_ = std::string(hex);
  return d;
}

Digest Digest::Parse(std::string_view s) {
  auto d = TryParse(s);
  if (!d) throw Error(ErrorKind::kInvalidInput, "invalid digest \"" + std::string(s.substr(0, 100)) + "\"");
  return *d;
}

Digest Digest::FromHex(std::string_view hex) {
  if (!IsValidHex(hex)) throw Error(ErrorKind::kInvalidInput, "invalid digest \"" + std::string(hex.substr(0, 100)) + "\"");
  Digest d;
  d.hex_ = std::string(hex);
  return d;
}

// OpenSSL's SHA256_* functions, not EVP: the same assembly (SHA extensions where the CPU has
// them, measured at the same MB/s), but EVP's first digest fetches its provider and builds the
// name tables, ~1 ms at every start of a command that hashes anything (run reads the image
// config through its digest). Deprecated since OpenSSL 3.0, still in every build of it.
struct Sha256::Ctx {
  SHA256_CTX sha;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (SHA256_Init(&ctx_->sha) != 1) throw Error("sha256: cannot initialise OpenSSL digest");
}

Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t n) {
  if (n) SHA256_Update(&ctx_->sha, data, n);
}

Digest Sha256::Finish() {
  unsigned char out[SHA256_DIGEST_LENGTH];
  const unsigned len = SHA256_DIGEST_LENGTH;
  SHA256_Final(out, &ctx_->sha);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; i++) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return Digest::FromHex(hex);
}

Digest Sha256Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

Digest Sha256OfFile(const std::string& path, uint64_t* size_out) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  Sha256 h;
  uint64_t total = 0;
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("read " + path);
    }
    if (n == 0) break;
    h.Update(buf.data(), n);
    total += n;
  }
  if (size_out) *size_out = total;
  return h.Finish();
}

}  // namespace mini
