// Fuzzes the WWW-Authenticate challenge parser (never throws, by contract) and the Base64
// decoder used for credentials (round trip through the encoder).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "registry/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mini::registry;
  std::string in(reinterpret_cast<const char*>(data), size);
  for (const Challenge& c : ParseWwwAuthenticate(in)) {
    c.Param("realm");
    c.Param("service");
    c.Param("scope");
  }
  if (auto dec = Base64Decode(in)) {
    if (Base64Decode(Base64Encode(*dec)) != *dec) {
      std::fprintf(stderr, "www_auth_fuzz: Base64 round trip failed\n");
      std::abort();
    }
  }
  if (Base64Decode(Base64Encode(in)) != in) {
    std::fprintf(stderr, "www_auth_fuzz: Base64Encode output does not decode back\n");
    std::abort();
  }
  return 0;
}
