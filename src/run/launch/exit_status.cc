#include "run/launch/exit_status.h"

#include <sys/wait.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace mini::run {

int ExitCodeFromWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitMiniFailure;
}

int ExitCodeForExecErrno(int err) {
  return (err == ENOENT || err == ENOTDIR) ? kExitNotFound : kExitNotExecutable;
}

int ParseSignal(const std::string& in) {
  if (in.empty()) return -1;
  if (std::isdigit(static_cast<unsigned char>(in[0]))) {
    int n = 0;
    for (char c : in) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
      n = n * 10 + (c - '0');
      if (n > 64) return -1;
    }
    return n >= 1 ? n : -1;
  }
  std::string s;
  for (char c : in) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  static const struct { const char* n; int v; } kSigs[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
      {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},   {"BUS", SIGBUS},   {"FPE", SIGFPE},
      {"KILL", SIGKILL}, {"USR1", SIGUSR1},   {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
      {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP},   {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
      {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
      {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  for (const auto& k : kSigs)
    if (s == k.n) return k.v;
  return -1;
}

}  // namespace mini::run
