#include "build/stage_state.h"

#include <algorithm>

#include "common/error.h"
#include "common/human.h"
#include "common/path.h"

namespace mini::build {

using nlohmann::json;

namespace {

constexpr const char* kDefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void SetEnvEntry(json& env, const std::string& key, const std::string& value) {
  if (!env.is_array()) env = json::array();
  for (auto& e : env) {
    std::string s = e.get<std::string>();
    if (s.substr(0, s.find('=')) == key) {
      e = key + "=" + value;
      return;
    }
  }
  env.push_back(key + "=" + value);
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "80", "80/udp", "8000-8002/tcp" -> "80/tcp", ...
std::vector<std::string> ExpandPort(const std::string& spec) {
  std::string port = spec, proto = "tcp";
  if (size_t s = spec.find('/'); s != std::string::npos) {
    port = spec.substr(0, s);
    proto = spec.substr(s + 1);
    for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp") throw Error("invalid proto: " + proto);
  std::string lo = port, hi = port;
  if (size_t d = port.find('-'); d != std::string::npos) {
    lo = port.substr(0, d);
    hi = port.substr(d + 1);
  }
  if (!AllDigits(lo) || !AllDigits(hi) || lo.size() > 5 || hi.size() > 5) throw Error("invalid containerPort: " + port);
  int a = std::stoi(lo), b = std::stoi(hi);
  if (a > 65535 || b > 65535 || b < a) throw Error("invalid port range: " + port);
  std::vector<std::string> out;
  for (int p = a; p <= b; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

json CommandJson(const CommandLine& c, const std::vector<std::string>& shell) {
  if (c.json) return c.args;
  std::vector<std::string> v = shell;
  v.push_back(c.args.empty() ? "" : c.args[0]);
  return v;
}

/// Changes the stage's config through its typed form (fields mini does not model stay as they were).
template <class F>
void EditConfig(StageState& st, F fn) {
  ImageConfig c = st.TypedConfig();
  fn(c);
  st.Cfg() = ToJson(c);
}

/// Makes an unset (or oddly shaped) list/set/map field an empty one, replacing what `extra` held.
template <class T>
void Ensure(ImageConfig& c, std::optional<T> ImageConfig::*field, const char* name) {
  if (!(c.*field)) {
    (c.*field).emplace();
    c.extra.erase(name);
  }
}

}  // namespace

ImageConfig StageState::TypedConfig() const {
  return ImageConfigFromJson(config.contains("config") ? config["config"] : json());
}

std::vector<std::string> StageState::Env() const { return TypedConfig().env.value_or(std::vector<std::string>{}); }

std::vector<std::string> StageState::ArgEnv() const {
  std::vector<std::string> env = Env(), out;
  for (const auto& arg : args) {
    const std::string& name = arg.first;  // not a structured binding: clang 14 cannot capture one
    const std::optional<std::string>& value = arg.second;
    if (!value) continue;
    bool overridden = std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    if (!overridden) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<std::string> StageState::SubstitutionVars() const {
  std::vector<std::string> v;
  for (const auto& [name, value] : args)
    if (value) v.push_back(name + "=" + *value);
  auto env = Env();
  v.insert(v.end(), env.begin(), env.end());
  return v;
}

std::vector<std::string> StageState::Shell() const {
  auto s = TypedConfig().shell;
  if (s && !s->empty()) return *s;
  return {"/bin/sh", "-c"};
}

std::string StageState::Workdir() const {
  auto w = TypedConfig().working_dir;
  return w && !w->empty() ? *w : "/";
}

void StageState::AddHistory(const std::string& created_by, const std::string& created, bool empty_layer) {
  json h = {{"created", created}, {"created_by", created_by}, {"comment", "mini build"}};
  if (empty_layer) h["empty_layer"] = true;
  if (!config.contains("history") || !config["history"].is_array()) config["history"] = json::array();
  config["history"].push_back(h);
}

StageState ScratchState(const std::string& arch) {
  StageState st;
  st.config = {{"architecture", arch}, {"os", "linux"}, {"config", {{"Env", json::array({kDefaultPath})}}},
               {"history", json::array()}};
  return st;
}

StageState StateFromImage(const json& image_config) {
  StageState st;
  st.config = image_config;
  st.config.erase("rootfs");
  st.config.erase("container_config");
  st.config.erase("container");
  st.config.erase("docker_version");
  if (!st.config.contains("config") || !st.config["config"].is_object()) st.config["config"] = json::object();
  if (!st.config.contains("history") || !st.config["history"].is_array()) st.config["history"] = json::array();
  // Docker's setDefaultPath: a base without PATH gets the default one.
  json& env = st.config["config"]["Env"];
  if (!env.is_array()) env = json::array();
  bool has_path = std::any_of(env.begin(), env.end(),
                              [](const json& e) { return e.is_string() && e.get<std::string>().rfind("PATH=", 0) == 0; });
  if (!has_path) env.push_back(kDefaultPath);
  // config.OnBuild is kept here: the builder runs those triggers after FROM and drops them.
  return st;
}

bool IsMetadata(const Instruction& ins) {
  return !std::holds_alternative<FromCmd>(ins) && !std::holds_alternative<RunCmd>(ins) &&
         !std::holds_alternative<CopyCmd>(ins);
}

std::string ApplyMetadata(StageState& st, const Instruction& ins, const ShellLex& lex,
                          const std::map<std::string, std::string>& build_args,
                          const std::map<std::string, std::string>& global_args, std::map<std::string, bool>* used) {
  auto vars_vec = st.SubstitutionVars();
  VarLookup vars = LookupIn(vars_vec);
  auto X = [&](const std::string& w) { return lex.ProcessWord(w, vars); };
  json& cfg = st.Cfg();
  if (auto* e = std::get_if<EnvCmd>(&ins)) {
    std::string text = "ENV";
    for (const auto& [k, v] : e->vars) {
      std::string key = X(k), val = X(v);
      // Every pair is expanded against the variables from before this ENV (BuildKit expands the
      // whole instruction first): `ENV A=1 B=$A` leaves B empty when A was unset.
      SetEnvEntry(cfg["Env"], key, val);
      text += " " + key + "=" + val;
    }
    return text;
  }
  if (auto* a = std::get_if<ArgCmd>(&ins)) {
    std::string text = "ARG";
    for (const auto& arg : a->args) {
      std::optional<std::string> value;
      if (auto it = build_args.find(arg.name); it != build_args.end()) {
        value = it->second;
        (*used)[arg.name] = true;
      } else if (arg.value) {
        value = X(*arg.value);
      } else if (auto g = global_args.find(arg.name); g != global_args.end()) {
        value = g->second;
      }
      auto it = std::find_if(st.args.begin(), st.args.end(), [&](const auto& p) { return p.first == arg.name; });
      if (it != st.args.end()) it->second = value;
      else st.args.emplace_back(arg.name, value);
      vars_vec = st.SubstitutionVars();
      text += " " + arg.name + (arg.value ? "=" + X(*arg.value) : "");
    }
    return text;
  }
  if (auto* l = std::get_if<LabelCmd>(&ins)) {
    std::string text = "LABEL";
    EditConfig(st, [&](ImageConfig& c) {
      Ensure(c, &ImageConfig::labels, "Labels");
      for (const auto& [k, v] : l->labels) {
        std::string key = X(k), val = X(v);
        if (key.empty()) throw Error("LABEL names can not be blank");
        (*c.labels)[key] = val;
        text += " " + key + "=" + val;
      }
    });
    return text;
  }
  if (auto* w = std::get_if<WorkdirCmd>(&ins)) {
    std::string p = X(w->path);
    std::string wd = CleanAbsPath(!p.empty() && p[0] == '/' ? p : st.Workdir() + "/" + p);
    EditConfig(st, [&](ImageConfig& c) { c.working_dir = wd; });
    return "WORKDIR " + wd;
  }
  if (auto* u = std::get_if<UserCmd>(&ins)) {
    std::string user = X(u->user);
    EditConfig(st, [&](ImageConfig& c) { c.user = user; });
    return "USER " + user;
  }
  if (auto* ex = std::get_if<ExposeCmd>(&ins)) {
    std::string text = "EXPOSE";
    EditConfig(st, [&](ImageConfig& c) {
      Ensure(c, &ImageConfig::exposed_ports, "ExposedPorts");
      for (const auto& p : ex->ports)
        for (const auto& w : lex.ProcessWords(p, vars))
          for (const auto& port : ExpandPort(w)) {
            c.exposed_ports->insert(port);
            text += " " + port;
          }
    });
    return text;
  }
  if (auto* v = std::get_if<VolumeCmd>(&ins)) {
    json list = json::array();
    EditConfig(st, [&](ImageConfig& c) {
      Ensure(c, &ImageConfig::volumes, "Volumes");
      for (const auto& p : v->paths) {
        std::string path = X(p);
        if (path.empty()) throw Error("VOLUME specified can not be an empty string");
        c.volumes->insert(path);
        list.push_back(path);
      }
    });
    return "VOLUME " + list.dump();
  }
  // An empty Cmd or Entrypoint (`CMD []`, or Cmd reset by ENTRYPOINT) is left out of the config,
  // as BuildKit's omitempty does: inspect shows null.
  if (auto* c = std::get_if<CmdCmd>(&ins)) {
    json v = CommandJson(c->cmd, st.Shell());
    if (v.empty()) cfg.erase("Cmd");
    else cfg["Cmd"] = v;
    st.cmd_set = true;
    return "CMD " + v.dump();
  }
  if (auto* e = std::get_if<EntrypointCmd>(&ins)) {
    json v = CommandJson(e->cmd, st.Shell());
    if (v.empty()) cfg.erase("Entrypoint");
    else cfg["Entrypoint"] = v;
    if (!st.cmd_set) cfg.erase("Cmd");
    return "ENTRYPOINT " + v.dump();
  }
  if (auto* s = std::get_if<ShellCmd>(&ins)) {
    EditConfig(st, [&](ImageConfig& c) { c.shell = s->shell; });
    return "SHELL " + cfg["Shell"].dump();
  }
  if (auto* s = std::get_if<StopSignalCmd>(&ins)) {
    std::string sig = X(s->signal);
    if (sig.empty()) throw Error("STOPSIGNAL requires a signal");
    EditConfig(st, [&](ImageConfig& c) { c.stop_signal = sig; });
    return "STOPSIGNAL " + sig;
  }
  if (auto* h = std::get_if<HealthcheckCmd>(&ins)) {
    json hc = {{"Test", h->test}};
    if (h->interval_ns) hc["Interval"] = h->interval_ns;
    if (h->timeout_ns) hc["Timeout"] = h->timeout_ns;
    if (h->start_period_ns) hc["StartPeriod"] = h->start_period_ns;
    if (h->start_interval_ns) hc["StartInterval"] = h->start_interval_ns;
    if (h->retries) hc["Retries"] = h->retries;
    cfg["Healthcheck"] = hc;
    return "HEALTHCHECK " + hc.dump();
  }
  if (auto* o = std::get_if<OnbuildCmd>(&ins)) {
    EditConfig(st, [&](ImageConfig& c) {
      Ensure(c, &ImageConfig::on_build, "OnBuild");
      c.on_build->push_back(o->expression);
    });
    return "ONBUILD " + o->expression;
  }
  if (auto* m = std::get_if<MaintainerCmd>(&ins)) {
    st.config["author"] = X(m->name);
    return "MAINTAINER " + st.config["author"].get<std::string>();
  }
  throw Error("not a metadata instruction");
}

}  // namespace mini::build
