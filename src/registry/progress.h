#pragma once
/// Pull/push progress like `docker pull`: on a terminal one live line per layer
/// ("a3ed95caeb02: Downloading [=====>    ] 1.2MB/3.4MB"), redrawn in place at most 10 times a
/// second; when the output is not a terminal one plain line per state change; nothing in quiet
/// mode. Thread-safe: layer workers report concurrently.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace mini::registry {

class Progress {
 public:
  enum class Mode { kTty, kPlain, kQuiet };
  /// kTty when `out` is a terminal (and not quiet), kPlain otherwise.
  static Mode ModeFor(FILE* out, bool quiet);

  Progress(Mode mode, FILE* out) : mode_(mode), out_(out) {}
  ~Progress() { Finish(); }

  /// A message line ("latest: Pulling from library/busybox"); not in quiet mode.
  void Message(const std::string& line);
  /// Adds a layer row and returns its index.
  int Add(const std::string& id, const std::string& state, uint64_t total = 0);
  /// Changes a row's state ("Downloading", "Pull complete", ...); printed at once.
  void State(int row, const std::string& state);
  /// Updates a row's byte count (redrawn at most every 100 ms on a terminal; silent otherwise).
  void Bytes(int row, uint64_t done);
  /// Draws the final state of every row; later Messages go below them.
  void Finish();

 private:
  struct Row {
    std::string id, state;
    uint64_t done = 0, total = 0;
  };
  std::string Render(const Row& r) const;
  void RedrawLocked();

  Mode mode_;
  FILE* out_;
  std::mutex mu_;
  std::vector<Row> rows_;
  int drawn_ = 0;  ///< rows currently on screen below the cursor's block start
  bool finished_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace mini::registry
