// The event log: one JSON line per event, appended with O_APPEND.
#include "store/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/fs.h"
#include "common/log.h"

namespace mini {
namespace {

nlohmann::json ToJson(const Event& e) {
  return {{"Type", e.type}, {"Action", e.action}, {"ID", e.id}, {"Attributes", e.attributes}, {"timeNano", e.time_nano}};
}

bool FromJson(const std::string& line, Event* e) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  e->type = j.value("Type", "");
  e->action = j.value("Action", "");
  e->id = j.value("ID", "");
  if (j.contains("Attributes") && j["Attributes"].is_object())
    for (auto& [k, v] : j["Attributes"].items())
      if (v.is_string()) e->attributes[k] = v.get<std::string>();
  e->time_nano = j.value("timeNano", int64_t{0});
  return true;
}

}  // namespace

void RecordEvent(const Layout& layout, Event e) {
  if (e.time_nano == 0)
    e.time_nano = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string line = ToJson(e).dump() + "\n";
  std::string path = layout.EventLog();
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd || write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    Warn("could not record the " + e.type + " " + e.action + " event in " + path);
}

std::vector<Event> ReadEvents(const Layout& layout, int64_t since_nano, int64_t until_nano) {
  std::vector<Event> out;
  std::istringstream in(ReadFileIfExists(layout.EventLog(), 256 << 20).value_or(""));
  std::string line;
  while (std::getline(in, line)) {
    Event e;
    if (!FromJson(line, &e)) continue;  // a torn last line of a crashed writer
    if (since_nano && e.time_nano < since_nano) continue;
    if (until_nano && e.time_nano > until_nano) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace mini
