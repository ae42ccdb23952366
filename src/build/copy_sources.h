#pragma once
/// The trees COPY/ADD read besides the build context and the stages: here-documents, ADD's
/// downloads and git checkouts, each in a temp dir under the store's tmp/ that lives as long as
/// this object. A git checkout is only fetched when the step is built (a cache hit needs only
/// the resolved commit).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "build/copy_step.h"
#include "build/git_source.h"
#include "build/substitution.h"
#include "common/digest.h"

namespace mini {
class TempDir;
}
namespace mini::registry {
class HttpClient;
}

namespace mini::build {

/// A here-document's body with BuildKit's expansion for COPY/ADD: variables replaced, quotes
/// and everything else kept as written, `\` escapes the next character. Throws Error for a bad
/// substitution.
std::string ExpandHeredocBody(const std::string& body, const VarLookup& vars);

/// The delimiter of a `<<EOF` / `<<-"EOF"` source word; nullopt if `word` is not one. Pure.
std::optional<std::string> HeredocName(const std::string& word);

class ExtraSources {
 public:
  /// Temp dirs go to `tmp_dir`; what URLs answered is remembered in `url_dir` (for conditional
  /// requests: a 304 needs no download unless the step is built). Downloads go through `http`,
  /// else through a libcurl client made on first use.
  ExtraSources(std::string tmp_dir, std::string url_dir, registry::HttpClient* http = nullptr);
  ~ExtraSources();

  /// A file `name` (mode 0644) holding `content`.
  ExpandedSource AddHeredoc(const std::string& name, const std::string& content);
  /// Downloads `url` (see remote_source.h), or only re-checks it when it was downloaded before;
  /// keyed on the name, content digest and Last-Modified.
  ExpandedSource AddHttp(const std::string& url, const std::optional<Digest>& checksum);
  /// Resolves `ref` to a commit (checked against `checksum`: Error("expected checksum to match
  /// X, got COMMIT")); keyed on the remote, commit, subdir and keep_git_dir.
  ExpandedSource AddGit(const GitRef& ref, bool keep_git_dir, const std::string& checksum);
  /// Fetches the git checkouts of `sources` (those AddGit made) and points them at their subdir,
  /// and downloads the URLs only re-checked. Throws Error("git source REMOTE: subdir x not
  /// found"), Error("ADD URL: the content changed during the build").
  void Materialize(std::vector<ExpandedSource>& sources);

 private:
  struct Git {
    GitRef ref;
    std::string commit;
    bool keep = false;
    std::string dir;
    std::unique_ptr<SourceTree> tree;
    bool fetched = false;
  };
  struct PendingUrl {
    std::string url, dir;
    Digest digest;
    const SourceTree* tree = nullptr;
    bool done = false;
  };
  std::string tmp_, url_dir_;
  registry::HttpClient* http_ = nullptr;
  std::unique_ptr<registry::HttpClient> own_http_;
  registry::HttpClient& Http();
  std::vector<PendingUrl> urls_;
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::vector<std::unique_ptr<SourceTree>> trees_;
  std::vector<std::unique_ptr<Git>> gits_;
  const std::string& NewDir(const std::string& prefix);
};

}  // namespace mini::build
