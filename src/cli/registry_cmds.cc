// Registry commands: pull, push, login, logout.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "registry/configured_pull.h"
#include "registry/credentials.h"
#include "registry/http_client.h"
#include "registry/puller.h"
#include "registry/pusher.h"
#include "registry/registry_client.h"
#include "store/event_log.h"

namespace mini::cli {

using namespace mini::registry;

namespace {

/// True when the user wrote no tag and no digest ("busybox", "host:5000/x").
bool HasNoTag(const std::string& s) {
  if (s.find('@') != std::string::npos) return false;
  size_t slash = s.rfind('/');
  return s.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos;
}

void RegisterPull(CLI::App& app, Globals& g) {
  struct Opts {
    std::string ref, platform;
    bool quiet = false, tls_verify = true;
    int max_downloads = 3;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("pull", "Download an image from a registry");
  cmd->add_option("REF", o->ref, "image reference (name[:tag][@digest])")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "print only the image reference");
  cmd->add_option("--platform", o->platform, "os/arch[/variant] to pick from a multi-platform image");
  cmd->add_flag("--tls-verify", o->tls_verify, "verify TLS certificates; false also allows plain HTTP")->default_val(true);
  cmd->add_option("--max-concurrent-downloads", o->max_downloads, "layers downloaded at once (default 3)")
      ->check(CLI::Range(1, 64));
  cmd->callback([o, &g] {
    Reference ref = ParseReference(o->ref);
    std::string name = ref.String();
    WithContext("pull " + ref.Familiar(), [&] {
      RegistriesConfig conf = LoadRegistriesConfig();
      StoreHandle s(g.root);
      PullOptions po;
      if (!o->platform.empty()) po.platform = ParsePlatform(o->platform);
      po.max_concurrent = o->max_downloads;
      Progress progress(Progress::ModeFor(stdout, o->quiet), stdout);
      if (HasNoTag(o->ref)) progress.Message("Using default tag: latest");
      ConfiguredPull r =
          PullShowingStatus(conf, o->ref, RegistryOptionsFromEnv(o->tls_verify), s.layout, s.layers, s.images, po, progress);
      name = r.ref.String();
    });
    std::printf("%s\n", name.c_str());
  });
}

void RegisterPush(CLI::App& app, Globals& g) {
  struct Opts {
    std::string ref, format, compression;
    bool quiet = false, tls_verify = true;
    uint64_t chunk_size = 0;
    std::optional<int> level;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("push", "Upload an image to a registry");
  cmd->add_option("REF", o->ref, "image reference (name[:tag])")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "print only the image reference");
  cmd->add_flag("--tls-verify", o->tls_verify, "verify TLS certificates; false also allows plain HTTP")->default_val(true);
  cmd->add_option("--format", o->format, "manifest format: oci or docker (default: as stored)")
      ->check(CLI::IsMember({"oci", "docker"}));
  cmd->add_option("--chunk-size", o->chunk_size, "upload blobs in PATCH chunks of this many bytes");
  cmd->add_option("--compression-format", o->compression, "layer compression: gzip or zstd (zstd makes the manifest OCI)");
  cmd->add_option("--compression-level", o->level, "zstd level, 1-20 (default 3)");
  auto* force = cmd->add_flag("--force-compression", o->force,
                              "recompress layers stored in another format (default true with --compression-format)");
  cmd->callback([o, force, &g] {
    PushOptions po;
    po.chunk_size = o->chunk_size;
    if (o->format == "oci") po.format = PushFormat::kOci;
    if (o->format == "docker") po.format = PushFormat::kDocker;
    CheckingFlags([&] {
      po.compression =
          ParseCompressionOptions(o->compression, o->level, force->count() ? std::optional<bool>(o->force) : std::nullopt);
      CheckPushOptions(po);
    });
    Reference ref = ParseReference(o->ref);
    WithContext("push " + ref.Familiar(), [&] {
      StoreHandle s(g.root);
      ImageRecord rec = s.images.Resolve(o->ref);
      auto http = NewCurlHttpClient();
      TokenCache tokens;
      RegistryOptions ro = OptionsForRegistry(LoadRegistriesConfig(), ref.Name(), RegistryOptionsFromEnv(o->tls_verify));
      RegistryClient client(*http, ref.domain, ref.path, ro, LookupCredential(ref.domain), tokens);
      Progress progress(Progress::ModeFor(stdout, o->quiet), stdout);
      progress.Message("The push refers to repository [" + ref.Name() + "]");
      PushResult r = PushImage(client, s.layout, s.images, rec, ref, po, progress);
      progress.Finish();
      progress.Message((ref.tag.empty() ? r.manifest_digest.str() : ref.tag) + ": digest: " + r.manifest_digest.str() +
                       " size: " + std::to_string(r.manifest_size));
      RecordEvent(s.layout, {"image", "push", ref.Familiar(), {{"name", ref.Familiar()}}});
    });
    if (o->quiet) std::printf("%s\n", ref.String().c_str());
  });
}

/// Reads one line from the terminal, without echo when `secret`.
std::string Prompt(const std::string& label, bool secret) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) throw Error("cannot perform an interactive login from a non TTY device");
  struct Closer {
    FILE* f;
    termios saved{};
    bool restore = false;
    ~Closer() {
      if (restore) tcsetattr(fileno(f), TCSAFLUSH, &saved);
      std::fclose(f);
    }
  } c{tty};
  std::fprintf(tty, "%s", label.c_str());
  std::fflush(tty);
  if (secret && tcgetattr(fileno(tty), &c.saved) == 0) {
    termios t = c.saved;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    c.restore = tcsetattr(fileno(tty), TCSAFLUSH, &t) == 0;
  }
  char buf[4096];
  std::string line = std::fgets(buf, sizeof buf, tty) ? buf : "";
  if (secret) std::fprintf(tty, "\n");
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string RegistryHost(const std::string& arg) {
  std::string h = arg;
  for (const char* p : {"https://", "http://"})
    if (h.rfind(p, 0) == 0) h = h.substr(std::string(p).size());
  if (h.find('/') != std::string::npos) h = h.substr(0, h.find('/'));
  return RegistryKey(h);
}

void RegisterLogin(CLI::App& app, Globals& g) {
  struct Opts {
    std::string registry = "docker.io", user, password;
    bool password_stdin = false, tls_verify = true;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("login", "Log in to a registry");
  cmd->add_option("REGISTRY", o->registry, "registry host[:port] (default docker.io)");
  cmd->add_option("-u,--username", o->user, "user name");
  cmd->add_option("-p,--password", o->password, "password (prefer --password-stdin)");
  cmd->add_flag("--password-stdin", o->password_stdin, "read the password from stdin");
  cmd->add_flag("--tls-verify", o->tls_verify, "verify TLS certificates; false also allows plain HTTP")->default_val(true);
  cmd->callback([o] {
    std::string host = RegistryHost(o->registry);
    Credential cred{o->user, o->password};
    if (o->password_stdin) {
      if (!o->password.empty()) throw Error("--password and --password-stdin are mutually exclusive");
      if (cred.username.empty()) throw Error("must provide --username with --password-stdin");
      std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
      while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
      cred.password = all;
    }
    if (cred.username.empty()) cred.username = Prompt("Username: ", false);
    if (cred.password.empty()) cred.password = Prompt("Password: ", true);
    if (cred.username.empty()) throw Error("login " + host + ": username is required");
    auto http = NewCurlHttpClient();
    TokenCache tokens;
    RegistryOptions ro = OptionsForRegistry(LoadRegistriesConfig(), host, RegistryOptionsFromEnv(o->tls_verify));
    RegistryClient client(*http, host, "", ro, cred, tokens);
    client.Ping();
    StoreCredential(host, cred);
    std::printf("Login Succeeded\n");
  });
}

void RegisterLogout(CLI::App& app, Globals& g) {
  auto registry = std::make_shared<std::string>("docker.io");
  auto* cmd = app.add_subcommand("logout", "Log out from a registry");
  cmd->add_option("REGISTRY", *registry, "registry host[:port] (default docker.io)");
  cmd->callback([registry] {
    std::string host = RegistryHost(*registry);
    if (RemoveCredential(host)) std::printf("Removing login credentials for %s\n", host.c_str());
    else std::printf("Not logged in to %s\n", host.c_str());
  });
}

}  // namespace

void RegisterRegistryCommands(CLI::App& app, Globals& g) {
  RegisterPull(app, g);
  RegisterPush(app, g);
  RegisterLogin(app, g);
  RegisterLogout(app, g);
}

}  // namespace mini::cli
