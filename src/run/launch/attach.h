#pragma once
/// Attaching to a container without a daemon. Its monitor copies the container's stdio (IoRelay:
/// pipes, or the pty master with -t) to the json-file log, to the terminal of an attached
/// `mini run`, and to the clients of a unix socket in the container's runtime dir
/// (<runtime>/containers/<id>/attach.sock, as podman's conmon serves one); clients send input
/// and window sizes back. `mini attach` is such a client, and so is `mini run -it`, over a
/// socketpair made before it forks the monitor: either can leave (the detach keys) while the
/// container runs on. A plain `mini run --rm` (no -i/-t) needs none of it and keeps its direct
/// stdio: its output goes straight to the terminal, and it writes no log.
///
/// The protocol: SOCK_SEQPACKET, one message per packet, the first byte its kind.
///   monitor -> client: '1' stdout bytes, '2' stderr bytes, 'x' exit code (decimal; the
///                      container ended), then the monitor closes the connection.
///   client -> monitor: 'i' input bytes, 'e' end of input, 'w' "ROWS COLS" (window size).
#include <poll.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fs.h"
#include "run/container.h"
#include "run/launch/supervise.h"
#include "run/log_file.h"
#include "store/layout.h"

namespace mini::run {

/// Docker's --detach-keys: a comma list of keys, each one character or ctrl-<a-z @ [ \ ] ^ _>;
/// "" means ctrl-p,ctrl-q. Returns the bytes. Throws Error(kInvalidInput,
/// "Invalid detach keys (x) provided").
std::string ParseDetachKeys(const std::string& spec);

/// Watches typed input for the detach sequence: keys of a partly typed sequence are held back,
/// and sent on when the next key does not continue it. Pure.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  /// What of `in` to forward; sets *detach (the rest of `in` is dropped) when the sequence is
  /// complete.
  std::string Feed(std::string_view in, bool* detach);

 private:
  std::string keys_;
  size_t pos_ = 0;
};

/// What a monitor's relay does.
struct RelayOptions {
  std::string log_path;               ///< the json-file log; "" = none
  LogOptions log;
  std::string socket_dir;             ///< where attach.sock is made; "" = no socket
  int term_out = -1, term_err = -1;   ///< an attached run's own stdout/stderr, copied to; -1 = none
  UniqueFd client;                    ///< `run -it`'s end of input closes the container's stdin
  bool tty = false;
  bool open_stdin = false;            ///< -i: clients' input goes to the container
  bool stdin_pipe = false;            ///< the container's stdin is a pipe from the monitor (-d -i)
  std::optional<std::pair<unsigned, unsigned>> window;  ///< the first window size (rows, cols)
};

/// The monitor's copier. Each container start gets fresh pipes (a restarted container too);
/// driven by the monitor's wait loop (supervise.h). Not thread-safe.
class IoRelay {
 public:
  /// Opens the log and binds the socket. Throws Error.
  explicit IoRelay(RelayOptions o);
  ~IoRelay();
  IoRelay(const IoRelay&) = delete;
  IoRelay& operator=(const IoRelay&) = delete;

  /// Before a start: pipes for the container's stdout and stderr (not with a tty) and stdin
  /// (stdin_pipe); sets *in, *out, *err to the container's ends (the others unchanged).
  void PrepareStart(int* in, int* out, int* err);
  /// With a tty: the pty master of this start; it gets the first window size.
  void SetPty(int master);
  /// After the clone: closes this process's copies of the container's ends.
  void Started(int master);
  /// Adds what to poll; HandlePoll takes the same entries back after poll(2).
  void AddPollFds(std::vector<struct pollfd>* fds);
  void HandlePoll(const struct pollfd* fds, size_t n);
  /// The container exited: copies the rest of its output, closes this start's fds.
  void Exited();
  /// The monitor is done: tells the clients the exit code and closes them.
  void Finish(int exit_code);

 private:
  enum class Slot { kOut, kErr, kMaster, kListen, kClient };
  void Emit(bool is_stderr, std::string_view data);
  bool ReadOutput(int fd, bool is_stderr);
  void Accept();
  void ClientInput(size_t i);
  void SendInput(std::string_view data);

  RelayOptions o_;
  std::unique_ptr<JsonLogWriter> log_;
  UniqueFd dir_, listen_;
  std::string sock_name_;
  UniqueFd out_r_, err_r_, out_w_, err_w_, in_r_, in_w_;
  int master_ = -1;
  bool drop_out_ = false, drop_err_ = false;  ///< the terminal's reader left: close that pipe
  std::vector<UniqueFd> clients_;
  std::vector<bool> stdin_once_;  ///< per client: its end of input ends the container's stdin
  std::vector<std::pair<Slot, size_t>> polled_;
};

/// The monitor's wait loop with a relay (WaitLoop's twin): forwards signals to `pid` (our
/// child), runs the relay, returns the wait status once the output is copied.
int RelayWaitLoop(pid_t pid, const SignalBlock& sigs, IoRelay& relay, int master);

/// How `mini run` / `start -a` (RunAttached) reaches its monitor.
struct AttachedRun {
  bool relay = false;      ///< the monitor copies the output (log, attach socket)
  UniqueFd client, monitor_end;  ///< -i -t: the socketpair; the client relays the terminal
  std::optional<std::pair<unsigned, unsigned>> window;
};
/// A relay unless the run is --rm without -i -t (its fast path: direct stdio, no log).
AttachedRun PlanAttachedRun(const ContainerConfig& c, bool tty, bool interactive);

/// In the monitor: the relay of container `c` (attached: `plan`, else null for a detached
/// monitor), with `io` pointed at it; for a run -it, 0 1 2 become /dev/null (the client has
/// the terminal). Null when `plan` says no relay.
std::unique_ptr<IoRelay> StartMonitorRelay(const Layout& layout, const ContainerConfig& c, AttachedRun* plan,
                                           IoSpec* io);

/// How a client sends its terminal.
struct AttachClientOptions {
  int in = -1;              ///< input to send; -1 = none (--no-stdin, or not -i)
  bool tty = false;         ///< `in` goes raw while attached; window changes are sent
  std::string detach_keys;  ///< bytes (ParseDetachKeys); only with a tty and input
  bool stdin_once = false;  ///< send the end of input (run -it)
};
enum class AttachEnd { kEnded, kDetached };
/// Copies between this terminal and the monitor on `sock` until the monitor closes it
/// (*exit_code gets the 'x' code, or stays -1) or the detach keys are typed. `sigfd` is a
/// SignalBlock's signalfd: WINCH sends the window size, CHLD is ignored, every other signal goes
/// to `on_signal` (sig-proxy), which returns true to leave (as a detach). Prints nothing on a
/// detach; the terminal's mode is restored on every way out.
AttachEnd RunAttachClient(int sock, const AttachClientOptions& o, int sigfd, const std::function<bool(int)>& on_signal,
                          int* exit_code);

/// `mini attach`: connects to running container `id`'s socket and runs the client; returns its
/// exit code when it ends, 0 on a detach. Throws Error ("You cannot attach to a stopped
/// container, start it first").
struct AttachRequest {
  bool no_stdin = false;
  bool sig_proxy = true;
  std::string detach_keys;  ///< as typed; "" = the container's --detach-keys, else ctrl-p,ctrl-q
};
int AttachContainer(const Layout& layout, const std::string& id, const AttachRequest& r);

}  // namespace mini::run
