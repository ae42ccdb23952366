// certs.d lookup (see certs_d.h).
#include "registry/certs_d.h"

#include <sys/stat.h>

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace mini::registry {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsDir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

TlsOptions CertsFor(const std::vector<std::string>& certs_dirs, const std::string& host_port) {
  TlsOptions t;
  std::vector<std::string> names{host_port};
  if (EndsWith(host_port, ":443")) names.push_back(host_port.substr(0, host_port.size() - 4));
  for (const auto& root : certs_dirs) {
    for (const auto& name : names) {
      std::string dir = root + "/" + name;
      if (!IsDir(dir)) continue;
      std::vector<std::string> files = ListDirNames(dir);
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::string path = dir + "/" + f;
        if (EndsWith(f, ".crt")) {
          t.ca_files.push_back(path);
        } else if (EndsWith(f, ".cert")) {
          std::string key = dir + "/" + f.substr(0, f.size() - 5) + ".key";
          if (!PathExists(key)) throw Error("missing key " + key + " for client certificate " + path);
          if (!t.cert_file.empty()) {
            Warn(path + ": more than one client certificate for " + host_port + ", using " + t.cert_file);
            continue;
          }
          t.cert_file = path;
          t.key_file = key;
        } else if (EndsWith(f, ".key")) {
          std::string cert = dir + "/" + f.substr(0, f.size() - 4) + ".cert";
          if (!PathExists(cert)) throw Error("missing client certificate " + cert + " for key " + path);
        }
      }
      Debug("TLS for " + host_port + " from " + dir);
      return t;
    }
  }
  return t;
}

}  // namespace mini::registry
