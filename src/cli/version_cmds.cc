// mini version and --version.
#include <sys/utsname.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/go_template.h"
#include "mini_version.h"
#include "store/importer.h"

namespace mini::cli {

namespace {

std::string Compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " __VERSION__;
#else
  return "unknown";
#endif
}

/// What `version --format` sees: Docker's shape ({{.Client.Version}}), without a server part.
nlohmann::json VersionInfo() {
  struct utsname u {};
  uname(&u);
  return {{"Client",
           {{"Platform", {{"Name", "mini"}}},
            {"Version", MINI_VERSION},
            {"GitCommit", MINI_GIT_COMMIT},
            {"BuildTime", MINI_COMMIT_TIME},
            {"Compiler", Compiler()},
            {"Os", "linux"},
            {"Arch", HostArchitecture()},
            {"KernelVersion", u.release}}}};
}

}  // namespace

std::string VersionLine() { return std::string("mini version ") + MINI_VERSION + ", build " + MINI_GIT_COMMIT; }

void RegisterVersionCommands(CLI::App& app, Globals& g) {
  auto format = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("version", "Show the mini version information");
  cmd->add_option("-f,--format", *format, "format the output with a Go template ({{.Client.Version}}, {{json .}})");
  cmd->callback([format] {
    nlohmann::json v = VersionInfo();
    if (!format->empty()) {
      std::printf("%s\n", GoTemplate(*format).Render(v).c_str());
      return;
    }
    const auto& c = v["Client"];
    std::printf("Client:\n");
    auto row = [](const char* k, const std::string& val) { std::printf(" %-18s %s\n", k, val.c_str()); };
    row("Version:", c["Version"]);
    row("Git commit:", c["GitCommit"]);
    row("Built:", c["BuildTime"]);
    row("Compiler:", c["Compiler"]);
    row("OS/Arch:", c["Os"].get<std::string>() + "/" + c["Arch"].get<std::string>());
    row("Kernel:", c["KernelVersion"]);
  });
}

}  // namespace mini::cli
