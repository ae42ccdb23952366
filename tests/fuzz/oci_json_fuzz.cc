// Fuzzes the decoding of registry documents: manifest, index and image config JSON, as the
// resolver sees them (documents above kMaxDocumentSize are refused before parsing). The first
// byte picks the Content-Type the "registry" claimed; the rest is the document.
#include <cstdint>
#include <string>

#include "build/stage_state.h"
#include "common/error.h"
#include "registry/resolver.h"
#include "net/port_spec.h"
#include "run/process_spec.h"
#include "store/blob_store.h"
#include "store/oci_types.h"

namespace {

const char* const kTypes[] = {
    "",
    "application/json",
    mini::media::kOciManifest,
    mini::media::kDockerManifest,
    mini::media::kOciIndex,
    mini::media::kDockerManifestList,
    "application/vnd.docker.distribution.manifest.v1+json",
    mini::media::kOciConfig,
};

template <class F>
void Try(F f) {
  try {
    f();
  } catch (const mini::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string ct = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
  std::string doc(reinterpret_cast<const char*>(data + 1), size - 1);
  if (doc.size() > mini::kMaxDocumentSize) return 0;
  Try([&] {
    std::string parse_type;
    mini::registry::ClassifyDocument(doc, ct, &parse_type);
  });
  Try([&] { mini::ParseIndex(doc, ct); });
  Try([&] {
    mini::Manifest m = mini::ParseManifest(doc, ct);
    for (const auto& l : m.layers) mini::DescriptorToJson(l);
    mini::registry::CheckImage(m, mini::ParseJson(doc, "config"));
  });
  // The same bytes as an image config: what run and build read from it.
  Try([&] {
    nlohmann::json config = mini::ParseJson(doc, "config");
    if (!config.is_object()) return;
    Try([&] { mini::net::ExposedPortRequests(config); });
    Try([&] {
      mini::run::RunSpec spec;
      mini::run::MakeProcessSpec(config.contains("config") ? config["config"] : nlohmann::json(), spec, "host",
                                 [](const std::string&) -> const char* { return nullptr; });
    });
    Try([&] {
      mini::build::StageState st = mini::build::StateFromImage(config);
      st.Env();
      st.SubstitutionVars();
      st.Shell();
      st.Workdir();
    });
  });
  return 0;
}
