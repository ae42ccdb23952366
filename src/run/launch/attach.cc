#include "run/launch/attach.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/process.h"
#include "run/launch/pty.h"
#include "run/log_attrs.h"

namespace mini::run {
namespace {

constexpr char kSocketName[] = "attach.sock";
constexpr size_t kChunk = 32 * 1024;

/// The socket's name through the directory's fd: short enough for sun_path (108 bytes) however
/// long the runtime dir is (conmon's trick).
std::string SocketPath(int dirfd) { return "/proc/self/fd/" + std::to_string(dirfd) + "/" + kSocketName; }

sockaddr_un AddrOf(const std::string& path) {
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), std::min(path.size() + 1, sizeof(a.sun_path) - 1));
  return a;
}

bool SendPacket(int fd, char kind, std::string_view data) {
  std::string buf;
  buf.reserve(data.size() + 1);
  buf.push_back(kind);
  buf.append(data);
  for (;;) {
    if (send(fd, buf.data(), buf.size(), MSG_NOSIGNAL) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

/// A client that stops reading for this long is dropped: it cannot stall the container.
void SetSendTimeout(int fd) {
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

std::string ParseDetachKeys(const std::string& spec) {
  if (spec.empty()) return "\x10\x11";  // ctrl-p, ctrl-q
  auto bad = [&] { return Error(ErrorKind::kInvalidInput, "Invalid detach keys (" + spec + ") provided"); };
  std::string out;
  size_t p = 0;
  for (;;) {
    size_t c = spec.find(',', p);
    std::string key = spec.substr(p, c == std::string::npos ? std::string::npos : c - p);
    if (key.size() == 1) {
      out += key;
    } else if (key.size() == 6 && key.compare(0, 5, "ctrl-") == 0) {
      char k = static_cast<char>(std::tolower(static_cast<unsigned char>(key[5])));
      if (k >= 'a' && k <= 'z') out.push_back(static_cast<char>(k - 'a' + 1));
      else if (k == '@' || k == '[' || k == '\\' || k == ']' || k == '^' || k == '_') out.push_back(static_cast<char>(k - '@'));
      else throw bad();
    } else {
      throw bad();
    }
    if (c == std::string::npos) break;
    p = c + 1;
  }
  return out;
}

std::string DetachMatcher::Feed(std::string_view in, bool* detach) {
  *detach = false;
  std::string out;
  if (keys_.empty()) return std::string(in);
  for (char ch : in) {
    if (ch != keys_[pos_] && pos_ > 0) {
      out.append(keys_, 0, pos_);  // not the sequence after all: send what was held
      pos_ = 0;
    }
    if (ch == keys_[pos_]) {
      if (++pos_ == keys_.size()) {
        pos_ = 0;
        *detach = true;
        return out;
      }
      continue;
    }
    out.push_back(ch);
  }
  return out;
}

IoRelay::IoRelay(RelayOptions o) : o_(std::move(o)) {
  if (!o_.log_path.empty() && o_.log.enabled) log_ = std::make_unique<JsonLogWriter>(o_.log_path, o_.log);
  if (!o_.socket_dir.empty()) {
    dir_.reset(open(o_.socket_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_) ThrowErrno("open " + o_.socket_dir);
    sock_name_ = SocketPath(dir_.get());
    unlink(sock_name_.c_str());  // a dead monitor's
    listen_.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listen_) ThrowErrno("attach socket");
    sockaddr_un a = AddrOf(sock_name_);
    if (bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ThrowErrno("bind " + o_.socket_dir + "/" + kSocketName);
    if (chmod(sock_name_.c_str(), 0600) != 0 || listen(listen_.get(), 8) != 0) ThrowErrno("listen " + o_.socket_dir + "/" + kSocketName);
  }
  if (o_.client) {
    SetSendTimeout(o_.client.get());
    clients_.push_back(std::move(o_.client));
    stdin_once_.push_back(true);
  }
}

IoRelay::~IoRelay() {
  if (listen_) unlinkat(dir_.get(), kSocketName, 0);
}

void IoRelay::PrepareStart(int* in, int* out, int* err) {
  if (!o_.tty) {
    Pipe(&out_r_, &out_w_);
    Pipe(&err_r_, &err_w_);
    *out = out_w_.get();
    *err = err_w_.get();
  }
  if (o_.stdin_pipe) {
    Pipe(&in_r_, &in_w_);
    *in = in_r_.get();
  }
}

void IoRelay::SetPty(int master) {
  if (!o_.window) return;
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(o_.window->first);
  ws.ws_col = static_cast<unsigned short>(o_.window->second);
  ioctl(master, TIOCSWINSZ, &ws);
}

void IoRelay::Started(int master) {
  out_w_.reset();
  err_w_.reset();
  in_r_.reset();
  master_ = master;
}

void IoRelay::AddPollFds(std::vector<struct pollfd>* fds) {
  polled_.clear();
  auto add = [&](int fd, Slot s, size_t i) {
    fds->push_back({fd, POLLIN, 0});
    polled_.push_back({s, i});
  };
  if (out_r_) add(out_r_.get(), Slot::kOut, 0);
  if (err_r_) add(err_r_.get(), Slot::kErr, 0);
  if (master_ >= 0) add(master_, Slot::kMaster, 0);
  if (listen_) add(listen_.get(), Slot::kListen, 0);
  for (size_t i = 0; i < clients_.size(); i++) add(clients_[i].get(), Slot::kClient, i);
}

void IoRelay::HandlePoll(const struct pollfd* fds, size_t n) {
  for (size_t k = 0; k < n && k < polled_.size(); k++) {
    if (!fds[k].revents) continue;
    auto [slot, i] = polled_[k];
    switch (slot) {
      case Slot::kOut:
        if (!ReadOutput(out_r_.get(), false)) out_r_.reset();
        break;
      case Slot::kErr:
        if (!ReadOutput(err_r_.get(), true)) err_r_.reset();
        break;
      case Slot::kMaster:
        if (!ReadOutput(master_, false)) master_ = -1;  // EIO: no slave left open
        break;
      case Slot::kListen:
        Accept();
        break;
      case Slot::kClient:
        ClientInput(i);
        break;
    }
  }
  if (drop_out_) out_r_.reset();
  if (drop_err_) err_r_.reset();
  drop_out_ = drop_err_ = false;
  // Dropped clients go last, so the indices above stay valid.
  for (size_t i = clients_.size(); i-- > 0;) {
    if (clients_[i]) continue;
    clients_.erase(clients_.begin() + static_cast<long>(i));
    stdin_once_.erase(stdin_once_.begin() + static_cast<long>(i));
  }
}

bool IoRelay::ReadOutput(int fd, bool is_stderr) {
  char buf[kChunk];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    Emit(is_stderr, std::string_view(buf, static_cast<size_t>(n)));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

void IoRelay::Emit(bool is_stderr, std::string_view data) {
  if (log_) log_->Write(is_stderr, data);
  int& term = is_stderr ? o_.term_err : o_.term_out;
  if (term >= 0) {
    try {
      WriteAll(term, data.data(), data.size(), "terminal");
    } catch (const Error&) {
      // The reader went away (`mini run ... | head`): the container's next write fails as it
      // did when the terminal was its own stdout, and then it can stop.
      term = -1;
      (is_stderr ? drop_err_ : drop_out_) = true;
    }
  }
  for (auto& c : clients_)
    if (c && !SendPacket(c.get(), is_stderr ? '2' : '1', data)) c.reset();
}

void IoRelay::Accept() {
  int fd = accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  SetSendTimeout(fd);
  clients_.emplace_back(fd);
  stdin_once_.push_back(false);
}

void IoRelay::ClientInput(size_t i) {
  char buf[65536 + 1];
  ssize_t n = recv(clients_[i].get(), buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    clients_[i].reset();  // left (detached, or gone)
    return;
  }
  std::string_view data(buf + 1, static_cast<size_t>(n - 1));
  switch (buf[0]) {
    case 'i':
      if (o_.open_stdin) SendInput(data);
      break;
    case 'e':
      // The end of `run -it`'s input: ^D to the terminal, or the end of the stdin pipe.
      if (!o_.open_stdin || !stdin_once_[i]) break;
      if (o_.tty) SendInput("\x04");
      else in_w_.reset();
      break;
    case 'w': {
      unsigned rows = 0, cols = 0;
      if (master_ >= 0 && std::sscanf(std::string(data).c_str(), "%u %u", &rows, &cols) == 2) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(rows);
        ws.ws_col = static_cast<unsigned short>(cols);
        ioctl(master_, TIOCSWINSZ, &ws);
      }
      break;
    }
    default:
      break;
  }
}

void IoRelay::SendInput(std::string_view data) {
  int fd = o_.tty ? master_ : in_w_.get();
  if (fd < 0) return;
  try {
    WriteAll(fd, data.data(), data.size(), "container stdin");
  } catch (const Error&) {
  }
}

void IoRelay::Exited() {
  auto drain = [&](int fd, bool is_stderr) {
    if (fd < 0) return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char buf[kChunk];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) Emit(is_stderr, std::string_view(buf, static_cast<size_t>(n)));
      else if (n < 0 && errno == EINTR) continue;
      else break;
    }
  };
  drain(drop_out_ ? -1 : out_r_.get(), false);
  drain(drop_err_ ? -1 : err_r_.get(), true);
  drop_out_ = drop_err_ = false;
  drain(master_, false);
  out_r_.reset();
  err_r_.reset();
  in_w_.reset();
  master_ = -1;
}

void IoRelay::Finish(int exit_code) {
  for (auto& c : clients_)
    if (c) SendPacket(c.get(), 'x', std::to_string(exit_code));
  clients_.clear();
  stdin_once_.clear();
  if (listen_) {
    unlinkat(dir_.get(), kSocketName, 0);
    listen_.reset();
  }
}

int RelayWaitLoop(pid_t pid, const SignalBlock& sigs, IoRelay& relay, int master) {
  relay.Started(master);
  std::vector<struct pollfd> fds;
  for (;;) {
    fds.assign(1, {sigs.fd(), POLLIN, 0});
    relay.AddPollFds(&fds);
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll");
    }
    relay.HandlePoll(fds.data() + 1, fds.size() - 1);
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    while (read(sigs.fd(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      int s = static_cast<int>(si.ssi_signo);
      if (s != SIGCHLD && s != SIGWINCH) kill(pid, s);
    }
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      relay.Exited();
      return status;
    }
  }
}

AttachedRun PlanAttachedRun(const ContainerConfig& c, bool tty, bool interactive) {
  AttachedRun p;
  p.relay = !c.spec.remove || (tty && interactive);
  if (p.relay && tty && interactive) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) ThrowErrno("socketpair");
    p.client.reset(sv[0]);
    p.monitor_end.reset(sv[1]);
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0) p.window = std::make_pair(unsigned{ws.ws_row}, unsigned{ws.ws_col});
  }
  return p;
}

