#pragma once
/// The store's event log: what Docker's daemon streams from memory, mini appends to
/// `events.log` (one JSON object per line), since no daemon outlives the command that acted.
/// `mini events` reads it back (--since/--until/--filter/--format, and follows it).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store/layout.h"

namespace mini {

/// One event, shaped like Docker's (`docker events --format '{{json .}}'`).
struct Event {
  std::string type;    ///< "container", "image", "volume", "network"
  std::string action;  ///< "create", "start", "die", "stop", "kill", "destroy", "pull", "tag",
                       ///< "untag", "delete", "health_status: healthy", ...
  std::string id;      ///< the object's id (container id, image id or reference, volume name)
  std::map<std::string, std::string> attributes;  ///< name, image, exitCode, signal, ...
  int64_t time_nano = 0;  ///< set by RecordEvent when 0
};

/// Appends `e` to the log in one write (O_APPEND: concurrent writers never interleave a line).
/// Never throws: an event that cannot be written is a warning, the command goes on.
void RecordEvent(const Layout& layout, Event e);

/// The events recorded from `since_nano` up to `until_nano` (0: no bound), oldest first.
std::vector<Event> ReadEvents(const Layout& layout, int64_t since_nano = 0, int64_t until_nano = 0);

}  // namespace mini
