#pragma once
/// mount(2) with the rootfs code's error convention: empty strings mean NULL, and a failure
/// throws Error("mount <what>: <errno>").
#include <sys/mount.h>

#include <string>

#include "common/error.h"

namespace mini::run {

inline void Mount(const std::string& src, const std::string& target, const char* type, unsigned long flags,
                  const std::string& data, const std::string& what) {
  if (mount(src.empty() ? nullptr : src.c_str(), target.c_str(), type, flags,
            data.empty() ? nullptr : data.c_str()) != 0)
    ThrowErrno("mount " + what);
}

}  // namespace mini::run