std::unique_ptr<IoRelay> StartMonitorRelay(const Layout& layout, const ContainerConfig& c, AttachedRun* plan, IoSpec* io) {
  if (plan && !plan->relay) return nullptr;
  ContainerStore store(layout);
  RelayOptions o;
  o.log = ParseLogOptions(c.spec.log);
  if (std::map<std::string, std::string> attrs = LogAttributes(c); !attrs.empty()) o.log.attrs_json = nlohmann::json(attrs).dump();
  // An attached --rm run's log would be removed unread with it: none (see attach.h).
  if (o.log.enabled && !(plan && c.spec.remove)) o.log_path = store.LogPath(c.id);
  o.socket_dir = store.RuntimeDir(c.id);
  o.tty = c.spec.tty;
  o.open_stdin = c.spec.interactive;
  if (plan) {
    plan->client.reset();
    if (plan->monitor_end) {
      o.client = std::move(plan->monitor_end);
      o.window = plan->window;
      // The client keeps the terminal: this monitor holds none of it.
      UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
      for (int fd = 0; fd < 3 && null; fd++) dup2(null.get(), fd);
      io->in = -1;
    } else {
      o.term_out = io->out;
      o.term_err = io->err;
      signal(SIGPIPE, SIG_IGN);  // a closed terminal pipe is an EPIPE here (the container resets it)
      o.open_stdin = false;  // a non-tty run's stdin is its own fd 0
    }
  } else {
    o.stdin_pipe = c.spec.interactive && !c.spec.tty;
  }
  auto relay = std::make_unique<IoRelay>(std::move(o));
  io->relay = relay.get();
  return relay;
}

