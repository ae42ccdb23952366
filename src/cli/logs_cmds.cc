// A container's output: logs (the json-file log with Docker's flags) and attach.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "cli/cli.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "common/fs.h"
#include "run/container.h"
#include "run/launch/attach.h"
#include "run/log_attrs.h"
#include "run/log_file.h"

namespace mini::cli {
namespace {

using run::ContainerStore;

/// Writes entries to stdout and stderr (by their stream), in order, buffered.
class EntryPrinter {
 public:
  EntryPrinter(bool timestamps, bool details) : timestamps_(timestamps), details_(details) {}
  ~EntryPrinter() { Flush(); }
  void Print(const run::LogEntry& e) {
    std::string& other = e.is_stderr ? out_ : err_;
    if (!other.empty()) Flush();  // keep the order across the two streams
    std::string& b = e.is_stderr ? err_ : out_;
    if (timestamps_) b += run::Rfc3339NanoFixed(e.time_ns) + " ";
    if (details_) b += run::DetailsPrefix(e.attrs);
    b += e.log;
    if (b.size() > (1 << 16)) Flush();
  }
  void Flush() {
    if (!out_.empty()) WriteAll(1, out_.data(), out_.size(), "stdout");
    if (!err_.empty()) WriteAll(2, err_.data(), err_.size(), "stderr");
    out_.clear();
    err_.clear();
  }

 private:
  bool timestamps_, details_;
  std::string out_, err_;
};

/// The complete lines of an open file from its current offset; a torn last line waits in
/// `pending` for the rest.
void ReadLines(int fd, std::string* pending, const std::function<void(std::string_view)>& line) {
  char buf[65536];
  for (;;) {
    size_t n = ReadSome(fd, buf, sizeof buf, "log");
    if (n == 0) return;
    pending->append(buf, n);
    size_t start = 0, nl;
    while ((nl = pending->find('\n', start)) != std::string::npos) {
      line(std::string_view(*pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending->erase(0, start);
  }
}

bool Running(const ContainerStore& store, const std::string& id) {
  try {
    run::ContainerStatus now = store.LoadState(id).status;
    return now == run::ContainerStatus::kRunning || now == run::ContainerStatus::kRestarting;  // -f follows restarts
  } catch (const Error&) {
    return false;  // removed meanwhile
  }
}

/// A log from before json-file: its bytes as they are.
void PrintLegacyLog(const ContainerStore& store, const std::string& id, const std::string& path, bool follow) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return;
  char buf[65536];
  for (;;) {
    size_t n;
    while ((n = ReadSome(fd.get(), buf, sizeof(buf), "log")) > 0) WriteAll(1, buf, n, "stdout");
    if (!follow || !Running(store, id)) {
      while ((n = ReadSome(fd.get(), buf, sizeof(buf), "log")) > 0) WriteAll(1, buf, n, "stdout");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

struct LogsOpts {
  std::string name, since, until, tail = "all";
  bool follow = false, timestamps = false, details = false;
};

void PrintLogs(const ContainerStore& store, const std::string& id, const LogsOpts& o) {
  run::ContainerConfig c = store.LoadConfig(id);
  if (c.spec.log.driver == "none") throw Error("configured logging driver does not support reading");
  int64_t now = run::NowNs();
  run::LogFilter f;
  f.tail = run::ParseTail(o.tail);
  if (!o.since.empty()) f.since_ns = run::ParseLogTime(o.since, now);
  if (!o.until.empty()) f.until_ns = run::ParseLogTime(o.until, now);
  std::string path = store.LogPath(id);
  if (!PathExists(path) && PathExists(store.LegacyLogPath(id))) {
    PrintLegacyLog(store, id, store.LegacyLogPath(id), o.follow);
    return;
  }

  EntryPrinter out(o.timestamps, o.details);
  bool past_until = false;
  auto print = [&](std::string_view line) {
    std::optional<run::LogEntry> e = run::ParseJsonLogLine(line);
    if (!e) return;
    if (f.until_ns && e->time_ns > f.until_ns) past_until = true;
    if (run::PassesTimeFilter(f, e->time_ns)) out.Print(*e);
  };
  // The live file first, so that a rotation while the old ones are read is noticed.
  UniqueFd live(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string pending;
  std::deque<std::string> tail;
  auto collect = [&](std::string_view line) {
    if (f.tail < 0) return print(line);
    if (f.tail == 0) return;
    tail.emplace_back(line);
    if (static_cast<int64_t>(tail.size()) > f.tail) tail.pop_front();
  };
  std::vector<std::string> files = run::LogFilesOldestFirst(path);
  files.pop_back();
  for (const auto& rotated : files) {
    UniqueFd fd(open(rotated.c_str(), O_RDONLY | O_CLOEXEC));
    std::string torn;
    if (fd) ReadLines(fd.get(), &torn, collect);
  }
  if (live) ReadLines(live.get(), &pending, collect);
  for (const auto& line : tail) print(line);
  out.Flush();
  if (!o.follow) return;

  // -f: what is appended, across rotations (a rename: finish the old file, open the new one; a
  // truncation: from the start), until the container stops.
  for (;;) {
    bool running = Running(store, id);
    if (live) ReadLines(live.get(), &pending, print);
    struct stat now_st, live_st;
    bool renamed = stat(path.c_str(), &now_st) == 0 &&
                   (!live || fstat(live.get(), &live_st) != 0 || now_st.st_ino != live_st.st_ino);
    if (renamed) {
      if (live) ReadLines(live.get(), &pending, print);
      pending.clear();
      live.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      continue;
    }
    if (live && fstat(live.get(), &live_st) == 0 && lseek(live.get(), 0, SEEK_CUR) > live_st.st_size) {
      lseek(live.get(), 0, SEEK_SET);
      pending.clear();
      continue;
    }
    out.Flush();
    if (!running || past_until) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void RegisterLogs(CLI::App& app, Globals& g) {
  auto o = std::make_shared<LogsOpts>();
  auto* cmd = app.add_subcommand("logs", "Fetch the logs of a container");
  cmd->add_flag("-f,--follow", o->follow, "follow log output (until the container stops)");
  cmd->add_option("--since", o->since, "show logs since a time (2013-01-02T13:23:37Z) or relative (42m)");
  cmd->add_option("--until", o->until, "show logs before a time (2013-01-02T13:23:37Z) or relative (42m)");
  cmd->add_option("-n,--tail", o->tail, "number of lines to show from the end (default all)");
  cmd->add_flag("-t,--timestamps", o->timestamps, "show timestamps");
  cmd->add_flag("--details", o->details, "show the extra attributes of each line (--log-opt labels=, env=, tag=)");
  cmd->add_option("container", o->name)->required();
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    ContainerStore store(s.layout);
    PrintLogs(store, store.Resolve(o->name), *o);
  });
}

void RegisterAttach(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name;
    run::AttachRequest req;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("attach", "Attach to a running container's input and output");
  cmd->add_flag("--no-stdin", o->req.no_stdin, "do not attach stdin");
  cmd->add_flag("--sig-proxy{true}", o->req.sig_proxy, "proxy received signals to the container (default true)");
  cmd->add_option("--detach-keys", o->req.detach_keys, "key sequence to detach (default ctrl-p,ctrl-q)");
  cmd->add_option("container", o->name)->required();
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    ContainerStore store(s.layout);
    g.exit_code = run::AttachContainer(s.layout, store.Resolve(o->name), o->req);
  });
}

}  // namespace

void RegisterLogsCommands(CLI::App& app, Globals& g) {
  RegisterLogs(app, g);
  RegisterAttach(app, g);
}

}  // namespace mini::cli
