#include "store/overlay_marks.h"

#include <sys/xattr.h>

#include "common/rootless.h"

namespace mini {

const char* OpaqueXattr() { return IsRootless() ? kUserOpaqueXattr : kOpaqueXattr; }

bool IsOpaqueDir(const std::string& path) {
  char v[2];
  ssize_t n = lgetxattr(path.c_str(), OpaqueXattr(), v, sizeof v);
  return n == 1 && v[0] == 'y';
}

}  // namespace mini
