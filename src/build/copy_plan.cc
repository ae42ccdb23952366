#include "build/copy_plan.h"

#include <algorithm>

#include "build/file_hash_cache.h"
#include "build/git_source.h"
#include "build/remote_source.h"
#include "common/error.h"
#include "common/path.h"

namespace mini::build {

CopyPlan PlanCopy(const CopyCmd& cp, const ShellLex& lex, const VarLookup& vars, const std::string& workdir,
                  const std::string& ignore_name, const CopyFrom& from, ExtraSources& extra,
                  FileHashCache* hashes) {
  CopyPlan plan;
  CopyOptions& co = plan.opts;
  co.what = cp.add ? "ADD" : "COPY";
  co.ignore_name = ignore_name;
  co.parents = cp.parents;
  std::string dest = lex.ProcessWord(cp.dest, vars);
  plan.chown = lex.ProcessWord(cp.chown, vars);
  std::string chmod = lex.ProcessWord(cp.chmod, vars);
  std::string checksum = lex.ProcessWord(cp.checksum, vars);
  if (!chmod.empty()) co.chmod = ChmodMode::Parse(chmod);
  // BuildKit does not expand --exclude patterns.
  std::string exclude_text;
  for (const auto& e : cp.excludes) exclude_text += e + "\n";
  co.excludes = IgnorePatterns::Parse(exclude_text);
  std::vector<std::string> paths;
  std::vector<std::pair<std::string, const Heredoc*>> heredocs;
  for (const auto& src : cp.sources) {
    if (auto name = HeredocName(src)) {
      auto it = std::find_if(cp.heredocs.begin(), cp.heredocs.end(), [&](const Heredoc& h) { return h.name == *name; });
      if (it != cp.heredocs.end()) {
        heredocs.emplace_back(src, &*it);
        continue;
      }
    }
    paths.push_back(lex.ProcessWord(src, vars));
  }
  if (!checksum.empty()) {
    if (!cp.add) throw Error("checksum can't be specified for COPY");
    if (paths.size() != 1) throw Error("checksum can't be specified for multiple sources");
    if (!IsHttpUrl(paths[0]) && !ParseGitRef(paths[0])) throw Error("checksum requires HTTP(S) or Git sources");
  }
  std::string& text = plan.text;
  text = co.what;
  if (!from.from.empty()) text += " --from=" + from.from;
  if (cp.parents) text += " --parents";
  if (!plan.chown.empty()) text += " --chown=" + plan.chown;
  if (!chmod.empty()) text += " --chmod=" + chmod;
  for (const auto& e : cp.excludes) text += " --exclude=" + e;
  if (!checksum.empty()) text += " --checksum=" + checksum;
  if (cp.keep_git_dir) text += " --keep-git-dir";
  for (const auto& src : paths) text += " " + src;
  for (const auto& h : heredocs) text += " " + h.first;
  text += " " + dest;
  // Expansion: local paths, downloads, git checkouts, here-documents.
  for (const auto& src : paths) {
    std::optional<GitRef> git = ParseGitRef(src);
    if (git) {
      if (!cp.add) throw Error("source can't be a git ref for COPY");
      if (cp.keep_git_dir && git->keep_git_dir && !*git->keep_git_dir)
        throw Error("inconsistent keep-git-dir configuration");
      std::string sum = checksum;
      if (!sum.empty() && !git->checksum.empty() && sum != git->checksum)
        throw Error("checksum mismatch \"" + sum + "\" != \"" + git->checksum + "\"");
      if (sum.empty()) sum = git->checksum;
      plan.sources.push_back(extra.AddGit(*git, cp.keep_git_dir || git->keep_git_dir.value_or(false), sum));
      continue;
    }
    if (IsHttpUrl(src)) {
      if (!cp.add) throw Error("source can't be a URL for COPY");
      std::optional<Digest> want;
      if (!checksum.empty()) {
        want = Digest::TryParse(checksum);
        if (!want) throw Error("invalid checksum digest format \"" + checksum + "\" (want sha256:<64 hex digits>)");
      }
      plan.sources.push_back(extra.AddHttp(src, want));
      continue;
    }
    co.extract_archives = cp.add;
    for (auto& e : ExpandSources(*from.tree, {src}, co)) {
      e.hash_cache = from.is_context;
      // Files of a stage or an image are keyed on that stage or image and their paths.
      if (!from.is_context) e.key = "from " + JoinPath(e.path) + (e.keep_parents ? " under " + JoinPath(e.under) : "");
      plan.sources.push_back(std::move(e));
    }
    co.extract_archives = false;
  }
  for (const auto& [word, h] : heredocs)
    plan.sources.push_back(extra.AddHeredoc(h->name, h->expand ? ExpandHeredocBody(h->content, vars) : h->content));
  if (dest.empty() || dest[0] != '/') dest = (workdir == "/" ? "" : workdir) + "/" + dest;
  plan.dest = dest;
  plan.inputs = from.inputs + (from.inputs.empty() ? "" : " ") + HashSources(plan.sources, co, hashes).str();
  plan.link = cp.link && chmod.empty();
  return plan;
}

}  // namespace mini::build
