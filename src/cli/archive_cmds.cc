// save and load: image archives in docker-archive and OCI layout formats.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "common/fs.h"
#include "store/archive.h"
#include "store/event_log.h"

namespace mini::cli {

namespace {

void RegisterSave(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string output, format = "docker-archive", compression;
    std::optional<int> level;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("save", "Save images to a tar archive (docker-archive or oci-archive)");
  cmd->add_option("image", o->names, "images to save")->required();
  cmd->add_option("-o,--output", o->output, "write to a file instead of stdout");
  cmd->add_option("--format", o->format, "docker-archive (default) or oci-archive");
  cmd->add_option("--compression-format", o->compression, "oci-archive layer compression: gzip or zstd");
  cmd->add_option("--compression-level", o->level, "zstd level, 1-20 (default 3)");
  auto* force = cmd->add_flag("--force-compression", o->force,
                              "recompress layers stored in another format (default true with --compression-format)");
  cmd->callback([&g, o, force] {
    CompressionOptions co = CheckingFlags([&] {
      return ParseCompressionOptions(o->compression, o->level, force->count() ? std::optional<bool>(o->force) : std::nullopt);
    });
    ArchiveFormat fmt = CheckingFlags([&] {
      ArchiveFormat f;
      if (o->format == "docker-archive" || o->format == "docker")
        f = ArchiveFormat::kDockerArchive;
      else if (o->format == "oci-archive" || o->format == "oci")
        f = ArchiveFormat::kOciArchive;
      else
        throw Error("save: unknown --format \"" + o->format + "\" (use docker-archive or oci-archive)");
      if (co.format && f != ArchiveFormat::kOciArchive)
        throw Error(ErrorKind::kInvalidInput, "save: --compression-format applies to --format oci-archive only "
                                              "(a docker-archive holds uncompressed layers)");
      return f;
    });
    StoreHandle s(g.root);
    for (const auto& n : o->names) RecordEvent(s.layout, {"image", "save", n, {{"name", n}}});
    if (o->output.empty()) {
      if (isatty(STDOUT_FILENO)) throw Error("save: cowardly refusing to save to a terminal. Use the -o flag or redirect");
      SaveImages(s.layout, s.images, s.layers, o->names, fmt, STDOUT_FILENO, co);
      return;
    }
    WriteOutputFile(o->output, "save", [&](int fd) { SaveImages(s.layout, s.images, s.layers, o->names, fmt, fd, co); });
  });
}

void RegisterLoad(CLI::App& app, Globals& g) {
  struct Opts {
    std::string input;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("load", "Load images from a tar archive (docker save or OCI layout)");
  cmd->add_option("-i,--input", o->input, "read from a file instead of stdin");
  cmd->add_flag("-q,--quiet", o->quiet, "suppress the load output");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    UniqueFd fd;
    int in = STDIN_FILENO;
    if (!o->input.empty() && o->input != "-") {
      fd.reset(open(o->input.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) ThrowErrno("load: open " + o->input);
      in = fd.get();
    } else if (isatty(STDIN_FILENO)) {
      throw Error("load: requested load from stdin, but stdin is empty");
    }
    FdSource src(in, o->input.empty() ? "stdin" : o->input);
    auto lines = LoadImages(s.layout, s.images, s.layers, src);
    for (const auto& l : lines) {  // "Loaded image: REF" / "Loaded image ID: sha256:..."
      std::string what = l.substr(l.find(": ") == std::string::npos ? 0 : l.find(": ") + 2);
      RecordEvent(s.layout, {"image", "load", what, {{"name", what}}});
    }
    if (!o->quiet)
      for (const auto& l : lines) std::printf("%s\n", l.c_str());
  });
}

}  // namespace

void RegisterArchiveCommands(CLI::App& app, Globals& g) {
  RegisterSave(app, g);
  RegisterLoad(app, g);
}

}  // namespace mini::cli
