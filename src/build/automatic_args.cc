#include "build/automatic_args.h"

#include <cctype>

namespace mini::build {

namespace {

struct Platform {
  std::string os = "linux", arch, variant;
  std::string Format() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }
};

Platform ParsePlatform(const std::string& s, const std::string& fallback_arch) {
  Platform p;
  p.arch = fallback_arch;
  if (s.empty()) return p;
  size_t a = s.find('/');
  p.os = s.substr(0, a);
  if (a == std::string::npos) return p;
  size_t b = s.find('/', a + 1);
  p.arch = s.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) p.variant = s.substr(b + 1);
  return p;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> AutomaticPlatformArgs(
    const std::string& build_arch, const std::string& target_platform, const std::string& target_stage,
    const std::map<std::string, std::string>& build_args) {
  Platform bp = ParsePlatform("", build_arch);
  Platform tp = target_platform.empty() ? bp : ParsePlatform(target_platform, build_arch);
  std::vector<std::pair<std::string, std::string>> out = {
      {"BUILDPLATFORM", bp.Format()},  {"BUILDOS", bp.os},         {"BUILDOSVERSION", ""},
      {"BUILDARCH", bp.arch},          {"BUILDVARIANT", bp.variant}, {"TARGETPLATFORM", tp.Format()},
      {"TARGETOS", tp.os},             {"TARGETOSVERSION", ""},     {"TARGETARCH", tp.arch},
      {"TARGETVARIANT", tp.variant},   {"TARGETSTAGE", target_stage.empty() ? "default" : target_stage},
  };
  for (auto& [k, v] : out)
    if (auto it = build_args.find(k); it != build_args.end()) v = it->second;
  return out;
}

bool IsProxyArg(const std::string& name) {
  std::string l;
  for (char c : name) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "http_proxy" || l == "https_proxy" || l == "ftp_proxy" || l == "no_proxy" || l == "all_proxy";
}

std::vector<std::string> ProxyEnv(const std::map<std::string, std::string>& build_args) {
  // BuildKit: the keys in sorted order (a later spelling wins), each value set in both cases.
  static const char* const kinds[] = {"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"};
  std::map<std::string, std::string> value;
  for (const auto& [k, v] : build_args) {
    std::string l;
    for (char c : k) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (IsProxyArg(l)) value[l] = v;
  }
  std::vector<std::string> out;
  for (const char* kind : kinds) {
    auto it = value.find(kind);
    if (it == value.end() || it->second.empty()) continue;
    std::string upper;
    for (const char* c = kind; *c; ++c) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    out.push_back(upper + "=" + it->second);
    out.push_back(std::string(kind) + "=" + it->second);
  }
  return out;
}

}  // namespace mini::build
