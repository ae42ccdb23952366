#include "store/tar_stream.h"

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace mini {
namespace {

constexpr size_t kChunk = 64 * 1024;

}  // namespace

TarStream::TarStream(Format format, Sink sink, std::string error_prefix, std::string activity)
    : sink_(std::move(sink)), error_prefix_(std::move(error_prefix)), activity_(std::move(activity)),
      a_(archive_write_new()) {
  if (!a_) throw Error(error_prefix_ + "cannot initialise libarchive");
  // The destructor does not run for a throwing constructor: free the handle before throwing.
  auto check = [this](int r, const char* what) {
    if (r >= ARCHIVE_WARN) return;
    const char* msg = archive_error_string(a_);
    std::string text = error_prefix_ + what + ": " + (msg ? msg : "libarchive error");
    archive_write_free(a_);
    a_ = nullptr;
    throw Error(text);
  };
  check(format == Format::kPax ? archive_write_set_format_pax(a_) : archive_write_set_format_pax_restricted(a_),
        "set format");
  check(archive_write_set_bytes_in_last_block(a_, 1), "set block size");
  check(archive_write_open(a_, this, nullptr, &TarStream::WriteCb, nullptr), "open");
}

TarStream::~TarStream() {
  if (a_) archive_write_free(a_);
}

TarStream::EntryPtr TarStream::NewEntry() const {
  EntryPtr e(archive_entry_new(), &archive_entry_free);
  if (!e) throw Error(error_prefix_ + "out of memory");
  return e;
}

void TarStream::WriteHeader(archive_entry* e) {
  int r = archive_write_header(a_, e);
  if (r < ARCHIVE_WARN) Fail("write header");
  if (r == ARCHIVE_WARN) Debug(error_prefix_ + archive_error_string(a_));
}

void TarStream::WriteData(const void* data, size_t n) {
  if (n == 0) return;
  la_ssize_t w = archive_write_data(a_, data, n);
  if (w < 0 || static_cast<size_t>(w) != n) Fail("write data");
}

void TarStream::CopyData(int fd, uint64_t size) {
  std::vector<char> buf(kChunk);
  uint64_t done = 0;
  while (done < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    size_t n = ReadSome(fd, buf.data(), want, "file");
    if (n == 0) throw Error("file shrank while " + activity_);
    WriteData(buf.data(), n);
    done += n;
  }
}

void TarStream::Close() {
  if (archive_write_close(a_) < ARCHIVE_WARN) Fail("close");
}

void TarStream::Fail(const std::string& what) {
  if (error_) std::rethrow_exception(error_);
  const char* msg = archive_error_string(a_);
  throw Error(error_prefix_ + what + ": " + (msg ? msg : "libarchive error"));
}

la_ssize_t TarStream::WriteCb(struct archive* a, void* self_ptr, const void* buf, size_t n) {
  auto* self = static_cast<TarStream*>(self_ptr);
  try {
    self->sink_(buf, n);
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    self->error_ = std::current_exception();
    archive_set_error(a, EIO, "write failed");
    return -1;
  }
}

}  // namespace mini
