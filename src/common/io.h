#pragma once
/// Pull-style byte streams, so unpacking can read from a file, a pipe or a network transfer alike.
#include <cstddef>
#include <string>

#include "common/fs.h"

namespace mini {

/// A source of bytes. Read returns 0 only at end of stream; errors throw Error.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual size_t Read(void* buf, size_t n) = 0;
};

/// Reads from a file descriptor it does not own.
class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  size_t Read(void* buf, size_t n) override { return ReadSome(fd_, buf, n, name_); }

 private:
  int fd_;
  std::string name_;
};

/// Reads from a string held by reference.
class StringSource : public ByteSource {
 public:
  explicit StringSource(const std::string& s) : s_(s) {}
  size_t Read(void* buf, size_t n) override;

 private:
  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace mini
