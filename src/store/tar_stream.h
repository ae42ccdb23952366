#pragma once
/// A tar stream written with libarchive (pax format, no padding to a block size), whose bytes go
/// to a sink as they are produced. Layer packing and `export` write through it (`save` has its
/// own small writer for fixed-content entries). Failures are mini::Error, the sink's own error
/// first.
#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

namespace mini {

class TarStream {
 public:
  enum class Format {
    kPax,            ///< ustar headers, pax extensions where needed (xattrs, long names)
    kPaxRestricted,  ///< the same, but no pax header for what ustar can hold
  };
  using Sink = std::function<void(const void* data, size_t n)>;
  using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

  /// `error_prefix` starts every error message ("pack: ", or "" when the caller adds context);
  /// `activity` names the work in "file shrank while <activity>". Throws Error.
  TarStream(Format format, Sink sink, std::string error_prefix, std::string activity);
  ~TarStream();
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  /// A fresh entry. Throws Error when out of memory.
  EntryPtr NewEntry() const;
  /// Writes a header; libarchive's warnings go to the debug log. Throws Error.
  void WriteHeader(archive_entry* e);
  /// Writes `n` bytes of the current entry's data. Throws Error.
  void WriteData(const void* data, size_t n);
  /// Copies exactly `size` bytes from `fd` as the current entry's data. Throws Error.
  void CopyData(int fd, uint64_t size);
  /// Writes the end-of-archive blocks. Throws Error.
  void Close();
  /// Throws the sink's error if it failed, else Error("<prefix><what>: <libarchive's message>").
  [[noreturn]] void Fail(const std::string& what);

 private:
  static la_ssize_t WriteCb(struct archive* a, void* self, const void* buf, size_t n);

  Sink sink_;
  std::string error_prefix_;
  std::string activity_;
  struct archive* a_;
  std::exception_ptr error_;
};

}  // namespace mini
