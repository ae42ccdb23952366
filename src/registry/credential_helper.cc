// docker-credential-<name> get (see credential_helper.h).
#include "registry/credential_helper.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

extern char** environ;

namespace mini::registry {

namespace {

bool ValidHelperName(const std::string& n) {
  if (n.empty() || n.size() > 100) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

}  // namespace

Credential ParseHelperAnswer(const std::string& helper, const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error("credential helper " + helper + ": invalid JSON answer");
  }
  if (!j.is_object() || !j.contains("Username") || !j["Username"].is_string() || !j.contains("Secret") || !j["Secret"].is_string())
    throw Error("credential helper " + helper + ": answer without \"Username\" and \"Secret\"");
  Credential c;
  std::string user = j["Username"], secret = j["Secret"];
  if (user == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  return c;
}

std::optional<Credential> CredentialFromHelper(const std::string& name, const std::string& server_url) {
  const std::string helper = "docker-credential-" + name;
  if (!ValidHelperName(name)) throw Error("invalid credential helper name \"" + name + "\"");
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd out_r(out[0]), out_w(out[1]);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  std::string arg0 = helper, arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, helper.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw Error("credential helper " + helper + ": " + std::strerror(rc));
  in_r.reset();
  out_w.reset();

  std::string input = server_url + "\n";
  bool write_failed = false;
  {
    // A helper that exits without reading makes the write EPIPE, not a SIGPIPE that ends mini.
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    try {
      WriteAll(in_w.get(), input.data(), input.size(), helper + " stdin");
    } catch (const Error&) {
      write_failed = true;  // its exit status tells why
    }
    timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  }
  in_w.reset();
  std::string answer;
  char buf[4096];
  try {
    for (size_t n; (n = ReadSome(out_r.get(), buf, sizeof buf, helper + " stdout")) > 0;) {
      if (answer.size() < (1 << 20)) answer.append(buf, n);
    }
  } catch (const Error&) {
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (answer.find("credentials not found") != std::string::npos) return std::nullopt;
    std::string why = answer.empty() ? (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                          : "killed by signal " + std::to_string(WTERMSIG(status)))
                                     : answer;
    throw Error("credential helper " + helper + ": " + why);
  }
  if (write_failed) throw Error("credential helper " + helper + ": did not read the server URL");
  Debug("credentials for " + server_url + " from " + helper);
  return ParseHelperAnswer(helper, answer);
}

}  // namespace mini::registry