AttachEnd RunAttachClient(int sock, const AttachClientOptions& o, int sigfd, const std::function<bool(int)>& on_signal,
                          int* exit_code) {
  *exit_code = -1;
  bool term = o.tty && o.in >= 0;
  auto send_window = [&] {
    struct winsize ws;
    if (term && ioctl(o.in, TIOCGWINSZ, &ws) == 0)
      SendPacket(sock, 'w', std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col));
  };
  std::unique_ptr<RawMode> raw;
  if (term) {
    raw = std::make_unique<RawMode>(o.in);
    send_window();
  }
  DetachMatcher keys(term ? o.detach_keys : "");
  bool in_open = o.in >= 0;
  static char buf[65536 + 1];
  for (;;) {
    struct pollfd p[3] = {{sock, POLLIN, 0}, {in_open ? o.in : -1, POLLIN, 0}, {sigfd, POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("poll");
    }
    if (p[0].revents) {
      ssize_t n = recv(sock, buf, sizeof buf, 0);
      if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) return AttachEnd::kEnded;
      if (n > 0 && (buf[0] == '1' || buf[0] == '2')) {
        try {
          WriteAll(buf[0] == '1' ? 1 : 2, buf + 1, static_cast<size_t>(n - 1), "stdout");
        } catch (const Error&) {
        }
      } else if (n > 0 && buf[0] == 'x') {
        *exit_code = std::atoi(std::string(buf + 1, static_cast<size_t>(n - 1)).c_str());
      }
    }
    if (p[1].revents) {
      ssize_t n = read(o.in, buf, sizeof buf - 1);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        in_open = false;
        if (o.stdin_once) SendPacket(sock, 'e', "");
      } else if (n > 0) {
        bool detach = false;
        std::string fwd = keys.Feed(std::string_view(buf, static_cast<size_t>(n)), &detach);
        if (!fwd.empty()) SendPacket(sock, 'i', fwd);
        if (detach) return AttachEnd::kDetached;
      }
    }
    if (p[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int s = static_cast<int>(si.ssi_signo);
        if (s == SIGWINCH) send_window();
        else if (s != SIGCHLD && on_signal && on_signal(s)) return AttachEnd::kDetached;
      }
    }
  }
}

