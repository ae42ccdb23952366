#pragma once
/// Container events for `mini events` (store/event_log.h), with Docker's attributes: name,
/// image, the container's labels, and per action exitCode (die) or signal (kill). Build-step
/// containers record nothing. Never throws (an event is a side note of the real work).
#include <map>
#include <string>

#include "run/container.h"
#include "store/layout.h"

namespace mini::run {

/// Records `action` for container `c` with `extra` attributes.
void RecordContainerEvent(const Layout& layout, const ContainerConfig& c, const std::string& action,
                          std::map<std::string, std::string> extra = {});
/// The same, with the config loaded from the store (nothing when it cannot be read).
void RecordContainerEvent(const Layout& layout, const std::string& id, const std::string& action,
                          std::map<std::string, std::string> extra = {});
/// A monitor's end of a container: "die" (exitCode), and "destroy" when it was --rm.
void RecordContainerEnd(const Layout& layout, const ContainerConfig& c, int exit_code);

}  // namespace mini::run
