#pragma once
/// The store's event log: what Docker's daemon streams from memory, mini appends to
/// `events.log` (one JSON object per line), since no daemon outlives the command that acted.
/// `mini events` reads it back (--since/--until/--filter/--format, and follows it). At ~10 MiB
/// the log is rotated into `events.log.1` (one generation kept); readers read both.
#include <sys/types.h>

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

/// The size at which RecordEvent rotates events.log into events.log.1.
inline constexpr uint64_t kEventLogRotateBytes = 10u << 20;

/// Appends `e` to the log in one write (O_APPEND: concurrent writers never interleave a line),
/// rotating the log first when it has grown past kEventLogRotateBytes (under an flock, so
/// concurrent writers rotate once). Never throws: an event that cannot be written is a
/// warning, the command goes on.
void RecordEvent(const Layout& layout, Event e);

/// The events recorded from `since_nano` up to `until_nano` (0: no bound), oldest first
/// (events.log.1, then events.log).
std::vector<Event> ReadEvents(const Layout& layout, int64_t since_nano = 0, int64_t until_nano = 0);

/// Where a follower of the log has read up to: the file (by inode) and the offset in it.
struct EventCursor {
  ino_t ino = 0;
  uint64_t offset = 0;
};
/// The complete lines appended since `*cursor` (a fresh cursor: the whole log, both files), and
/// moves the cursor past them. A rotation since the last call is followed: the rest of the old
/// file (now events.log.1), then the new one from its start.
std::vector<Event> ReadNewEvents(const Layout& layout, EventCursor* cursor);

/// One line of the log back into an Event; false for a torn or foreign line. Pure.
bool ParseEventLine(const std::string& line, Event* e);

}  // namespace mini
