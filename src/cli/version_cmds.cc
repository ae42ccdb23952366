// mini version, --version and mini info.
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/go_template.h"
#include "cli/store_handle.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/log.h"
#include "common/rootless.h"
#include "mini_version.h"
#include "registry/registries_conf.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/cgroup_manager.h"
#include "run/container.h"
#include "run/lifecycle.h"
#include "run/volumes.h"
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

std::string OsName() {
  std::ifstream f("/etc/os-release");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  return "Linux";
}

std::string BackingFilesystem(const std::string& path) {
  struct statfs s {};
  if (statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "extfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794c7630: return "overlayfs";
    default: return "unknown";
  }
}

/// Docker's RegistryConfig: mirrors and insecure registries from registries.conf and
/// daemon.json (a file that cannot be read is reported, not fatal here).
nlohmann::json RegistryConfigInfo() {
  registry::RegistriesConfig conf;
  try {
    conf = registry::LoadRegistriesConfig();
  } catch (const Error& e) {
    Warn(std::string(e.what()) + " (registry configuration not shown)");
  }
  nlohmann::json cidrs = nlohmann::json::array(), names = nlohmann::json::array();
  for (const auto& l : registry::InsecureLines(conf)) (l.find('/') != std::string::npos ? cidrs : names).push_back(l);
  return {{"Mirrors", registry::MirrorLines(conf)}, {"InsecureRegistryCIDRs", cidrs}, {"InsecureRegistries", names},
          {"ConfigFiles", conf.files}};
}

/// What `info --format` sees: Docker's field names where mini has the same thing.
nlohmann::json Info(StoreHandle& s) {
  run::CollectContainers(s.layout);
  run::ContainerStore store(s.layout);
  int running = 0, paused = 0, stopped = 0;
  for (const auto& id : store.ListIds()) {
    try {
      if (store.LoadConfig(id).spec.build) continue;
      run::ContainerState st = store.LoadState(id);
      if (st.status == run::ContainerStatus::kRunning) {
        (run::IsPaused(id, st) ? paused : running)++;
      } else {
        stopped++;
      }
    } catch (const Error&) {
    }
  }
  struct utsname u {};
  uname(&u);
  struct sysinfo si {};
  sysinfo(&si);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  bool v2 = run::DetectCgroupMode() == run::CgroupMode::kV2;
  return {{"ID", ""},
          {"Containers", running + paused + stopped},
          {"ContainersRunning", running},
          {"ContainersPaused", paused},
          {"ContainersStopped", stopped},
          {"Images", s.images.List().size()},
          {"Volumes", run::ListVolumes(s.layout).size()},
          {"Driver", "overlay2"},
          {"DriverStatus", {{"Backing Filesystem", BackingFilesystem(s.layout.root())}, {"Supports d_type", "true"}}},
          {"CgroupDriver", run::CgroupManagerName(run::CgroupManagerForNewContainers())},
          {"CgroupVersion", v2 ? "2" : "1"},
          {"KernelVersion", u.release},
          {"OperatingSystem", OsName()},
          {"OSType", "linux"},
          {"Architecture", u.machine},
          {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
          {"MemTotal", static_cast<uint64_t>(si.totalram) * si.mem_unit},
          {"DockerRootDir", s.layout.root()},
          {"Name", host},
          {"ServerVersion", MINI_VERSION},
          {"Rootless", IsRootless()},
          {"RegistryConfig", RegistryConfigInfo()},
          {"SecurityOptions", {"name=seccomp,profile=builtin"}}};
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
      std::printf("%s\n", ParseFormatExit64(*format).Render(v).c_str());
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

  auto info_format = std::make_shared<std::string>();
  auto* info = app.add_subcommand("info", "Show the store, cgroup and host information");
  info->add_option("-f,--format", *info_format, "format the output with a Go template ({{.Driver}}, {{json .}})");
  info->callback([&g, info_format] {
    std::optional<GoTemplate> tmpl;
    if (!info_format->empty()) tmpl.emplace(*info_format);
    StoreHandle s(g.root);
    nlohmann::json i = Info(s);
    if (tmpl) {
      std::printf("%s\n", tmpl->Render(i).c_str());
      return;
    }
    auto str = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    std::printf("Client:\n Version:    %s\n Context:    default\n\nServer:\n", MINI_VERSION);
    std::printf(" Containers: %s\n  Running: %s\n  Paused: %s\n  Stopped: %s\n", str(i["Containers"]).c_str(),
                str(i["ContainersRunning"]).c_str(), str(i["ContainersPaused"]).c_str(), str(i["ContainersStopped"]).c_str());
    std::printf(" Images: %s\n Volumes: %s\n Server Version: %s (daemonless)\n", str(i["Images"]).c_str(),
                str(i["Volumes"]).c_str(), MINI_VERSION);
    std::printf(" Storage Driver: overlay2\n  Backing Filesystem: %s\n", str(i["DriverStatus"]["Backing Filesystem"]).c_str());
    std::printf(" Cgroup Driver: %s\n Cgroup Version: %s\n", str(i["CgroupDriver"]).c_str(), str(i["CgroupVersion"]).c_str());
    std::printf(" Security Options:\n  seccomp\n   Profile: builtin\n%s", i["Rootless"].get<bool>() ? "  rootless\n" : "");
    std::printf(" Kernel Version: %s\n Operating System: %s\n OSType: linux\n Architecture: %s\n",
                str(i["KernelVersion"]).c_str(), str(i["OperatingSystem"]).c_str(), str(i["Architecture"]).c_str());
    std::printf(" CPUs: %s\n Total Memory: %s\n Name: %s\n Root Dir: %s\n", str(i["NCPU"]).c_str(),
                (std::to_string(i["MemTotal"].get<uint64_t>() / (1024 * 1024)) + "MiB").c_str(), str(i["Name"]).c_str(), str(i["DockerRootDir"]).c_str());
    const auto& rc = i["RegistryConfig"];
    std::printf(" Insecure Registries:\n");
    for (const auto& key : {"InsecureRegistries", "InsecureRegistryCIDRs"})
      for (const auto& l : rc[key]) std::printf("  %s\n", l.get<std::string>().c_str());
    if (!rc["Mirrors"].empty()) {
      std::printf(" Registry Mirrors:\n");
      for (const auto& l : rc["Mirrors"]) std::printf("  %s\n", l.get<std::string>().c_str());
    }
  });
}

}  // namespace mini::cli
