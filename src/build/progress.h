#pragma once
/// `mini build`'s progress, as BuildKit shows it (on stderr). A build is a list of vertices
/// ("[internal] load build definition from Minifile", "[2/5] RUN make", "exporting to image"),
/// each started, given log lines, then done, cached or failed.
///   plain: `#N NAME`, `#N 0.123 LOG LINE`, `#N DONE 0.1s` / `#N CACHED` / `#N ERROR: ...`,
///          a blank line after each vertex (BuildKit's --progress=plain).
///   tty:   a block redrawn in place every 100 ms: `[+] Building 1.2s (3/5)`, then one line per
///          vertex with its timer (` => [2/5] RUN make   0.8s`, ` => CACHED [3/5] COPY . .`)
///          and the last lines of the running ones (` => => # line`).
///   quiet: nothing.
/// Thread-safe: log lines come from the threads reading RUN output.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fs.h"

namespace mini::build {

class BuildProgress {
 public:
  enum class Mode { kPlain, kTty, kQuiet };
  /// --progress (auto, plain, tty, quiet) and -q: auto is tty when `out` is a terminal, else
  /// plain; -q (or quiet) is quiet. Throws Error("invalid --progress \"x\": use auto, plain, tty
  /// or quiet").
  static Mode ParseMode(const std::string& flag, bool quiet, FILE* out);

  BuildProgress(Mode mode, FILE* out);
  /// Draws the final state (tty) and stops the redraw thread.
  ~BuildProgress();
  BuildProgress(const BuildProgress&) = delete;
  BuildProgress& operator=(const BuildProgress&) = delete;

  Mode mode() const { return mode_; }
  /// Starts a vertex named `name`; returns its number (1, 2, ...).
  int Start(const std::string& name);
  /// A log line of vertex `v` (v < 1: a line outside any vertex, e.g. a warning).
  void Log(int v, const std::string& line);
  /// A status line of vertex `v` ("writing image sha256:... done"): `#N TEXT` in plain mode.
  void Status(int v, const std::string& text);
  /// Ends `v` as found in the cache, done, or failed; the first call wins, later ones do nothing
  /// (so that "done after the step" need not know whether the step was a cache hit).
  void Cached(int v);
  void Done(int v);
  void Fail(int v, const std::string& message);
  /// Ends the tty display (final redraw, thread stopped); later calls print nothing more.
  void Stop();

 private:
  enum class State { kRunning, kDone, kCached, kFailed };
  struct Vertex {
    std::string name;
    State state = State::kRunning;
    std::chrono::steady_clock::time_point start, end;
    std::vector<std::string> tail;  ///< tty: the last log lines
  };
  void End(int v, State s, const std::string& message);
  void RedrawLocked(bool final);
  void Ticker();
  double Seconds(const Vertex& x) const;

  Mode mode_;
  FILE* out_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Vertex> vertices_;
  std::chrono::steady_clock::time_point begin_;
  int drawn_ = 0;  ///< tty: lines of the block on screen
  bool stop_ = false;
  std::thread ticker_;
};

/// BuildKit's step names within one stage: "[build 2/5] RUN make", or "[2/5] RUN make" when the
/// build does not name its stages (one stage, no COPY --from an image).
class StepNamer {
 public:
  StepNamer() = default;
  StepNamer(std::string stage, int total) : stage_(std::move(stage)), total_(total) {}
  /// The next step's name; the index is padded to the width of the total ("[ 3/12]").
  std::string Next(const std::string& text);
  /// Counts a step that shows no vertex (BuildKit's WORKDIR /).
  void Skip() { ++index_; }

 private:
  std::string stage_;
  int total_ = 0, index_ = 0;
};

/// Starts a thread running `fn` (with every signal blocked, see below) and returns only once it
/// runs. The runner clones container processes from this process; glibc's set*id() in such a
/// child waits for every thread of the parent that has not finished starting, forever (the
/// thread is not in the child). So no thread may still be starting when a RUN step begins.
std::thread StartThread(std::function<void()> fn);

/// Blocks every signal in the calling thread. The threads the builder starts call it first: the
/// runner waits for SIGCHLD (and forwards SIGINT, SIGTERM...) through a signalfd, which sees only
/// the signals no thread takes; a helper thread with them unblocked would swallow them.
void BlockSignalsInThisThread();

/// Where a step's output goes: a pipe whose lines a thread turns into Log lines of one vertex
/// (or /dev/null in quiet mode). The pipe's write end is fd(); the destructor closes it and waits
/// for the reader to reach the end of the output.
class VertexOutput {
 public:
  VertexOutput(BuildProgress& progress, int vertex);
  ~VertexOutput();
  VertexOutput(const VertexOutput&) = delete;
  VertexOutput& operator=(const VertexOutput&) = delete;
  int fd() const { return write_.get(); }

 private:
  BuildProgress& progress_;
  int vertex_;
  UniqueFd write_;
  std::thread reader_;
};

}  // namespace mini::build
