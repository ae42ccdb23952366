#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace mini {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInternal: return "internal";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kNoSpace: return "no space";
    case ErrorKind::kPermission: return "permission denied";
  }
  return "internal";
}

ErrorKind KindFromErrno(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT: return ErrorKind::kNoSpace;
    case EACCES:
    case EPERM: return ErrorKind::kPermission;
    case ENOENT: return ErrorKind::kNotFound;
    default: return ErrorKind::kInternal;
  }
}

void ThrowErrno(const std::string& what, int err) {
  throw Error(KindFromErrno(err), what + ": " + std::strerror(err));
}

void ThrowErrno(const std::string& what) { ThrowErrno(what, errno); }

}  // namespace mini
