#pragma once
/// COPY/ADD --chown: user and group names resolved in the stage's /etc/passwd and /etc/group.
#include <sys/types.h>

#include <string>

#include "build/source_tree.h"

namespace mini::build {

/// Parses --chown=user[:group] as BuildKit: names looked up in the image's /etc/passwd and
/// /etc/group, numbers (and "root") taken as they are; without a group, a named user's primary
/// group from /etc/passwd, a numeric user's same number. Throws Error("unable to find user x:
/// no matching entries in passwd file") for an unknown name (BuildKit silently uses 0 there).
void ResolveChown(const std::string& spec, const SourceTree& image, uid_t* uid, gid_t* gid);

}  // namespace mini::build
