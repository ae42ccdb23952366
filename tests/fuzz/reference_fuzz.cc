// Fuzzes the image reference parser: any input either parses or throws mini::Error, and what
// parses survives a round trip through its printed forms unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "store/reference.h"

namespace {

void Check(bool ok, const char* what, const std::string& a, const std::string& b) {
  if (ok) return;
  std::fprintf(stderr, "reference_fuzz: %s: \"%s\" vs \"%s\"\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  std::optional<mini::Reference> r;
  try {
    r = mini::ParseReference(s);
  } catch (const mini::Error&) {
  }
  Check(r.has_value() == mini::TryParseReference(s).has_value(), "TryParseReference disagrees", s, "");
  if (!r) return 0;
  std::string full = r->String();
  std::optional<mini::Reference> again = mini::TryParseReference(full);
  Check(again.has_value(), "String() does not parse", s, full);
  Check(again->String() == full, "String() round trip", full, again->String());
  // Like Docker's FamiliarString, "docker.io/localhost/x" prints as "localhost/x", which names
  // another registry (or no valid one): the familiar form of a docker.io path whose first
  // component looks like a host is ambiguous by design, so only the other forms must round-trip.
  std::string familiar = r->Familiar();
  std::string first = familiar.substr(0, familiar.find('/'));
  bool ambiguous = r->domain == "docker.io" && familiar.find('/') != std::string::npos &&
                   (first.find_first_of(".:") != std::string::npos || first == "localhost");
  if (!ambiguous) {
    std::optional<mini::Reference> fam = mini::TryParseReference(familiar);
    Check(fam.has_value(), "Familiar() does not parse", s, familiar);
    Check(fam->String() == full, "Familiar() round trip", full, fam->String());
  }
  Check(r->Name().rfind(r->domain + "/", 0) == 0, "Name() does not start with domain", r->Name(), r->domain);
  return 0;
}
