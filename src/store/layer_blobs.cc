#include "store/layer_blobs.h"

#include <algorithm>
#include <tuple>

#include "common/error.h"
#include "common/strings.h"

namespace mini {

namespace {

bool IsDecimal(const std::string& s) {
  return !s.empty() && s.size() <= 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string FormatLayerBlobs(std::vector<LayerBlob> blobs) {
  std::sort(blobs.begin(), blobs.end(), [](const LayerBlob& a, const LayerBlob& b) {
    return std::make_tuple(static_cast<int>(a.format), a.level, a.digest.str()) <
           std::make_tuple(static_cast<int>(b.format), b.level, b.digest.str());
  });
  std::string out;
  for (const auto& b : blobs)
    out += std::string(CompressionName(b.format)) + " " + std::to_string(b.level) + " " + b.digest.str() + " " +
           std::to_string(b.size) + "\n";
  return out;
}

std::vector<LayerBlob> ParseLayerBlobs(const std::string& text) {
  std::vector<LayerBlob> out;
  std::vector<std::string> lines = Split(text, '\n');
  for (size_t i = 0; i < lines.size(); i++) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    auto bad = [&](const std::string& why) {
      return Error("compressed-blobs line " + std::to_string(i + 1) + ": \"" + line + "\": " + why);
    };
    std::vector<std::string> f = Split(line, ' ');
    if (f.size() != 4) throw bad("expected \"FORMAT LEVEL DIGEST SIZE\"");
    LayerBlob b;
    if (f[0] == "gzip") b.format = Compression::kGzip;
    else if (f[0] == "zstd") b.format = Compression::kZstd;
    else throw bad("unknown format \"" + f[0] + "\"");
    if (!IsDecimal(f[1]) || f[1].size() > 3) throw bad("bad level \"" + f[1] + "\"");
    b.level = std::stoi(f[1]);
    auto d = Digest::TryParse(f[2]);
    if (!d) throw bad("bad digest \"" + f[2] + "\"");
    b.digest = *d;
    if (!IsDecimal(f[3])) throw bad("bad size \"" + f[3] + "\"");
    b.size = std::stoull(f[3]);
    out.push_back(b);
  }
  return out;
}

std::optional<LayerBlob> FindLayerBlob(const std::vector<LayerBlob>& blobs, Compression format, int level) {
  for (const auto& b : blobs)
    if (b.format == format && (format != Compression::kZstd || b.level == level)) return b;
  return std::nullopt;
}

}  // namespace mini
