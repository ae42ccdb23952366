// Build commands: build, commit, diff, export.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "build/builder.h"
#include "build/cache_mounts.h"
#include "build/commit.h"
#include "build/export.h"
#include "cli/cli.h"
#include "cli/confirm.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "run/container.h"
#include "run/container_events.h"
#include "store/event_log.h"

namespace mini::cli {

namespace {

void RegisterBuild(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> tags, build_args, secrets, ssh, build_contexts, outputs, labels, no_cache_filter, allow;
    std::string file, target, network = "bridge", context, iidfile, progress = "auto";
    bool no_cache = false, quiet = false, pull = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("build", "Build an image from a Minifile (Dockerfile syntax)");
  cmd->add_option("-t,--tag", o->tags, "name[:tag] for the image (repeatable)")->allow_extra_args(false);
  cmd->add_option("-f,--file", o->file, "the Minifile (default CONTEXT/Minifile, else CONTEXT/Dockerfile)");
  cmd->add_option("--build-arg", o->build_args, "KEY=VALUE build argument (repeatable)")->allow_extra_args(false);
  cmd->add_option("--target", o->target, "build up to this stage");
  cmd->add_flag("--no-cache", o->no_cache, "do not use the build cache");
  cmd->add_flag("-q,--quiet", o->quiet, "print only the image id");
  cmd->add_option("--network", o->network, "network for RUN: bridge (default network), host, none, or a network name");
  cmd->add_option("--secret", o->secrets, "secret for RUN --mount=type=secret: id=ID[,src=FILE|,env=VAR] (repeatable)")->allow_extra_args(false);
  cmd->add_option("--ssh", o->ssh, "SSH agent socket or keys for RUN --mount=type=ssh: default|ID[=SOCKET|KEY[,...]] (repeatable)")->allow_extra_args(false);
  cmd->add_option("--build-context", o->build_contexts, "extra named context: NAME=DIR or NAME=docker-image://REF (repeatable)")->allow_extra_args(false);
  cmd->add_option("-o,--output", o->outputs, "output: type=local,dest=DIR | type=tar,dest=FILE | type=image | DIR")->allow_extra_args(false);
  cmd->add_option("--iidfile", o->iidfile, "write the image id to this file");
  cmd->add_option("--label", o->labels, "KEY=VALUE label for the image (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--pull", o->pull, "always pull the base images, even when present");
  cmd->add_option("--no-cache-filter", o->no_cache_filter, "build these stages without the cache (repeatable)")->allow_extra_args(false);
  cmd->add_option("--progress", o->progress, "progress output: auto, plain, tty or quiet");
  cmd->add_option("--allow", o->allow, "extra privileges: security.insecure, network.host (repeatable)")->allow_extra_args(false);
  cmd->add_option("context", o->context, "the build context directory")->required();
  cmd->callback([&g, o] {
    build::BuildOptions b;
    b.context = o->context;
    b.file = o->file;
    b.tags = o->tags;
    b.target = o->target;
    b.no_cache = o->no_cache;
    b.quiet = o->quiet;
    b.network = o->network == "default" ? "bridge" : o->network;
    b.secrets = o->secrets;
    b.ssh = o->ssh;
    b.build_contexts = o->build_contexts;
    b.outputs = o->outputs;
    b.iidfile = o->iidfile;
    for (const auto& l : o->labels) {
      size_t eq = l.find('=');
      b.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    b.pull = o->pull;
    b.no_cache_filter = o->no_cache_filter;
    b.progress = o->progress;
    b.allow = o->allow;
    for (const auto& a : o->build_args) {
      size_t eq = a.find('=');
      if (eq == std::string::npos) {
        // KEY alone takes the value from the environment, as docker does.
        if (const char* v = getenv(a.c_str())) b.build_args[a] = v;
        continue;
      }
      b.build_args[a.substr(0, eq)] = a.substr(eq + 1);
    }
    StoreHandle s(g.root);
    // BuildKit's way: progress on stderr; with -q only the image id, on stdout.
    Digest id = build::BuildImage(s.layout, s.layers, s.images, b, stderr);
    if ((o->quiet || o->progress == "quiet") && !id.empty()) std::printf("%s\n", id.str().c_str());
  });
}

void RegisterCommit(CLI::App& app, Globals& g) {
  struct Opts {
    std::string message, author, container, ref;
    std::vector<std::string> changes;
    bool pause = true;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("commit", "Create a new image from a container's changes");
  cmd->add_option("-m,--message", o->message, "commit message");
  cmd->add_option("-a,--author", o->author, "author (e.g. \"Jane <jane@example.com>\")");
  cmd->add_option("-c,--change", o->changes, "apply a Minifile instruction (CMD, ENTRYPOINT, ENV, ...)")
      ->allow_extra_args(false);
  cmd->add_flag("-p,--pause", o->pause, "pause a running container while committing (--pause=false to not)");
  cmd->add_option("container", o->container, "container name or id")->required();
  cmd->add_option("reference", o->ref, "name[:tag] for the new image");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    build::CommitOptions c;
    c.message = o->message;
    c.author = o->author;
    c.changes = o->changes;
    c.pause = o->pause;
    Digest id = build::CommitContainer(s.layout, s.layers, s.images, o->container, c);
    if (!o->ref.empty()) s.images.Tag(ParseReference(o->ref), id);
    run::RecordContainerEvent(s.layout, run::ContainerStore(s.layout).Resolve(o->container), "commit",
                              {{"comment", o->message}, {"imageID", id.str()}, {"imageRef", o->ref}});
    std::printf("%s\n", id.str().c_str());
  });
}

void RegisterDiff(CLI::App& app, Globals& g) {
  auto container = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("diff", "Show changes to a container's filesystem (A added, C changed, D deleted)");
  cmd->add_option("container", *container, "container name or id")->required();
  cmd->callback([&g, container] {
    StoreHandle s(g.root);
    for (const auto& line : build::ContainerDiff(s.layout, s.layers, *container)) std::printf("%s\n", line.c_str());
  });
}

void RegisterExport(CLI::App& app, Globals& g) {
  struct Opts {
    std::string container, output;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("export", "Export a container's filesystem as a tar archive");
  cmd->add_option("-o,--output", o->output, "write to a file instead of stdout");
  cmd->add_option("container", o->container, "container name or id")->required();
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    if (o->output.empty()) {
      if (isatty(STDOUT_FILENO)) throw Error("export: cowardly refusing to write to a terminal. Use the -o flag or redirect");
      build::ExportContainer(s.layout, o->container, STDOUT_FILENO);
      return;
    }
    WriteOutputFile(o->output, "export", [&](int fd) { build::ExportContainer(s.layout, o->container, fd); });
  });
}

/// `mini builder prune`: RUN --mount=type=cache directories no build holds; with -a also every
/// cached step record (the next build runs every step again). Docker's output.
void RegisterBuilder(CLI::App& app, Globals& g) {
  auto* builder = app.add_subcommand("builder", "Manage the build cache");
  builder->require_subcommand(1);
  struct Opts {
    bool force = false, all = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = builder->add_subcommand("prune", "Remove build cache: cache mounts (and with -a every cached step)");
  cmd->add_flag("-f,--force", o->force, "do not prompt for confirmation");
  cmd->add_flag("-a,--all", o->all, "also remove every cached build step");
  cmd->callback([&g, o] {
    if (!Confirm(o->force, std::string("WARNING! This will remove all ") + (o->all ? "build cache" : "dangling build cache") + "."))
      return;
    StoreHandle s(g.root);
    uint64_t bytes = 0;
    std::vector<std::string> removed = build::PruneCacheDirs(s.layout, &bytes);
    if (o->all) {
      for (const auto& name : ListDirNames(s.layout.BuildCacheDir())) {
        if (name.size() != 64 || name.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
        std::string path = s.layout.BuildCacheDir() + "/" + name;
        bytes += TreeSize(path);
        RemoveTree(path);
        removed.push_back(name.substr(0, 25));
      }
    }
    if (!removed.empty()) {
      std::printf("Deleted build cache objects:\n");
      for (const auto& r : removed) std::printf("%s\n", r.c_str());
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", HumanSize(bytes).c_str());
  });
}

}  // namespace

void RegisterBuildCommands(CLI::App& app, Globals& g) {
  RegisterBuilder(app, g);
  RegisterBuild(app, g);
  RegisterCommit(app, g);
  RegisterDiff(app, g);
  RegisterExport(app, g);
}

}  // namespace mini::cli
