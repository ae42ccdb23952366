#include "store/image_config.h"

namespace mini {
namespace {

using nlohmann::json;

bool IsStringArray(const json& v) {
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!e.is_string()) return false;
  return true;
}

/// {"k": {}, ...}: Docker's set encoding.
bool IsEmptyObjectSet(const json& v) {
  if (!v.is_object()) return false;
  for (const auto& [k, e] : v.items())
    if (!e.is_object() || !e.empty()) return false;
  return true;
}

bool IsStringMap(const json& v) {
  if (!v.is_object()) return false;
  for (const auto& [k, e] : v.items())
    if (!e.is_string()) return false;
  return true;
}

}  // namespace

ImageConfig ImageConfigFromJson(const json& j) {
  ImageConfig c;
  if (!j.is_object()) return c;
  for (const auto& [k, v] : j.items()) {
    bool taken = true;
    if (k == "User" && v.is_string()) c.user = v.get<std::string>();
    else if (k == "WorkingDir" && v.is_string()) c.working_dir = v.get<std::string>();
    else if (k == "StopSignal" && v.is_string()) c.stop_signal = v.get<std::string>();
    else if (k == "Env" && IsStringArray(v)) c.env = v.get<std::vector<std::string>>();
    else if (k == "Entrypoint" && IsStringArray(v)) c.entrypoint = v.get<std::vector<std::string>>();
    else if (k == "Cmd" && IsStringArray(v)) c.cmd = v.get<std::vector<std::string>>();
    else if (k == "OnBuild" && IsStringArray(v)) c.on_build = v.get<std::vector<std::string>>();
    else if (k == "Shell" && IsStringArray(v)) c.shell = v.get<std::vector<std::string>>();
    else if (k == "Labels" && IsStringMap(v)) c.labels = v.get<std::map<std::string, std::string>>();
    else if (k == "Healthcheck" && v.is_object()) c.healthcheck = v;
    else if ((k == "ExposedPorts" || k == "Volumes") && IsEmptyObjectSet(v)) {
      std::set<std::string> s;
      for (const auto& [name, e] : v.items()) s.insert(name);
      (k == "Volumes" ? c.volumes : c.exposed_ports) = std::move(s);
    } else {
      taken = false;
    }
    if (!taken) c.extra[k] = v;
  }
  return c;
}

json ToJson(const ImageConfig& c) {
  json j = c.extra.is_object() ? c.extra : json::object();
  auto set = [](const std::set<std::string>& s) {
    json o = json::object();
    for (const auto& n : s) o[n] = json::object();
    return o;
  };
  if (c.user) j["User"] = *c.user;
  if (c.exposed_ports) j["ExposedPorts"] = set(*c.exposed_ports);
  if (c.env) j["Env"] = *c.env;
  if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
  if (c.cmd) j["Cmd"] = *c.cmd;
  if (c.volumes) j["Volumes"] = set(*c.volumes);
  if (c.working_dir) j["WorkingDir"] = *c.working_dir;
  if (c.labels) j["Labels"] = *c.labels;
  if (c.stop_signal) j["StopSignal"] = *c.stop_signal;
  if (c.healthcheck) j["Healthcheck"] = *c.healthcheck;
  if (c.on_build) j["OnBuild"] = *c.on_build;
  if (c.shell) j["Shell"] = *c.shell;
  return j;
}

}  // namespace mini
