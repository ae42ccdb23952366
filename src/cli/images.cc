// Image commands: import, images, inspect, tag, rmi, history.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

#include "cli/cli.h"
#include "cli/go_template.h"
#include "cli/list_format.h"
#include "cli/errors.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "run/lifecycle.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "run/inspect.h"
#include "store/importer.h"
#include "store/event_log.h"

namespace mini::cli {

using nlohmann::json;

namespace {

std::string Since(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "N/A";
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return HumanDuration(std::chrono::seconds(std::max<int64_t>(0, now.count() - *t))) + " ago";
}

json OrNull(const json& obj, const char* key) { return obj.is_object() && obj.contains(key) ? obj[key] : json(nullptr); }

/// The `docker image inspect` shape for one image.
json InspectImage(const StoreHandle& s, const ImageRecord& rec) {
  const json& c = rec.config;
  json cfg = c.contains("config") && c["config"].is_object() ? c["config"] : json::object();
  json config = {{"Env", OrNull(cfg, "Env")},
                 {"Cmd", OrNull(cfg, "Cmd")},
                 {"Entrypoint", OrNull(cfg, "Entrypoint")},
                 {"WorkingDir", cfg.value("WorkingDir", "")},
                 {"User", cfg.value("User", "")},
                 {"Labels", OrNull(cfg, "Labels")},
                 {"Volumes", OrNull(cfg, "Volumes")},
                 {"OnBuild", OrNull(cfg, "OnBuild")}};
  // Docker's omitempty fields: absent when unset, not null or "".
  if (cfg.contains("ExposedPorts")) config["ExposedPorts"] = cfg["ExposedPorts"];
  if (cfg.value("StopSignal", "") != "") config["StopSignal"] = cfg["StopSignal"];
  if (cfg.contains("Healthcheck")) config["Healthcheck"] = cfg["Healthcheck"];
  if (cfg.contains("Shell")) config["Shell"] = cfg["Shell"];
  json layers = json::array();
  for (const auto& d : rec.diff_ids) layers.push_back(d.str());
  std::string upper, lower;
  if (!rec.chain_ids.empty()) {
    upper = s.layers.DiffDir(rec.chain_ids.back());
    for (size_t i = rec.chain_ids.size() - 1; i-- > 0;)
      lower += (lower.empty() ? "" : ":") + s.layers.DiffDir(rec.chain_ids[i]);
  }
  json graph = {{"Name", "overlay2"}, {"Data", {{"UpperDir", upper}}}};
  if (!lower.empty()) graph["Data"]["LowerDir"] = lower;
  return {{"Id", rec.id.str()},
          {"RepoTags", rec.repo_tags},
          {"RepoDigests", rec.repo_digests},
          {"Parent", ""},
          {"Comment", ""},
          {"Created", rec.created},
          {"Author", c.value("author", "")},
          {"Config", config},
          {"Architecture", c.value("architecture", "")},
          {"Variant", c.value("variant", "")},
          {"Os", c.value("os", "")},
          {"Size", rec.size},
          {"GraphDriver", graph},
          {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
          {"Descriptor", {{"mediaType", rec.manifest_media_type}, {"digest", rec.manifest_digest.str()}}}};
}

void RegisterImport(CLI::App& app, Globals& g) {
  struct Opts {
    std::string file, ref, message;
    std::vector<std::string> changes;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("import", "Import a rootfs tarball (plain, gzip or zstd) as a one-layer image");
  cmd->add_option("file", o->file, "tarball path, or - for stdin")->required();
  cmd->add_option("reference", o->ref, "name[:tag] for the new image");
  cmd->add_option("-m,--message", o->message, "commit message for the history");
  cmd->callback([&g, o] {
    std::optional<Reference> ref;
    if (!o->ref.empty()) {
      ref = ParseReference(o->ref);
      if (ref->digest) throw Error("import: cannot name an image with a digest: " + o->ref);
    }
    StoreHandle s(g.root);
    UniqueFd fd;
    int in = STDIN_FILENO;
    if (o->file != "-") {
      fd.reset(open(o->file.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) ThrowErrno("import: open " + o->file);
      in = fd.get();
    }
    FdSource src(in, o->file == "-" ? "stdin" : o->file);
    ImportOptions opts;
    opts.source_name = o->file;
    opts.message = o->message;
    Digest id = ImportRootfs(s.layout, s.images, s.layers, src, opts);
    if (ref) s.images.Tag(*ref, id);
    if (ref) RecordEvent(s.layout, {"image", "tag", id.str(), {{"name", ref->Familiar()}}});
    RecordEvent(s.layout, {"image", "import", id.str(), {{"name", id.str()}}});
    std::printf("%s\n", id.str().c_str());
  });
}

void RegisterImages(CLI::App& app, Globals& g) {
  struct Opts {
    bool quiet = false, digests = false, all = false, no_trunc = false;
    std::string format;
    std::string filter_ref;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("images", "List images");
  cmd->add_flag("-q,--quiet", o->quiet, "only show image ids");
  cmd->add_flag("--digests", o->digests, "show digests");
  cmd->add_flag("-a,--all", o->all, "show all images (accepted for compatibility)");
  cmd->add_flag("--no-trunc", o->no_trunc, "do not truncate ids");
  cmd->add_option("--format", o->format, "table (default), json, a Go template ({{.Repository}}:{{.Tag}}) or table TEMPLATE");
  cmd->add_option("-f,--filter", o->filters, "dangling=true|false, label=KEY[=VALUE], reference=GLOB, before=IMAGE, since=IMAGE")
      ->allow_extra_args(false);
  cmd->add_option("repository", o->filter_ref, "only images of this repository[:tag]");
  cmd->callback([&g, o] {
    Filters f(o->filters, {"dangling", "label", "reference", "before", "since"});
    for (const auto& v : f.Values("dangling"))
      if (v != "true" && v != "false") throw Error(ErrorKind::kInvalidInput, "invalid filter 'dangling=" + v + "'");
    if (!o->format.empty() && o->format != "json" && o->format != "table") GoTemplate check(o->format);  // fail before any work
    StoreHandle s(g.root);
    auto recs = s.images.List();
    std::sort(recs.begin(), recs.end(), [](const ImageRecord& a, const ImageRecord& b) {
      return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    // before=/since=: images created before (after) the named one.
    auto created_of = [&](const std::string& name) {
      auto rec = s.images.Find(name);
      if (!rec) throw Error(ErrorKind::kNotFound, "No such image: " + name);
      return rec->created;
    };
    std::vector<std::string> before, since;
    for (const auto& v : f.Values("before")) before.push_back(created_of(v));
    for (const auto& v : f.Values("since")) since.push_back(created_of(v));
    std::erase_if(recs, [&](const ImageRecord& r) {
      if (!f.Any("dangling", [&](const std::string& v) { return (v == "true") == r.repo_tags.empty(); })) return true;
      const json& cfg = r.config.contains("config") ? r.config["config"] : json();
      if (!f.MatchLabels(cfg.is_object() && cfg.contains("Labels") ? cfg["Labels"] : json())) return true;
      for (const auto& b : before)
        if (!(r.created < b)) return true;
      for (const auto& si : since)
        if (!(r.created > si)) return true;
      return false;
    });
    struct Row {
      std::string repo, tag, digest, id, created, created_at, size;
    };
    std::vector<Row> rows;
    for (const auto& r : recs) {
      std::string id = o->no_trunc ? r.id.str() : r.id.Short();
      std::string digest = "<none>";
      if (!r.repo_digests.empty()) digest = r.repo_digests[0].substr(r.repo_digests[0].find('@') + 1);
      auto add = [&](const std::string& repo, const std::string& tag) {
        rows.push_back({repo, tag, digest, id, Since(r.created), r.created, HumanSize(r.size)});
      };
      if (r.repo_tags.empty()) {
        if (!r.repo_digests.empty()) {
          add(r.repo_digests[0].substr(0, r.repo_digests[0].find('@')), "<none>");
        } else {
          add("<none>", "<none>");
        }
      }
      for (const auto& t : r.repo_tags) {
        auto ref = ParseReference(t);
        if (!f.Any("reference", [&](const std::string& p) { return MatchReferenceGlob(p, ref.FamiliarName(), ref.tag); })) continue;
        add(ref.FamiliarName(), ref.tag);
      }
    }
    if (!o->filter_ref.empty()) {
      auto want = ParseReference(o->filter_ref);
      bool has_tag = o->filter_ref.find(':', o->filter_ref.rfind('/') == std::string::npos ? 0 : o->filter_ref.rfind('/')) != std::string::npos;
      std::erase_if(rows, [&](const Row& r) {
        if (r.repo != want.FamiliarName()) return true;
        return has_tag && r.tag != want.tag;
      });
    }
    if (o->quiet) {
      std::set<std::string> seen;
      for (const auto& r : rows)
        if (seen.insert(r.id).second) std::printf("%s\n", o->no_trunc ? r.id.c_str() : r.id.c_str());
      return;
    }
    std::vector<json> docs;
    for (const auto& r : rows)
      docs.push_back({{"Containers", "N/A"}, {"CreatedAt", r.created_at}, {"CreatedSince", r.created},
                      {"Digest", r.digest},  {"ID", r.id},                 {"Repository", r.repo},
                      {"SharedSize", "N/A"}, {"Size", r.size},             {"Tag", r.tag},
                      {"UniqueSize", "N/A"}, {"VirtualSize", r.size}});
    static const json headers = {{"Containers", "CONTAINERS"}, {"CreatedAt", "CREATED AT"}, {"CreatedSince", "CREATED"},
                                 {"Digest", "DIGEST"}, {"ID", "IMAGE ID"}, {"Repository", "REPOSITORY"},
                                 {"SharedSize", "SHARED SIZE"}, {"Size", "SIZE"}, {"Tag", "TAG"},
                                 {"UniqueSize", "UNIQUE SIZE"}, {"VirtualSize", "VIRTUAL SIZE"}};
    PrintRows(o->format, docs, headers, [&] {
    Table t(o->digests ? std::vector<std::string>{"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"}
                       : std::vector<std::string>{"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
    for (const auto& r : rows) {
      if (o->digests)
        t.Add({r.repo, r.tag, r.digest, r.id, r.created, r.size});
      else
        t.Add({r.repo, r.tag, r.id, r.created, r.size});
    }
    std::fputs(t.Render().c_str(), stdout);
    });
  });
}

void RegisterInspect(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string type, format;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("inspect", "Show low-level information on images or containers as JSON");
  cmd->add_option("-f,--format", o->format, "a Go template over each object ({{.Id}}, {{json .Config}}), or json");
  cmd->add_option("name", o->names, "a container name, id or id prefix; or an image reference, id or id prefix")->required();
  cmd->add_option("--type", o->type, "image or container (default: a container, else an image, as Docker)")
      ->check(CLI::IsMember({"image", "container"}));
  cmd->callback([&g, o] {
    std::optional<GoTemplate> tmpl;
    if (!o->format.empty() && o->format != "json") tmpl.emplace(ParseFormatExit64(o->format));
    StoreHandle s(g.root);
    json out = json::array();
    std::string missing;
    for (const auto& n : o->names) {
      // Docker's order: a container first (by id, name or id prefix), then an image; a
      // container named "c" is not an image whose id starts with c.
      if (o->type != "image") {
        // A container: the runner builds its Docker-shaped JSON.
        if (auto id = run::FindContainer(s.layout, n)) {
          out.push_back(run::InspectContainer(s.layout, *id));
          continue;
        }
      }
      if (o->type != "container") {
        if (auto rec = s.images.Find(n)) {
          out.push_back(InspectImage(s, *rec));
          continue;
        }
      }
      if (missing.empty()) missing = n;
    }
    PrintInspected(out, tmpl);
    if (!missing.empty()) {  // Docker prints what it found, then the error, and exits 1
      PrintError(std::string(o->type == "container" ? "No such container: " : o->type == "image" ? "No such image: " : "No such object: ") + missing);
      g.exit_code = 1;
    }
  });
}

void RegisterTag(CLI::App& app, Globals& g) {
  struct Opts {
    std::string src, dst;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  cmd->add_option("source", o->src, "SOURCE_IMAGE[:TAG]")->required();
  cmd->add_option("target", o->dst, "TARGET_IMAGE[:TAG]")->required();
  cmd->callback([&g, o] {
    Reference dst = ParseReference(o->dst);
    if (dst.digest) throw Error("tag: refusing to create a tag with a digest reference: " + o->dst);
    StoreHandle s(g.root);
    ImageRecord rec = s.images.Resolve(o->src);
    s.images.Tag(dst, rec.id);
    RecordEvent(s.layout, {"image", "tag", rec.id.str(), {{"name", dst.Familiar()}}});
  });
}

/// rmi's output line "Untagged: REF" or "Deleted: ID" as Docker's untag / delete event (dockerd
/// names the image id in both, attribute and all).
void RecordImageRemoval(const Layout& layout, const std::string& id, const std::string& line) {
  if (line.rfind("Untagged: ", 0) == 0) RecordEvent(layout, {"image", "untag", id, {{"name", id}}});
  if (line.rfind("Deleted: ", 0) == 0) RecordEvent(layout, {"image", "delete", line.substr(9), {{"name", line.substr(9)}}});
}

void RegisterRmi(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("rmi", "Remove one or more images");
  cmd->add_option("image", o->names, "image reference, id or id prefix")->required();
  cmd->add_flag("-f,--force", o->force, "remove an image id even when it has several tags");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    run::CollectContainers(s.layout);  // what a dead --rm container held goes first
    ForEachName(g, o->names, [&](const std::string& n) {
      std::optional<ImageRecord> rec = s.images.Find(n);
      for (const auto& line : s.images.Delete(n, o->force)) {
        std::printf("%s\n", line.c_str());
        RecordImageRemoval(s.layout, rec ? rec->id.str() : line.substr(line.find(' ') + 1), line);
      }
    });
  });
}

void RegisterHistory(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name;
    bool no_trunc = false, quiet = false, human = true;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("history", "Show the history of an image");
  cmd->add_option("image", o->name, "image")->required();
  cmd->add_flag("--no-trunc", o->no_trunc, "do not truncate output");
  cmd->add_flag("-q,--quiet", o->quiet, "only show image ids");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    ImageRecord rec = s.images.Resolve(o->name);
    json hist = rec.config.value("history", json::array());
    struct Row {
      std::string id, created, by, size, comment;
    };
    std::vector<Row> rows;
    size_t layer = 0;
    for (const auto& h : hist) {
      bool empty = h.value("empty_layer", false);
      uint64_t size = 0;
      if (!empty && layer < rec.chain_ids.size()) {
        if (s.layers.Has(rec.chain_ids[layer])) size = s.layers.Get(rec.chain_ids[layer]).size;
        layer++;
      }
      std::string by = h.value("created_by", "");
      rows.push_back({"<missing>", Since(h.value("created", "")), o->no_trunc ? by : Ellipsis(by, 45),
                      HumanSize(size), h.value("comment", "")});
    }
    std::reverse(rows.begin(), rows.end());
    if (rows.empty()) rows.push_back({"", Since(rec.created), "", HumanSize(rec.size), ""});
    rows[0].id = o->no_trunc ? rec.id.str() : rec.id.Short();
    if (o->quiet) {
      for (const auto& r : rows) std::printf("%s\n", r.id.c_str());
      return;
    }
    Table t({"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
    for (const auto& r : rows) t.Add({r.id, r.created, r.by, r.size, r.comment});
    std::fputs(t.Render().c_str(), stdout);
  });
}

}  // namespace

void RegisterArchiveCommands(CLI::App& app, Globals& g);
void RegisterSystemCommands(CLI::App& app, Globals& g);

void RegisterImageCommands(CLI::App& app, Globals& g) {
  RegisterImport(app, g);
  RegisterImages(app, g);
  RegisterInspect(app, g);
  RegisterTag(app, g);
  RegisterRmi(app, g);
  RegisterHistory(app, g);
  RegisterArchiveCommands(app, g);
  RegisterSystemCommands(app, g);
}

}  // namespace mini::cli
