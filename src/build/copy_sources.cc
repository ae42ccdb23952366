#include "build/copy_sources.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "build/remote_source.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"
#include "registry/http_client.h"

namespace mini::build {

std::string ExpandHeredocBody(const std::string& body, const VarLookup& vars) {
  // BuildKit expands with its lexer's quote processing off: quotes are plain characters. Ours
  // always processes them, so each quote is escaped first (an escaped pair is kept as it is).
  std::string escaped;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      escaped += c;
      escaped += body[++i];
    } else if (c == '\'' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else {
      escaped += c;
    }
  }
  return ShellLex('\\').ProcessWord(escaped, vars);
}

std::optional<std::string> HeredocName(const std::string& word) {
  if (word.rfind("<<", 0) != 0) return std::nullopt;
  std::string n = word.substr(2);
  if (!n.empty() && n[0] == '-') n = n.substr(1);
  if (n.size() >= 2 && (n[0] == '"' || n[0] == '\'') && n.back() == n[0]) n = n.substr(1, n.size() - 2);
  if (n.empty()) return std::nullopt;
  return n;
}

ExtraSources::ExtraSources(std::string tmp_dir, std::string url_dir, registry::HttpClient* http)
    : tmp_(std::move(tmp_dir)), url_dir_(std::move(url_dir)), http_(http) {}

registry::HttpClient& ExtraSources::Http() {
  if (!http_) {
    own_http_ = registry::NewCurlHttpClient();
    http_ = own_http_.get();
  }
  return *http_;
}
ExtraSources::~ExtraSources() = default;

const std::string& ExtraSources::NewDir(const std::string& prefix) {
  dirs_.push_back(std::make_unique<TempDir>(tmp_, prefix));
  return dirs_.back()->path();
}

ExpandedSource ExtraSources::AddHeredoc(const std::string& name, const std::string& content) {
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    throw Error("invalid here-document name \"" + name + "\"");
  std::string dir = NewDir("heredoc-");
  WriteFileAtomic(dir + "/" + name, content, 0644);
  chmod((dir + "/" + name).c_str(), 0644);  // whatever the umask
  trees_.push_back(std::make_unique<ContextTree>(dir, IgnorePatterns()));
  ExpandedSource s;
  s.tree = trees_.back().get();
  s.path = {name};
  s.key = "heredoc " + name + " " + Sha256Of(content).str();
  return s;
}

ExpandedSource ExtraSources::AddHttp(const std::string& url, const std::optional<Digest>& checksum) {
  std::string dir = NewDir("add-url-");
  // What the URL answered last time: {etag, last_modified, digest, name}.
  std::string rec_path = url_dir_ + "/" + Sha256Of(url).hex();
  std::optional<nlohmann::json> rec;
  try {
    if (auto text = ReadFileIfExists(rec_path, 1 << 16)) {
      auto j = nlohmann::json::parse(*text, nullptr, false);
      if (j.is_object() && j.value("digest", "") != "" && Digest::TryParse(j.value("digest", ""))) rec = j;
    }
  } catch (const Error&) {
  }
  std::optional<HttpValidators> known;
  if (rec && (!checksum || checksum->str() == (*rec)["digest"].get<std::string>()))
    known = HttpValidators{rec->value("etag", ""), rec->value("last_modified", "")};
  if (known && known->etag.empty() && known->last_modified.empty()) known.reset();
  HttpDownload d = DownloadHttp(Http(), url, dir, checksum, known);
  trees_.push_back(std::make_unique<ContextTree>(dir, IgnorePatterns()));
  if (d.not_modified) {
    d.digest = Digest::Parse((*rec)["digest"].get<std::string>());
    d.last_modified = known->last_modified;
    urls_.push_back({url, dir, d.digest, trees_.back().get(), false});
  } else if (!d.etag.empty() || !d.last_modified.empty()) {
    nlohmann::json j = {{"etag", d.etag}, {"last_modified", d.last_modified}, {"digest", d.digest.str()}, {"name", d.name}};
    try {
      MakeDirs(url_dir_, 0700);
      WriteFileAtomic(rec_path, j.dump(), 0600);
    } catch (const Error&) {
      // Advisory: the next build downloads again.
    }
  }
  ExpandedSource s;
  s.tree = trees_.back().get();
  s.path = {d.name};
  s.key = "url " + d.name + " " + d.digest.str() + " modified=" + d.last_modified;
  return s;
}

ExpandedSource ExtraSources::AddGit(const GitRef& ref, bool keep_git_dir, const std::string& checksum) {
  auto g = std::make_unique<Git>();
  g->ref = ref;
  g->keep = keep_git_dir;
  g->commit = ResolveGitCommit(ref);
  if (!checksum.empty() && g->commit.rfind(checksum, 0) != 0)
    throw Error("expected checksum to match " + checksum + ", got " + g->commit);
  g->dir = NewDir("add-git-") + "/checkout";
  g->tree = std::make_unique<ContextTree>(g->dir, IgnorePatterns());
  ExpandedSource s;
  s.tree = g->tree.get();
  s.path = CleanPathComponents(ref.subdir);
  s.key = "git " + ref.remote + " " + g->commit + " subdir=" + ref.subdir + " keep-git-dir=" + (keep_git_dir ? "1" : "0");
  gits_.push_back(std::move(g));
  return s;
}

void ExtraSources::Materialize(std::vector<ExpandedSource>& sources) {
  for (auto& u : urls_) {
    if (u.done) continue;
    HttpDownload d = DownloadHttp(Http(), u.url, u.dir, std::nullopt);
    if (!(d.digest == u.digest)) throw Error("ADD " + u.url + ": the content changed during the build");
    u.done = true;
  }
  for (auto& s : sources) {
    for (auto& g : gits_) {
      if (s.tree != g->tree.get()) continue;
      if (!g->fetched) {
        FetchGitCommit(g->ref, g->commit, g->dir, g->keep);
        g->fetched = true;
      }
      s.path = g->tree->Resolve(g->ref.subdir, true);
      auto e = g->tree->Lstat(s.path);
      if (!e) throw Error("git source " + g->ref.remote + ": subdir " + g->ref.subdir + " not found");
    }
  }
}

}  // namespace mini::build