int AttachContainer(const Layout& layout, const std::string& id, const AttachRequest& r) {
  ContainerStore store(layout);
  ContainerState st = store.LoadState(id);
  if (st.status != ContainerStatus::kRunning)
    throw Error(ErrorKind::kConflict, "You cannot attach to a stopped container, start it first");
  ContainerConfig c = store.LoadConfig(id);
  std::string keys = ParseDetachKeys(!r.detach_keys.empty() ? r.detach_keys : c.spec.log.detach_keys);
  UniqueFd dir(open(store.RuntimeDir(id).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd sock(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!dir || !sock) ThrowErrno("attach " + id.substr(0, 12));
  sockaddr_un a = AddrOf(SocketPath(dir.get()));
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno == ENOENT && c.spec.remove)
      throw Error(ErrorKind::kConflict, "container " + id.substr(0, 12) +
                  " cannot be attached: a --rm run without -d or -i -t copies no output");
    ThrowErrno("attach " + id.substr(0, 12) + ": connect to its monitor");
  }
  SignalBlock sigs;
  AttachClientOptions o;
  o.tty = c.spec.tty;
  o.in = !r.no_stdin && c.spec.interactive ? 0 : -1;
  o.detach_keys = keys;
  int code = -1;
  int left_by = 0;
  AttachEnd end = RunAttachClient(sock.get(), o, sigs.fd(), [&](int s) {
    // --sig-proxy (not with a tty, where ^C is a key): the signal goes to the container.
    if (r.sig_proxy && !c.spec.tty) {
      if (ProcessAlive(st.pid, st.pid_start)) kill(st.pid, s);
      return false;
    }
    left_by = s;
    return true;
  }, &code);
  if (end == AttachEnd::kDetached) return left_by ? 128 + left_by : 0;
  if (code >= 0) return code;
  try {
    return store.LoadState(id).exit_code;
  } catch (const Error&) {
    return 0;  // a --rm container is gone
  }
}

}  // namespace mini::run
