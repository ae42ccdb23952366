#include "common/io.h"

#include <algorithm>
#include <cstring>

namespace mini {

size_t StringSource::Read(void* buf, size_t n) {
  size_t k = std::min(n, s_.size() - pos_);
  std::memcpy(buf, s_.data() + pos_, k);
  pos_ += k;
  return k;
}

}  // namespace mini
