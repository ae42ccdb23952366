#include "store/blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "store/lease.h"

namespace mini {

bool BlobStore::Has(const Digest& d) const { return PathExists(Path(d)); }

uint64_t BlobStore::Size(const Digest& d) const {
  struct stat st;
  if (stat(Path(d).c_str(), &st) != 0) ThrowErrno("blob " + d.str());
  return static_cast<uint64_t>(st.st_size);
}

Digest BlobStore::Put(ByteSource& src, const std::optional<Digest>& expect,
                      const std::optional<uint64_t>& expect_size, uint64_t* size_out) {
  std::string tmp;
  UniqueFd fd = CreateLockedFile(layout_.TmpDir(), "blob-", &tmp);  // locked: in use for cleaners
  try {
    Sha256 h;
    uint64_t total = 0;
    std::string buf(1 << 20, '\0');
    for (;;) {
      size_t want = buf.size();
      if (expect_size && *expect_size + 1 - total < want) want = *expect_size + 1 - total;
      if (want == 0) break;
      size_t n = src.Read(buf.data(), want);
      if (n == 0) break;
      h.Update(buf.data(), n);
      WriteAll(fd.get(), buf.data(), n, tmp);
      total += n;
    }
    std::string name = expect ? "blob " + expect->str() : std::string("blob");
    if (expect_size && total != *expect_size)
      throw Error(name + ": size mismatch: expected " + std::to_string(*expect_size) +
                  " bytes, got " + (total > *expect_size ? "more" : std::to_string(total)));
    Digest got = h.Finish();
    if (expect && !(got == *expect)) throw Error(name + ": digest mismatch: got " + got.str());
    if (size_out) *size_out = total;
    Adopt(tmp, got);
    return got;
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
}

Digest BlobStore::PutBytes(std::string_view data, const std::optional<Digest>& expect) {
  std::string copy(data);
  StringSource src(copy);
  return Put(src, expect, expect ? std::optional<uint64_t>(data.size()) : std::nullopt);
}

void BlobStore::Adopt(const std::string& path, const Digest& d) {
  MakeDirs(layout_.BlobsDir());
  // Referenced before it becomes visible: a collection running meanwhile keeps it.
  if (Lease* lease = CurrentLease()) lease->AddBlob(d);
  chmod(path.c_str(), 0644);
  if (rename(path.c_str(), Path(d).c_str()) != 0) {
    int err = errno;
    unlink(path.c_str());
    ThrowErrno("store blob " + d.str(), err);
  }
}

std::string BlobStore::Read(const Digest& d, uint64_t max_size) const {
  std::string data = WithContext("blob " + d.str(), [&] { return ReadFile(Path(d), max_size); });
  if (!(Sha256Of(data) == d)) throw Error("blob " + d.str() + ": content does not match its digest");
  return data;
}

void BlobStore::Remove(const Digest& d) {
  if (unlink(Path(d).c_str()) != 0 && errno != ENOENT) ThrowErrno("remove blob " + d.str());
}

std::vector<Digest> BlobStore::List() const {
  std::vector<Digest> out;
  for (const auto& n : ListDirNames(layout_.BlobsDir()))
    if (Digest::IsValidHex(n)) out.push_back(Digest::FromHex(n));
  return out;
}

}  // namespace mini
