#include "store/overlay_marks.h"

#include <sys/xattr.h>

namespace mini {

bool IsOpaqueDir(const std::string& path) {
  char v[2];
  ssize_t n = lgetxattr(path.c_str(), kOpaqueXattr, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

}  // namespace mini
