// `mini cp`: Docker's argument forms (CONTAINER:PATH, a local path, "-") over run/container_copy.
#include <unistd.h>

#include <memory>

#include "cli/cli.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "run/container.h"
#include "run/container_copy.h"

namespace mini::cli {
namespace {

/// Docker's splitCpArg: a path starting with '/' or '.' is local even with a ':' in it;
/// otherwise "NAME:PATH" names a container path.
bool SplitCpArg(const std::string& arg, std::string* container, std::string* path) {
  if (!arg.empty() && (arg[0] == '/' || arg[0] == '.')) {
    *path = arg;
    return false;
  }
  size_t colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) {
    *path = arg;
    return false;
  }
  *container = arg.substr(0, colon);
  *path = arg.substr(colon + 1);
  return true;
}

void RegisterCp(CLI::App& app, Globals& g) {
  struct Opts {
    std::string src, dst;
    bool follow = false, archive = false, quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  cmd->add_flag("-L,--follow-link", o->follow, "always follow symbol link in SRC_PATH");
  cmd->add_flag("-a,--archive", o->archive, "archive mode (copy all uid/gid information)");
  cmd->add_flag("-q,--quiet", o->quiet, "suppress progress output (mini prints none)");
  cmd->add_option("src", o->src, "CONTAINER:SRC_PATH, SRC_PATH or -")->required();
  cmd->add_option("dest", o->dst, "CONTAINER:DEST_PATH, DEST_PATH or -")->required();
  cmd->callback([&g, o] {
    std::string sc, sp, dc, dp;
    bool from = SplitCpArg(o->src, &sc, &sp), to = SplitCpArg(o->dst, &dc, &dp);
    if (from && to) throw Error(ErrorKind::kInvalidInput, "copying between containers is not supported");
    if (!from && !to) throw Error(ErrorKind::kInvalidInput, "must specify at least one container source");
    if ((from && sp.empty()) || (to && dp.empty())) throw Error(ErrorKind::kInvalidInput, "filepath is empty");
    StoreHandle s(g.root);
    run::ContainerStore store(s.layout);
    run::CopyOptions opts;
    opts.follow_link = o->follow;
    opts.archive = o->archive;
    if (from) {
      if (dp == "-" && isatty(STDOUT_FILENO)) throw Error(ErrorKind::kInvalidInput, "cannot write a tar stream to a terminal");
      run::CopyFromContainer(s.layout, store.Resolve(sc), sc, sp, dp, opts, STDOUT_FILENO);
    } else {
      run::CopyToContainer(s.layout, store.Resolve(dc), dc, sp, dp, opts, STDIN_FILENO);
    }
  });
}

}  // namespace

void RegisterCpCommands(CLI::App& app, Globals& g) { RegisterCp(app, g); }

}  // namespace mini::cli
