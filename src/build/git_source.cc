#include "build/git_source.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <regex>

#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"

extern char** environ;

namespace mini::build {

namespace {

bool IsHex40(const std::string& s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Splits "a=b&c" into key -> values (no percent-decoding beyond '+' being kept: git URLs rarely
/// need it).
std::map<std::string, std::vector<std::string>> ParseQuery(const std::string& q) {
  std::map<std::string, std::vector<std::string>> out;
  size_t i = 0;
  while (i <= q.size() && !q.empty()) {
    size_t j = q.find('&', i);
    if (j == std::string::npos) j = q.size();
    std::string kv = q.substr(i, j - i);
    i = j + 1;
    if (kv.empty()) {
      if (j == q.size()) break;
      continue;
    }
    size_t eq = kv.find('=');
    out[kv.substr(0, eq)].push_back(eq == std::string::npos ? "" : kv.substr(eq + 1));
    if (j == q.size()) break;
  }
  return out;
}

void ApplyQuery(GitRef& g, const std::string& query) {
  std::string tag, branch;
  for (const auto& [k, v] : ParseQuery(query)) {
    if (v.size() > 1) throw Error("query \"" + k + "\" has multiple values");
    std::string val = v.empty() ? "" : v[0];
    if (val.empty() && k != "keep-git-dir") throw Error("query \"" + k + "\" has no value");
    if (k == "ref") {
      if (!g.ref.empty() && g.ref != val) throw Error("ref conflicts: \"" + g.ref + "\" vs \"" + val + "\"");
      g.ref = val;
    } else if (k == "tag") {
      tag = val.rfind("refs/tags/", 0) == 0 ? val : "refs/tags/" + val;
    } else if (k == "branch") {
      branch = val.rfind("refs/heads/", 0) == 0 ? val : "refs/heads/" + val;
    } else if (k == "subdir") {
      std::string sd = JoinPath(CleanPathComponents(val));
      if (!g.subdir.empty() && g.subdir != sd) throw Error("subdir conflicts: \"" + g.subdir + "\" vs \"" + sd + "\"");
      g.subdir = sd;
    } else if (k == "checksum" || k == "commit") {
      g.checksum = val;
    } else if (k == "keep-git-dir") {
      if (val.empty() || val == "true" || val == "1") g.keep_git_dir = true;
      else if (val == "false" || val == "0") g.keep_git_dir = false;
      else throw Error("invalid keep-git-dir value: \"" + val + "\"");
    } else {
      throw Error("unexpected query \"" + k + "\"");
    }
  }
  if (!tag.empty() && !branch.empty()) throw Error("branch conflicts with tag");
  for (const std::string& r : {tag, branch}) {
    if (r.empty()) continue;
    if (!g.ref.empty() && g.ref != r) throw Error("ref conflicts: \"" + g.ref + "\" vs \"" + r + "\"");
    g.ref = r;
  }
}

void ApplyFragment(GitRef& g, const std::string& fragment) {
  if (fragment.empty()) return;
  size_t colon = fragment.find(':');
  g.ref = fragment.substr(0, colon);
  if (colon != std::string::npos) g.subdir = JoinPath(CleanPathComponents(fragment.substr(colon + 1)));
}

struct Output {
  int status = 0;
  std::string out, err;
};

/// Runs git with `args` (argv, no shell), stdin from /dev/null, collecting both outputs.
Output RunGit(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-c", "protocol.file.allow=always", "-c", "init.defaultBranch=main"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env_store = {"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1"};
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("GIT_", 0) == 0 || kv.rfind("LC_ALL=", 0) == 0) continue;
    env_store.push_back(kv);
  }
  std::vector<char*> cenv;
  for (auto& e : env_store) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  UniqueFd out_r, out_w, err_r, err_w;
  Pipe(&out_r, &out_w);
  Pipe(&err_r, &err_w);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, "git", &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    ThrowErrno("exec git (is git installed?)");
  }
  out_w.reset();
  err_w.reset();
  Output o;
  struct pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  int open_fds = 2;
  char buf[1 << 14];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? o.out : o.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

std::string LastLines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s.empty() ? "git failed" : s;
}

Output MustGit(const std::vector<std::string>& args, const std::string& what) {
  Output o = RunGit(args);
  if (o.status != 0) throw Error(what + ": " + LastLines(o.err));
  return o;
}

}  // namespace

