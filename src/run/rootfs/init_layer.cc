#include "run/rootfs/init_layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/fs.h"

namespace mini::run {

std::string FilterResolvConf(const std::string& host_resolv) {
  std::string out;
  bool has_ns = false;
  size_t i = 0;
  while (i < host_resolv.size()) {
    size_t j = host_resolv.find('\n', i);
    if (j == std::string::npos) j = host_resolv.size();
    std::string line = host_resolv.substr(i, j - i);
    i = j + 1;
    size_t s = line.find_first_not_of(" \t");
    if (s != std::string::npos && line.compare(s, 10, "nameserver") == 0) {
      size_t a = line.find_first_not_of(" \t", s + 10);
      std::string addr = a == std::string::npos ? "" : line.substr(a, line.find_first_of(" \t#", a) - a);
      if (addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("0:0:0:0:0:0:0:1", 0) == 0) continue;
      has_ns = true;
    }
    out += line + "\n";
  }
  if (!has_ns) out += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
  return out;
}

namespace {

void MkdirAt(int dirfd, const char* name, mode_t mode) {
  if (mkdirat(dirfd, name, mode) != 0 && errno != EEXIST) ThrowErrno(std::string("mkdir ") + name);
}

void WriteAt(int dirfd, const char* name, const std::string& data) {
  UniqueFd fd(openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) ThrowErrno(std::string("create ") + name);
  WriteAll(fd.get(), data.data(), data.size(), name);
}

}  // namespace

namespace {

/// Docker's init layer content in the directory open at `d`.
void PopulateInitLayer(int d, const InitLayerFiles& f) {
  for (const char* dir : {"proc", "sys", "dev", "dev/pts", "dev/shm", "etc"}) MkdirAt(d, dir, 0755);
  WriteAt(d, "etc/hostname", f.hostname + "\n");
  WriteAt(d, "etc/hosts", f.hosts);
  WriteAt(d, "etc/resolv.conf", f.resolv_conf);
  WriteAt(d, ".dockerenv", "");
  MkdirAt(d, "run", 0755);
  WriteAt(d, "run/.containerenv", "");  // podman's marker
  if (symlinkat("/proc/mounts", d, "etc/mtab") != 0 && errno != EEXIST) ThrowErrno("symlink etc/mtab");
}

}  // namespace

void CreateContainerLayers(const Layout& layout, const std::string& cid, const InitLayerFiles& f) {
  std::string init = layout.LayerDir(cid + "-init");
  std::string rw = layout.LayerDir(cid);
  try {
    if (mkdir(init.c_str(), 0700) != 0) ThrowErrno("mkdir " + init);
    if (mkdir(rw.c_str(), 0700) != 0) ThrowErrno("mkdir " + rw);
    UniqueFd ifd(open(init.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!ifd) ThrowErrno("open " + init);
    MkdirAt(ifd.get(), "diff", 0755);
    UniqueFd d(openat(ifd.get(), "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) ThrowErrno("open " + init + "/diff");
    PopulateInitLayer(d.get(), f);
    UniqueFd r(open(rw.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!r) ThrowErrno("open " + rw);
    MkdirAt(r.get(), "diff", 0755);
    MkdirAt(r.get(), "work", 0700);
    MkdirAt(r.get(), "merged", 0700);
  } catch (const Error& e) {
    RemoveContainerLayers(layout, cid);
    throw Error("create container layers: " + std::string(e.what()));
  }
}

void CreateEphemeralLayers(const EphemeralLayers& l, const InitLayerFiles& f) {
  WithContext("create container layers", [&] {
    std::string rw = l.upper.substr(0, l.upper.rfind('/'));  // overlay2/<id>, on the store's disk
    if (mkdir(rw.c_str(), 0700) != 0) ThrowErrno("mkdir " + rw);
    for (const std::string* dir : {&l.init, &l.upper, &l.work, &l.merged})
      if (mkdir(dir->c_str(), dir == &l.init || dir == &l.upper ? 0755 : 0700) != 0) ThrowErrno("mkdir " + *dir);
    UniqueFd d(open(l.init.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) ThrowErrno("open " + l.init);
    PopulateInitLayer(d.get(), f);
  });
}

void RemoveContainerLayers(const Layout& layout, const std::string& cid) {
  RemoveTree(layout.LayerDir(cid));
  RemoveTree(layout.LayerDir(cid + "-init"));
}

}  // namespace mini::run
