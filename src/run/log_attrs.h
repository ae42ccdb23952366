#pragma once
/// The extra attributes of a json-file log (Docker's --log-opt labels=, labels-regex=, env=,
/// env-regex=, tag=): written into every line as "attrs" and shown by `logs --details`.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "run/container.h"

namespace mini::run {

/// The attributes for container `c`, as Docker's ExtraAttributes: the labels (the image's,
/// then the container's) named by `labels` (comma-separated) or matched by `labels-regex`, the
/// environment variables named by `env` or matched by `env-regex`, and `tag` (its
/// {{.ID}} {{.FullID}} {{.Name}} {{.ImageID}} {{.ImageFullID}} {{.ImageName}} {{.DaemonName}}
/// filled in). Throws Error(kInvalidInput) for a regex that does not compile.
std::map<std::string, std::string> LogAttributes(const ContainerConfig& c);

/// `logs --details`' prefix: key=value pairs sorted by key, each side escaped as Go's
/// url.QueryEscape, joined by commas, then one space (a space alone without attributes). Pure.
std::string DetailsPrefix(const std::vector<std::pair<std::string, std::string>>& attrs);

}  // namespace mini::run
