// Docker's management groups: volume create|ls|inspect|rm|prune, container prune, image prune,
// and `mini image ls` / `mini container ls` style aliases of the flat verbs.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "cli/confirm.h"
#include "cli/errors.h"
#include "cli/go_template.h"
#include "cli/list_format.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "run/container.h"
#include "run/container_prune.h"
#include "run/lifecycle.h"
#include "run/volumes.h"

namespace mini::cli {

using nlohmann::json;

namespace {

std::map<std::string, std::string> Labels(const std::vector<std::string>& specs) {
  std::map<std::string, std::string> m;
  for (const auto& l : specs) {
    size_t eq = l.find('=');
    m[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return m;
}

void RegisterVolume(CLI::App& app, Globals& g) {
  auto* vol = app.add_subcommand("volume", "Manage volumes: create, ls, inspect, rm, prune");
  vol->require_subcommand(1);
  {
    struct Opts {
      std::string name, driver = "local";
      std::vector<std::string> labels, opts;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = vol->add_subcommand("create", "Create a volume");
    cmd->add_option("name", o->name, "volume name (default: a random id)");
    cmd->add_option("--name", o->name, "volume name");
    cmd->add_option("-d,--driver", o->driver, "volume driver (only local)");
    cmd->add_option("--label", o->labels, "KEY=VALUE label (repeatable)")->allow_extra_args(false);
    cmd->add_option("-o,--opt", o->opts, "local driver options: type=, device=, o= (as mount(8))")->allow_extra_args(false);
    cmd->callback([&g, o] {
      if (o->driver != "local") throw Error(ErrorKind::kInvalidInput, "create " + o->name + ": volume driver \"" + o->driver + "\" is not supported (only local)");
      std::string name = o->name.empty() ? Sha256Of(RandomString(32)).hex() : o->name;  // Docker: 64 hex digits
      StoreHandle s(g.root);
      std::printf("%s\n", run::CreateVolume(s.layout, name, Labels(o->labels), Labels(o->opts)).name.c_str());
    });
  }
  {
    struct Opts {
      bool quiet = false;
      std::string format;
      std::vector<std::string> filters;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = vol->add_subcommand("ls", "List volumes");
    cmd->alias("list");
    cmd->add_flag("-q,--quiet", o->quiet, "only names");
    cmd->add_option("--format", o->format, "table (default), json or a Go template ({{.Name}})");
    cmd->add_option("-f,--filter", o->filters, "dangling=true|false, name=, label=KEY[=VALUE], driver=local")->allow_extra_args(false);
    cmd->callback([&g, o] {
      Filters f(o->filters, {"dangling", "name", "label", "driver"});
      if (!o->format.empty() && o->format != "json" && o->format != "table") GoTemplate check(o->format);
      StoreHandle s(g.root);
      std::vector<run::VolumeInfo> vols = run::ListVolumes(s.layout);
      std::map<std::string, std::vector<std::string>> users;
      if (f.Has("dangling")) users = run::VolumeUsers(s.layout);
      std::erase_if(vols, [&](const run::VolumeInfo& v) {
        json labels = v.labels.empty() ? json::object() : json(v.labels);
        return !f.Any("name", [&](const std::string& n) { return v.name.find(n) != std::string::npos; }) ||
               !f.Any("driver", [](const std::string& d) { return d == "local"; }) || !f.MatchLabels(labels) ||
               !f.Any("dangling", [&](const std::string& d) { return (d == "true" || d == "1") == !users.count(v.name); });
      });
      if (o->quiet) {
        for (const auto& v : vols) std::printf("%s\n", v.name.c_str());
        return;
      }
      std::vector<json> docs;
      for (const auto& v : vols) {
        std::string labels;
        for (const auto& [k, val] : v.labels) labels += (labels.empty() ? "" : ",") + k + "=" + val;
        docs.push_back({{"Driver", "local"}, {"Labels", labels}, {"Links", "N/A"}, {"Mountpoint", v.mountpoint},
                        {"Name", v.name}, {"Scope", "local"}, {"Size", "N/A"}});
      }
      static const json headers = {{"Driver", "DRIVER"}, {"Labels", "LABELS"}, {"Links", "LINKS"}, {"Mountpoint", "MOUNTPOINT"},
                                   {"Name", "VOLUME NAME"}, {"Scope", "SCOPE"}, {"Size", "SIZE"}};
      PrintRows(o->format, docs, headers, [&] {
        Table t({"DRIVER", "VOLUME NAME"});
        for (const auto& v : vols) t.Add({"local", v.name});
        std::fputs(t.Render().c_str(), stdout);
      });
    });
  }
  {
    struct Opts {
      std::vector<std::string> names;
      std::string format;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = vol->add_subcommand("inspect", "Show volumes as JSON");
    cmd->add_option("name", o->names, "volume names")->required();
    cmd->add_option("-f,--format", o->format, "a Go template over each volume ({{.Mountpoint}})");
    cmd->callback([&g, o] {
      std::optional<GoTemplate> tmpl;
      if (!o->format.empty() && o->format != "json") tmpl.emplace(o->format);
      StoreHandle s(g.root);
      json out = json::array();
      std::string missing;
      for (const auto& n : o->names) {
        try {
          out.push_back(run::VolumeJson(run::InspectVolume(s.layout, n)));
        } catch (const Error& e) {
          if (!IsNotFound(e)) throw;
          if (missing.empty()) missing = n;
        }
      }
      PrintInspected(out, tmpl);
      if (!missing.empty()) {
        PrintError("get " + missing + ": no such volume");
        g.exit_code = 1;
      }
    });
  }
  {
    struct Opts {
      std::vector<std::string> names;
      bool force = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = vol->add_subcommand("rm", "Remove volumes (refused while a container uses them)");
    cmd->alias("remove");
    cmd->add_option("name", o->names, "volume names")->required();
    cmd->add_flag("-f,--force", o->force, "no error for a volume that does not exist");
    cmd->callback([&g, o] {
      StoreHandle s(g.root);
      ForEachName(g, o->names, [&](const std::string& n) {
        try {
          run::RemoveVolume(s.layout, n);
        } catch (const Error& e) {
          if (o->force && IsNotFound(e)) return;
          throw;
        }
        std::printf("%s\n", n.c_str());
      });
    });
  }
  {
    struct Opts {
      bool force = false, all = false;
      std::vector<std::string> filters;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = vol->add_subcommand("prune", "Remove the volumes no container uses");
    cmd->add_flag("-f,--force", o->force, "do not prompt for confirmation");
    cmd->add_flag("-a,--all", o->all, "accepted: mini's volumes are all named, and prune removes every unused one");
    cmd->callback([&g, o] {
      if (!Confirm(o->force, "WARNING! This will remove all local volumes not used by at least one container.")) return;
      StoreHandle s(g.root);
      run::CollectContainers(s.layout);
      uint64_t reclaimed = 0;
      auto gone = run::PruneVolumes(s.layout, &reclaimed);
      if (!gone.empty()) {
        std::printf("Deleted Volumes:\n");
        for (const auto& n : gone) std::printf("%s\n", n.c_str());
        std::printf("\n");
      }
      std::printf("Total reclaimed space: %s\n", HumanSize(reclaimed).c_str());
    });
  }
}

void RegisterContainerGroup(CLI::App& app, Globals& g) {
  auto* grp = app.add_subcommand("container", "Manage containers (ls, rm, inspect, prune, and every container verb)");
  grp->require_subcommand(1);
  auto force = std::make_shared<bool>(false);
  auto* cmd = grp->add_subcommand("prune", "Remove all stopped containers");
  cmd->add_flag("-f,--force", *force, "do not prompt for confirmation");
  cmd->callback([&g, force] {
    if (!Confirm(*force, "WARNING! This will remove all stopped containers.")) return;
    StoreHandle s(g.root);
    uint64_t reclaimed = 0;
    std::vector<std::string> gone = run::PruneContainers(s.layout, &reclaimed, [](const Error& e) { PrintError(e); });
    if (!gone.empty()) {
      std::printf("Deleted Containers:\n");
      for (const auto& id : gone) std::printf("%s\n", id.c_str());
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", HumanSize(reclaimed).c_str());
  });
}

void RegisterImageGroup(CLI::App& app, Globals& g) {
  auto* grp = app.add_subcommand("image", "Manage images (ls, rm, inspect, prune, and every image verb)");
  grp->require_subcommand(1);
  struct Opts {
    bool force = false, all = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = grp->add_subcommand("prune", "Remove unused images");
  cmd->add_flag("-f,--force", o->force, "do not prompt for confirmation");
  cmd->add_flag("-a,--all", o->all, "remove all images without a container, not just dangling ones");
  cmd->callback([&g, o] {
    if (!Confirm(o->force, o->all ? "WARNING! This will remove all images without at least one container associated to them."
                                  : "WARNING! This will remove all dangling images."))
      return;
    StoreHandle s(g.root);
    run::CollectContainers(s.layout);
    uint64_t reclaimed = 0;
    auto lines = s.images.PruneImages(o->all, &reclaimed);
    s.images.Prune();  // the layers and blobs only those images used
    if (!lines.empty()) {
      std::printf("Deleted Images:\n");
      for (auto l : lines) {  // Docker's words here are lower case: "untagged: x", "deleted: sha256:..."
        if (!l.empty()) l[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(l[0])));
        std::printf("%s\n", l.c_str());
      }
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", HumanSize(reclaimed).c_str());
  });
}

}  // namespace

void RegisterManagementCommands(CLI::App& app, Globals& g) {
  RegisterVolume(app, g);
  RegisterContainerGroup(app, g);
  RegisterImageGroup(app, g);
}

namespace {

/// The index of the command word in `words` (argv): past the global flags and their values.
size_t CommandIndex(const std::vector<std::string>& words) {
  size_t i = 1;
  while (i < words.size() && words[i].starts_with("-")) i += GlobalOptionTakesValue(words[i]) ? 2 : 1;
  return i;
}

}  // namespace

std::vector<std::string> RewriteManagementAliases(int argc, char** argv) {
  std::vector<std::string> a(argv, argv + argc);
  size_t i = CommandIndex(a);
  if (i + 1 >= a.size()) return a;
  const std::string& group = a[i];
  const std::string verb = a[i + 1];
  static const std::map<std::string, std::vector<std::string>> image = {
      {"ls", {"images"}}, {"list", {"images"}}, {"rm", {"rmi"}}, {"remove", {"rmi"}}, {"inspect", {"inspect", "--type", "image"}},
      {"pull", {"pull"}}, {"push", {"push"}}, {"tag", {"tag"}}, {"save", {"save"}}, {"load", {"load"}},
      {"history", {"history"}}, {"import", {"import"}}, {"build", {"build"}}};
  static const std::map<std::string, std::vector<std::string>> container = {
      {"ls", {"ps"}}, {"list", {"ps"}}, {"ps", {"ps"}}, {"rm", {"rm"}}, {"remove", {"rm"}},
      {"inspect", {"inspect", "--type", "container"}}, {"run", {"run"}}, {"create", {"create"}}, {"start", {"start"}},
      {"stop", {"stop"}}, {"kill", {"kill"}}, {"wait", {"wait"}}, {"logs", {"logs"}}, {"exec", {"exec"}},
      {"export", {"export"}}, {"diff", {"diff"}}, {"commit", {"commit"}}, {"port", {"port"}}, {"cp", {"cp"}},
      {"top", {"top"}}, {"stats", {"stats"}}, {"restart", {"restart"}}, {"rename", {"rename"}},
      {"pause", {"pause"}}, {"unpause", {"unpause"}}, {"update", {"update"}}, {"attach", {"attach"}}};
  const auto* table = group == "image" ? &image : group == "container" ? &container : nullptr;
  if (!table) return a;
  auto it = table->find(verb);
  if (it == table->end()) return a;
  std::vector<std::string> out(a.begin(), a.begin() + static_cast<long>(i));
  out.insert(out.end(), it->second.begin(), it->second.end());
  out.insert(out.end(), a.begin() + static_cast<long>(i) + 2, a.end());
  return out;
}

std::string CommandWord(const std::vector<std::string>& words) {
  size_t i = CommandIndex(words);
  if (i >= words.size()) return "";
  // --help, --version or a flag not understood here: "" (everything is registered).
  for (size_t j = 1; j < i; ++j)
    if (GlobalOptionTakesValue(words[j])) ++j;  // and its value
    else if (!words[j].starts_with("--root=") && !words[j].starts_with("--cgroup-manager=") && words[j] != "--debug")
      return "";
  return words[i];
}

}  // namespace mini::cli
