// BuildKit-style build progress (see progress.h).
#include "build/progress.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pthread.h>

#include <cerrno>
#include <memory>
#include <csignal>

#include "common/error.h"

namespace mini::build {

namespace {

constexpr size_t kTailLines = 6;  ///< tty: log lines shown under a running vertex

std::string Fixed(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

/// The terminal's size, 80x24 when unknown.
void TerminalSize(FILE* out, int* cols, int* rows) {
  winsize ws{};
  *cols = 80;
  *rows = 24;
  if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
    *cols = ws.ws_col;
    *rows = ws.ws_row;
  }
}

/// `left` and `right` on one line of `cols` columns (left cut when too long).
std::string Justify(const std::string& left, const std::string& right, int cols) {
  int room = cols - 1 - static_cast<int>(right.size()) - 1;
  std::string l = left;
  if (room < 10) room = 10;
  if (static_cast<int>(l.size()) > room) l = l.substr(0, room);
  return l + std::string(room - l.size() + 1, ' ') + right;
}

}  // namespace

std::string StepNamer::Next(const std::string& text) {
  std::string total = std::to_string(total_), index = std::to_string(++index_);
  std::string out = "[" + (stage_.empty() ? "" : stage_ + " ");
  out += std::string(total.size() > index.size() ? total.size() - index.size() : 0, ' ') + index + "/" + total + "] ";
  return out + text;
}

void BlockSignalsInThisThread() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

std::thread StartThread(std::function<void()> fn) {
  std::mutex mu;
  std::condition_variable cv;
  bool running = false;
  std::thread t([&mu, &cv, &running, fn = std::move(fn)] {
    BlockSignalsInThisThread();
    {
      std::lock_guard<std::mutex> lock(mu);
      running = true;
      cv.notify_one();  // under the lock: the starter's mu, cv and flag outlive this call
    }
    fn();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return running; });
  return t;
}

BuildProgress::Mode BuildProgress::ParseMode(const std::string& flag, bool quiet, FILE* out) {
  if (flag != "auto" && flag != "plain" && flag != "tty" && flag != "quiet")
    throw Error(ErrorKind::kInvalidInput, "invalid --progress \"" + flag + "\": use auto, plain, tty or quiet");
  if (quiet || flag == "quiet") return Mode::kQuiet;
  if (flag == "plain") return Mode::kPlain;
  if (flag == "tty") return Mode::kTty;
  return isatty(fileno(out)) ? Mode::kTty : Mode::kPlain;
}

BuildProgress::BuildProgress(Mode mode, FILE* out) : mode_(mode), out_(out), begin_(std::chrono::steady_clock::now()) {
  if (mode_ == Mode::kTty) ticker_ = StartThread([this] { Ticker(); });
}

BuildProgress::~BuildProgress() { Stop(); }

void BuildProgress::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    if (mode_ == Mode::kTty) RedrawLocked(true);
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

double BuildProgress::Seconds(const Vertex& x) const {
  auto end = x.state == State::kRunning ? std::chrono::steady_clock::now() : x.end;
  return std::chrono::duration<double>(end - x.start).count();
}

int BuildProgress::Start(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Vertex x;
  x.name = name;
  x.start = std::chrono::steady_clock::now();
  vertices_.push_back(std::move(x));
  int v = static_cast<int>(vertices_.size());
  if (stop_) return v;
  if (mode_ == Mode::kPlain) {
    std::fprintf(out_, "#%d %s\n", v, name.c_str());
    std::fflush(out_);
  } else if (mode_ == Mode::kTty) {
    RedrawLocked(false);
  }
  return v;
}

void BuildProgress::Log(int v, const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  if (mode_ == Mode::kQuiet || stop_) return;
  bool known = v >= 1 && v <= static_cast<int>(vertices_.size());
  if (mode_ == Mode::kPlain) {
    if (known) {
      double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - vertices_[v - 1].start).count();
      std::fprintf(out_, "#%d %.3f %s\n", v, t, line.c_str());
    } else {
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
    return;
  }
  if (known) {
    auto& tail = vertices_[v - 1].tail;
    tail.push_back(line);
    if (tail.size() > kTailLines) tail.erase(tail.begin());
    return;  // drawn by the next tick
  }
  // A line outside the vertices goes above the block, which is then drawn again below it.
  if (drawn_ > 0) std::fprintf(out_, "\033[%dA\r", drawn_);
  std::fprintf(out_, "\033[2K%s\n", line.c_str());
  drawn_ = 0;
  RedrawLocked(false);
}

void BuildProgress::Status(int v, const std::string& text) {
  if (mode_ == Mode::kTty) return Log(v, text);
  std::lock_guard<std::mutex> lock(mu_);
  if (mode_ != Mode::kPlain || stop_ || v < 1 || v > static_cast<int>(vertices_.size())) return;
  std::fprintf(out_, "#%d %s\n", v, text.c_str());
  std::fflush(out_);
}

void BuildProgress::Cached(int v) { End(v, State::kCached, ""); }
void BuildProgress::Done(int v) { End(v, State::kDone, ""); }
void BuildProgress::Fail(int v, const std::string& message) { End(v, State::kFailed, message); }

void BuildProgress::End(int v, State s, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (v < 1 || v > static_cast<int>(vertices_.size())) return;
  Vertex& x = vertices_[v - 1];
  if (x.state != State::kRunning) return;
  x.state = s;
  x.end = std::chrono::steady_clock::now();
  if (stop_) return;
  if (mode_ == Mode::kPlain) {
    if (s == State::kCached) std::fprintf(out_, "#%d CACHED\n\n", v);
    else if (s == State::kDone) std::fprintf(out_, "#%d DONE %s\n\n", v, Fixed(Seconds(x)).c_str());
    else std::fprintf(out_, "#%d ERROR: %s\n\n", v, message.c_str());
    std::fflush(out_);
  } else if (mode_ == Mode::kTty) {
    RedrawLocked(false);
  }
}

void BuildProgress::RedrawLocked(bool final) {
  int cols, rows;
  TerminalSize(out_, &cols, &rows);
  int finished = 0;
  for (const auto& x : vertices_)
    if (x.state != State::kRunning) ++finished;
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  std::vector<std::string> lines;
  lines.push_back(std::string(final ? "[+] Building " : "[+] Building ") + Fixed(total) + " (" +
                  std::to_string(finished) + "/" + std::to_string(vertices_.size()) + ")" + (final ? " FINISHED" : ""));
  for (const auto& x : vertices_) {
    std::string prefix = x.state == State::kCached ? " => CACHED " : x.state == State::kFailed ? " => ERROR " : " => ";
    lines.push_back(Justify(prefix + x.name, Fixed(Seconds(x)), cols));
    if (x.state == State::kRunning || x.state == State::kFailed)
      for (const auto& t : x.tail) lines.push_back(Justify(" => => # " + t, "", cols));
  }
  // What does not fit on the screen scrolls away: only the last rows-1 lines are redrawn.
  size_t fit = static_cast<size_t>(std::max(2, rows - 1));
  if (lines.size() > fit) lines.erase(lines.begin(), lines.end() - static_cast<long>(fit));
  std::string buf;
  if (drawn_ > 0) buf += "\033[" + std::to_string(drawn_) + "A\r";
  for (const auto& l : lines) buf += "\033[2K" + l + "\n";
  for (int i = static_cast<int>(lines.size()); i < drawn_; ++i) buf += "\033[2K\n";
  int extra = drawn_ - static_cast<int>(lines.size());
  if (extra > 0) buf += "\033[" + std::to_string(extra) + "A";
  std::fwrite(buf.data(), 1, buf.size(), out_);
  std::fflush(out_);
  drawn_ = static_cast<int>(lines.size());
}

void BuildProgress::Ticker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
    if (!stop_) RedrawLocked(false);
  }
}

VertexOutput::VertexOutput(BuildProgress& progress, int vertex) : progress_(progress), vertex_(vertex) {
  if (progress_.mode() == BuildProgress::Mode::kQuiet) {
    write_.reset(open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!write_) ThrowErrno("open /dev/null");
    return;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd read_end(p[0]);
  write_.reset(p[1]);
  auto fd = std::make_shared<UniqueFd>(std::move(read_end));
  reader_ = StartThread([this, fd] {
    std::string pending;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd->get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        progress_.Log(vertex_, line);
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) progress_.Log(vertex_, pending);
  });
}

VertexOutput::~VertexOutput() {
  write_.reset();
  if (reader_.joinable()) reader_.join();
}

}  // namespace mini::build
