// Container events with Docker's attributes.
#include "run/container_events.h"

#include "common/error.h"
#include "store/event_log.h"

namespace mini::run {

void RecordContainerEvent(const Layout& layout, const ContainerConfig& c, const std::string& action,
                          std::map<std::string, std::string> extra) {
  if (c.spec.build) return;
  Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  // Docker: the image's labels, then the container's, then name and image.
  if (c.image.config.is_object() && c.image.config.contains("Labels") && c.image.config["Labels"].is_object())
    for (auto& [k, v] : c.image.config["Labels"].items())
      if (v.is_string()) e.attributes[k] = v.get<std::string>();
  for (const auto& l : c.spec.view.labels) {
    size_t eq = l.find('=');
    e.attributes[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  e.attributes["name"] = c.name;
  e.attributes["image"] = c.image.name;
  for (auto& [k, v] : extra) e.attributes[k] = std::move(v);
  RecordEvent(layout, std::move(e));
}

void RecordContainerEvent(const Layout& layout, const std::string& id, const std::string& action,
                          std::map<std::string, std::string> extra) {
  ContainerConfig c;
  try {
    c = ContainerStore(layout).LoadConfig(id);
  } catch (const Error&) {
    return;
  }
  RecordContainerEvent(layout, c, action, std::move(extra));
}

void RecordContainerEnd(const Layout& layout, const ContainerConfig& c, int exit_code) {
  RecordContainerEvent(layout, c, "die", {{"exitCode", std::to_string(exit_code)}});
  if (c.spec.remove) RecordContainerEvent(layout, c, "destroy");
}

}  // namespace mini::run