std::optional<GitRef> ParseGitRef(const std::string& src) {
  if (src.rfind("./", 0) == 0 || src.rfind("../", 0) == 0 || src.rfind("github.com/", 0) == 0) return std::nullopt;
  GitRef g;
  static const std::regex proto_re("^([a-zA-Z0-9]+)://");
  static const std::regex scp_re("^([a-zA-Z0-9_-]+)@([a-zA-Z0-9.-]+):(.*?)(?:\\?(.*?))?(?:#(.*))?$");
  std::smatch m;
  if (std::regex_search(src, m, proto_re)) {
    std::string scheme = m[1].str();
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "http" && scheme != "https" && scheme != "ssh" && scheme != "git" && scheme != "file")
      return std::nullopt;
    std::string rest = src;
    std::string fragment, query;
    if (size_t h = rest.find('#'); h != std::string::npos) {
      fragment = rest.substr(h + 1);
      rest = rest.substr(0, h);
    }
    if (size_t q = rest.find('?'); q != std::string::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (scheme == "http" || scheme == "https") {
      size_t host = rest.find('/', scheme.size() + 3);
      std::string path = host == std::string::npos ? "" : rest.substr(host);
      if (path.size() < 4 || path.compare(path.size() - 4, 4, ".git") != 0) return std::nullopt;
    }
    g.remote = rest;
    ApplyFragment(g, fragment);
    ApplyQuery(g, query);
    return g;
  }
  if (std::regex_match(src, m, scp_re)) {
    g.remote = m[1].str() + "@" + m[2].str() + ":" + m[3].str();
    ApplyFragment(g, m[5].str());
    ApplyQuery(g, m[4].str());
    return g;
  }
  return std::nullopt;
}

std::string ResolveGitCommit(const GitRef& ref) {
  if (IsHex40(ref.ref)) return ref.ref;
  std::string want = ref.ref.empty() ? "HEAD" : ref.ref;
  Output o = MustGit({"ls-remote", "--", ref.remote, want}, "git ls-remote " + ref.remote);
  // Exact names first: HEAD, refs/heads/X, refs/tags/X (peeled for an annotated tag), X.
  std::map<std::string, std::string> refs;
  size_t i = 0;
  while (i < o.out.size()) {
    size_t j = o.out.find('\n', i);
    if (j == std::string::npos) j = o.out.size();
    std::string line = o.out.substr(i, j - i);
    i = j + 1;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    refs[line.substr(tab + 1)] = line.substr(0, tab);
  }
  for (const std::string& name : {want, "refs/heads/" + want, "refs/tags/" + want}) {
    if (auto it = refs.find(name + "^{}"); it != refs.end()) return it->second;
    if (auto it = refs.find(name); it != refs.end()) return it->second;
  }
  throw Error("git ref " + want + " not found in " + ref.remote);
}

void FetchGitCommit(const GitRef& ref, const std::string& commit, const std::string& dir, bool keep_git_dir) {
  std::string what = "git fetch " + ref.remote + (ref.ref.empty() ? "" : "#" + ref.ref);
  MustGit({"init", "-q", "--", dir}, "git init " + dir);
  // A shallow fetch of the commit; servers that refuse it (dumb http, no fetch by id) get the
  // ref fetched whole instead.
  Output o = RunGit({"-C", dir, "fetch", "-q", "--depth=1", "--no-tags", "--", ref.remote, commit});
  if (o.status != 0) {
    std::string name = ref.ref.empty() || IsHex40(ref.ref) ? "HEAD" : ref.ref;
    Output full = RunGit({"-C", dir, "fetch", "-q", "--no-tags", "--", ref.remote, name});
    if (full.status != 0) throw Error(what + ": " + LastLines(o.err));
  }
  MustGit({"-C", dir, "-c", "advice.detachedHead=false", "checkout", "-q", commit}, what + ": checkout " + commit);
  std::string head = MustGit({"-C", dir, "rev-parse", "HEAD"}, what).out;
  while (!head.empty() && (head.back() == '\n' || head.back() == ' ')) head.pop_back();
  if (head != commit) throw Error(what + ": checked out " + head + ", expected " + commit);
  if (!keep_git_dir) RemoveTree(dir + "/.git");
}

}  // namespace mini::build
