// WORKDIR's mkdir (see workdir_step.h).
#include "build/workdir_step.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/path.h"

namespace mini::build {

void MakeWorkdirDiff(const LayerView& image, const std::string& wd, uid_t uid, gid_t gid, const std::string& diff_dir) {
  std::vector<std::string> comps = image.Resolve(wd, true);
  std::vector<std::string> prefix;
  size_t first_missing = comps.size();
  for (size_t i = 0; i < comps.size(); ++i) {
    prefix.push_back(comps[i]);
    auto e = image.Lstat(prefix);
    if (!e) {
      first_missing = i;
      break;
    }
    if (!S_ISDIR(e->st.st_mode)) throw Error("mkdir " + wd + ": /" + JoinPath(prefix) + " is not a directory");
  }
  if (first_missing == comps.size()) return;
  std::string host = diff_dir;
  prefix.clear();
  for (size_t i = 0; i < comps.size(); ++i) {
    prefix.push_back(comps[i]);
    host += "/" + comps[i];
    mode_t mode = 0755;
    uid_t u = uid;
    gid_t g = gid;
    if (i < first_missing) {
      auto e = image.Lstat(prefix);
      mode = e->st.st_mode & 07777;
      u = e->st.st_uid;
      g = e->st.st_gid;
    }
    if (mkdir(host.c_str(), 0700) != 0) ThrowErrno("mkdir " + host);
    if (lchown(host.c_str(), u, g) != 0) ThrowErrno("chown " + host);
    if (chmod(host.c_str(), mode) != 0) ThrowErrno("chmod " + host);
  }
}

}  // namespace mini::build
