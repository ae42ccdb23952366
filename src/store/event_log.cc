// The event log: one JSON line per event, appended with O_APPEND, rotated at ~10 MiB.
#include "store/event_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/fs.h"
#include "common/log.h"

namespace mini {
namespace {

nlohmann::json ToJson(const Event& e) {
  return {{"Type", e.type}, {"Action", e.action}, {"ID", e.id}, {"Attributes", e.attributes}, {"timeNano", e.time_nano}};
}

/// Renames a grown log to events.log.1, unless another writer did it first (the fd we hold is
/// then no longer the file at `path`).
void RotateIfLarge(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) < kEventLogRotateBytes) return;
  if (flock(fd, LOCK_EX) != 0) return;
  struct stat now;
  if (stat(path.c_str(), &now) == 0 && now.st_ino == st.st_ino && now.st_dev == st.st_dev)
    if (rename(path.c_str(), (path + ".1").c_str()) != 0) Warn("rotate " + path + ": " + strerror(errno));
  flock(fd, LOCK_UN);
}

/// Reads the complete lines of `fd` from `*offset` on; leaves a torn last line for later.
void ReadLinesFrom(int fd, uint64_t* offset, std::vector<Event>* out) {
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(*offset + text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    Event e;
    if (ParseEventLine(text.substr(start, nl - start), &e)) out->push_back(std::move(e));
  }
  *offset += start;
}

}  // namespace

bool ParseEventLine(const std::string& line, Event* e) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  e->type = j.value("Type", "");
  e->action = j.value("Action", "");
  e->id = j.value("ID", "");
  if (j.contains("Attributes") && j["Attributes"].is_object())
    for (auto& [k, v] : j["Attributes"].items())
      if (v.is_string()) e->attributes[k] = v.get<std::string>();
  e->time_nano = j.value("timeNano", int64_t{0});
  return !e->type.empty() || !e->action.empty();
}

void RecordEvent(const Layout& layout, Event e) {
  if (e.time_nano == 0)
    e.time_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = ToJson(e).dump() + "\n";
  std::string path = layout.EventLog();
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd) {
    RotateIfLarge(fd.get(), path);
    struct stat held, named;
    bool moved = fstat(fd.get(), &held) != 0 || stat(path.c_str(), &named) != 0 || held.st_ino != named.st_ino;
    if (moved) fd = UniqueFd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));  // rotated meanwhile
  }
  if (!fd || write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    Warn("could not record the " + e.type + " " + e.action + " event in " + path);
}

std::vector<Event> ReadEvents(const Layout& layout, int64_t since_nano, int64_t until_nano) {
  EventCursor cursor;
  std::vector<Event> out;
  for (Event& e : ReadNewEvents(layout, &cursor)) {
    if (since_nano && e.time_nano < since_nano) continue;
    if (until_nano && e.time_nano > until_nano) continue;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Event> ReadNewEvents(const Layout& layout, EventCursor* cursor) {
  std::vector<Event> out;
  std::string path = layout.EventLog();
  UniqueFd cur(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st{};
  if (cur && fstat(cur.get(), &st) != 0) cur.reset();
  if (!cur || st.st_ino != cursor->ino) {
    // A fresh cursor or a rotation: first what is left of the older file.
    UniqueFd old(open((path + ".1").c_str(), O_RDONLY | O_CLOEXEC));
    struct stat ost{};
    if (old && fstat(old.get(), &ost) == 0) {
      uint64_t off = cursor->ino == ost.st_ino ? cursor->offset : 0;
      if (cursor->ino == 0 || cursor->ino == ost.st_ino) ReadLinesFrom(old.get(), &off, &out);
    }
    if (!cur) {
      *cursor = {};
      return out;
    }
    *cursor = {st.st_ino, 0};
  }
  ReadLinesFrom(cur.get(), &cursor->offset, &out);
  return out;
}

}  // namespace mini
