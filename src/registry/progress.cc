// Progress output for pull and push (see progress.h).
#include "registry/progress.h"

#include <unistd.h>

#include "common/human.h"

namespace mini::registry {

Progress::Mode Progress::ModeFor(FILE* out, bool quiet) {
  if (quiet) return Mode::kQuiet;
  return isatty(fileno(out)) ? Mode::kTty : Mode::kPlain;
}

void Progress::Message(const std::string& line) {
  if (mode_ == Mode::kQuiet) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (mode_ == Mode::kTty && drawn_ > 0 && !finished_) {
    // Print above the live block: move up, write the message, redraw the rows below it.
    std::fprintf(out_, "\033[%dA\r\033[2K%s\n", drawn_, line.c_str());
    drawn_ = 0;
    RedrawLocked();
    return;
  }
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

int Progress::Add(const std::string& id, const std::string& state, uint64_t total) {
  std::lock_guard<std::mutex> lock(mu_);
  rows_.push_back({id, state, 0, total});
  int row = static_cast<int>(rows_.size()) - 1;
  if (mode_ == Mode::kPlain) {
    std::fprintf(out_, "%s: %s\n", id.c_str(), state.c_str());
    std::fflush(out_);
  } else if (mode_ == Mode::kTty) {
    RedrawLocked();
  }
  return row;
}

void Progress::State(int row, const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row < 0 || row >= static_cast<int>(rows_.size()) || rows_[row].state == state) return;
  rows_[row].state = state;
  if (mode_ == Mode::kPlain) {
    std::fprintf(out_, "%s: %s\n", rows_[row].id.c_str(), state.c_str());
    std::fflush(out_);
  } else if (mode_ == Mode::kTty) {
    RedrawLocked();
  }
}

void Progress::Bytes(int row, uint64_t done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (row < 0 || row >= static_cast<int>(rows_.size())) return;
  rows_[row].done = done;
  if (mode_ != Mode::kTty) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  RedrawLocked();
}

void Progress::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  if (mode_ == Mode::kTty) RedrawLocked();
  finished_ = true;
}

std::string Progress::Render(const Row& r) const {
  std::string line = r.id + ": " + r.state;
  bool moving = r.state == "Downloading" || r.state == "Pushing" || r.state == "Extracting";
  if (moving && r.total > 0) {
    int width = 50;
    int filled = static_cast<int>(width * std::min<uint64_t>(r.done, r.total) / r.total);
    std::string bar(width, ' ');
    for (int i = 0; i < filled; i++) bar[i] = '=';
    if (filled < width) bar[filled] = '>';
    line += " [" + bar + "] " + HumanSize(r.done) + "/" + HumanSize(r.total);
  }
  return line;
}

void Progress::RedrawLocked() {
  if (finished_) return;
  if (drawn_ > 0) std::fprintf(out_, "\033[%dA", drawn_);
  for (const auto& r : rows_) std::fprintf(out_, "\r\033[2K%s\n", Render(r).c_str());
  drawn_ = static_cast<int>(rows_.size());
  std::fflush(out_);
  last_draw_ = std::chrono::steady_clock::now();
}

}  // namespace mini::registry
