#pragma once
/// The build arguments BuildKit's dockerfile:1 frontend gives every build without a declaration:
/// the platform ARGs (BUILDPLATFORM, TARGETARCH...: global, so usable in FROM, and in a stage
/// after `ARG NAME`) and the proxy variables (HTTP_PROXY...: given with --build-arg they reach
/// every RUN without a declaration and stay out of the image history). Pure.
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mini::build {

/// NAME, VALUE of the platform ARGs for a build on `build_arch` (Go's GOARCH spelling, "amd64")
/// for `target_platform` ("" = the build platform; "os/arch[/variant]" otherwise), in BuildKit's
/// order; a --build-arg of the same name wins. TARGETSTAGE is `target_stage` or "default".
std::vector<std::pair<std::string, std::string>> AutomaticPlatformArgs(
    const std::string& build_arch, const std::string& target_platform, const std::string& target_stage,
    const std::map<std::string, std::string>& build_args);

/// True for http_proxy, https_proxy, ftp_proxy, no_proxy, all_proxy in any case.
bool IsProxyArg(const std::string& name);

/// What a RUN gets undeclared from proxy build args: HTTP_PROXY=v and http_proxy=v, and so on
/// for https, ftp, no and all (BuildKit's proxyEnvList).
std::vector<std::string> ProxyEnv(const std::map<std::string, std::string>& build_args);

}  // namespace mini::build
