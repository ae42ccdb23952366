#include "build/instructions.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "common/error.h"

namespace mini::build {

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Strips one level of matching quotes from a flag value (`--chown="a:b"`).
std::string Unquote(const std::string& v) {
  if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0]) return v.substr(1, v.size() - 2);
  return v;
}

/// The flags of one node, checked against what the instruction accepts.
class Flags {
 public:
  Flags(const Node& n, const std::string& file, std::set<std::string> allowed, std::set<std::string> booleans = {})
      : prefix_(file + ":" + std::to_string(n.start_line) + ": ") {
    for (const auto& f : n.flags) {
      std::string body = f.substr(2);
      size_t eq = body.find('=');
      std::string name = eq == std::string::npos ? body : body.substr(0, eq);
      if (!allowed.count(name) && !booleans.count(name))
        throw Error(prefix_ + "unknown flag: " + name);
      if (values_.count(name)) throw Error(prefix_ + "duplicate flag specified: " + name);
      if (eq == std::string::npos) {
        if (!booleans.count(name)) throw Error(prefix_ + "missing a value on flag: " + name);
        values_[name] = "true";
      } else {
        values_[name] = Unquote(body.substr(eq + 1));
      }
    }
  }
  std::string Get(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? "" : it->second;
  }
  bool Bool(const std::string& name) const {
    std::string v = Get(name);
    if (v.empty() || v == "false") return false;
    if (v == "true") return true;
    throw Error(prefix_ + "expecting boolean value for flag " + name + ", not: " + v);
  }

 private:
  std::string prefix_;
  std::map<std::string, std::string> values_;
};

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<std::string>& a) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i + 1 < a.size(); i += 2) out.emplace_back(a[i], a[i + 1]);
  return out;
}

bool ValidStageName(const std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

}  // namespace

int64_t ParseGoDuration(const std::string& s) {
  if (s.empty()) throw Error("time: invalid duration \"" + s + "\"");
  if (s == "0") return 0;
  static const std::map<std::string, double> units = {{"ns", 1},      {"us", 1e3},    {"µs", 1e3}, {"ms", 1e6},
                                                      {"s", 1e9},      {"m", 60e9},    {"h", 3600e9}};
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    std::string digits = s.substr(start, i - start);
    // Go's rules: digits with at most one '.', not the '.' alone; strtod, unlike stod, does not
    // throw std::invalid_argument or std::out_of_range (a huge number becomes inf, refused below).
    if (digits.find_first_of("0123456789") == std::string::npos || digits.find('.') != digits.rfind('.'))
      throw Error("time: invalid duration \"" + s + "\"");
    double num = std::strtod(digits.c_str(), nullptr);
    size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    auto it = units.find(s.substr(ustart, i - ustart));
    if (it == units.end()) throw Error("time: " + std::string(ustart == i ? "missing unit" : "unknown unit") + " in duration \"" + s + "\"");
    total += num * it->second;
  }
  if (!(total < 9223372036854775807.0)) throw Error("time: invalid duration \"" + s + "\"");  // Go: overflow
  return static_cast<int64_t>(total);
}

Instruction ParseInstruction(const Node& n, const std::string& file) {
  std::string prefix = file + ":" + std::to_string(n.start_line) + ": ";
  auto fail = [&](const std::string& msg) -> Error { return Error(prefix + msg); };
  const std::string& c = n.cmd;
  if (c == "from") {
    Flags f(n, file, {"platform"});
    FromCmd from;
    from.platform = f.Get("platform");
    if (n.args.size() == 1) {
      from.image = n.args[0];
    } else if (n.args.size() == 3 && Lower(n.args[1]) == "as") {
      from.image = n.args[0];
      from.name = Lower(n.args[2]);
      if (!ValidStageName(from.name)) throw fail("invalid name for build stage: \"" + n.args[2] + "\", name can't start with a number or contain symbols");
    } else {
      throw fail("FROM requires either one or three arguments");
    }
    return from;
  }
  if (c == "run") {
    // TEMPORARY (branch mounts): collects --mount until the parser branch fills RunCmd itself.
    Node rest = n;
    RunCmd r;
    rest.flags.clear();
    for (const auto& fl : n.flags)
      if (fl.rfind("--mount=", 0) == 0) r.mounts.push_back(Unquote(fl.substr(8)));
      else rest.flags.push_back(fl);
    Flags f(rest, file, {"network", "security"});
    r.security = f.Get("security");
    r.heredocs = n.heredocs;
    r.cmd = {n.args, n.json};
    r.network = f.Get("network");
    if (!r.network.empty() && r.network != "none" && r.network != "host" && r.network != "default")
      throw fail("unsupported network mode \"" + r.network + "\" (use none, host or default)");
    return r;
  }
  if (c == "cmd" || c == "entrypoint") {
    Flags f(n, file, {});
    if (c == "cmd") return CmdCmd{{n.args, n.json}};
    return EntrypointCmd{{n.args, n.json}};
  }
  if (c == "shell") {
    Flags f(n, file, {});
    if (n.args.empty()) throw fail("SHELL requires at least one argument");
    return ShellCmd{n.args};
  }
  if (c == "env" || c == "label") {
    Flags f(n, file, {});
    if (c == "env") return EnvCmd{Pairs(n.args)};
    return LabelCmd{Pairs(n.args)};
  }
  if (c == "arg") {
    Flags f(n, file, {});
    ArgCmd a;
    for (const auto& w : n.args) {
      size_t eq = w.find('=');
      ArgCmd::Arg arg;
      arg.name = w.substr(0, eq);
      if (eq != std::string::npos) arg.value = w.substr(eq + 1);
      if (arg.name.empty()) throw fail("ARG names can not be blank");
      a.args.push_back(arg);
    }
    return a;
  }
  if (c == "workdir" || c == "user" || c == "stopsignal" || c == "maintainer") {
    Flags f(n, file, {});
    if (c == "workdir") return WorkdirCmd{n.args[0]};
    if (c == "user") return UserCmd{n.args[0]};
    if (c == "stopsignal") return StopSignalCmd{n.args[0]};
    return MaintainerCmd{n.args[0]};
  }
  if (c == "expose") {
    Flags f(n, file, {});
    return ExposeCmd{n.args};
  }
  if (c == "volume") {
    Flags f(n, file, {});
    for (const auto& v : n.args)
      if (v.empty()) throw fail("VOLUME specified can not be an empty string");
    return VolumeCmd{n.args};
  }
  if (c == "healthcheck") {
    Flags f(n, file, {"interval", "timeout", "start-period", "start-interval", "retries"});
    HealthcheckCmd h;
    if (n.args.empty()) throw fail("HEALTHCHECK requires an argument");
    if (n.args[0] == "NONE") {
      if (!n.flags.empty()) throw fail("HEALTHCHECK NONE takes no flags");
      h.none = true;
      h.test = {"NONE"};
      return h;
    }
    if (n.json) {
      h.test = {"CMD"};
      h.test.insert(h.test.end(), n.args.begin() + 1, n.args.end());
    } else {
      h.test = {"CMD-SHELL", n.args[1]};
    }
    auto dur = [&](const char* name) -> int64_t {
      std::string v = f.Get(name);
      if (v.empty()) return 0;
      int64_t d;
      try {
        d = ParseGoDuration(v);
      } catch (const Error& e) {
        throw fail(e.what());
      }
      if (d != 0 && d < 1000000) throw fail(std::string("Interval \"") + name + "\" cannot be less than 1ms");
      return d;
    };
    h.interval_ns = dur("interval");
    h.timeout_ns = dur("timeout");
    h.start_period_ns = dur("start-period");
    h.start_interval_ns = dur("start-interval");
    if (std::string r = f.Get("retries"); !r.empty()) {
      try {
        size_t pos;
        h.retries = std::stoi(r, &pos);
        if (pos != r.size()) throw std::invalid_argument(r);
      } catch (const std::exception&) {
        throw fail("invalid value for --retries: " + r);
      }
      if (h.retries < 0) throw fail("--retries cannot be negative (" + r + ")");
    }
    return h;
  }
  if (c == "onbuild") {
    Flags f(n, file, {});
    ParseInstruction(*n.sub, file);  // validate the trigger now, as Docker does
    return OnbuildCmd{n.args[0]};
  }
  if (c == "copy" || c == "add") {
    bool add = c == "add";
    Flags f(n, file, add ? std::set<std::string>{"chown", "chmod", "checksum"} : std::set<std::string>{"from", "chown", "chmod", "parents"},
            add ? std::set<std::string>{"link", "keep-git-dir"} : std::set<std::string>{"link"});
    if (n.args.size() < 2) throw fail((add ? std::string("ADD") : std::string("COPY")) + " requires at least two arguments, but only one was provided. Destination could not be determined");
    CopyCmd cp;
    cp.add = add;
    cp.sources.assign(n.args.begin(), n.args.end() - 1);
    cp.dest = n.args.back();
    cp.from = f.Get("from");
    cp.chown = f.Get("chown");
    cp.chmod = f.Get("chmod");
    cp.link = f.Bool("link");
    if (add) {
      cp.keep_git_dir = f.Bool("keep-git-dir");
      cp.checksum = f.Get("checksum");
    }
    if (!f.Get("parents").empty()) throw fail("COPY --parents is not supported");
    return cp;
  }
  throw fail("unknown instruction: " + Upper(c));
}

Minifile ParseStages(const ParsedFile& pf) {
  Minifile mf;
  mf.file = pf.file;
  mf.escape = pf.escape;
  std::set<std::string> names;
  for (const auto& n : pf.nodes) {
    Instruction ins = ParseInstruction(n, pf.file);
    if (auto* from = std::get_if<FromCmd>(&ins)) {
      Stage st;
      st.index = static_cast<int>(mf.stages.size());
      st.from = *from;
      st.from_node = n;
      if (!from->name.empty() && !names.insert(from->name).second)
        throw Error(pf.file + ":" + std::to_string(n.start_line) + ": duplicate name \"" + from->name + "\"");
      mf.stages.push_back(std::move(st));
      continue;
    }
    if (mf.stages.empty()) {
      if (auto* arg = std::get_if<ArgCmd>(&ins)) {
        mf.meta_args.push_back(*arg);
        mf.meta_arg_nodes.push_back(n);
        continue;
      }
      throw Error(pf.file + ":" + std::to_string(n.start_line) + ": " + Upper(n.cmd) +
                  " before the first FROM (only ARG may come first)");
    }
    mf.stages.back().commands.push_back({std::move(ins), n});
  }
  if (mf.stages.empty()) throw Error(pf.file + ": no FROM instruction (a Minifile must start a stage with FROM)");
  return mf;
}

Command ParseTrigger(const std::string& trigger, int line) {
  ParsedFile pf = ParseMinifile(trigger, "ONBUILD");
  if (pf.nodes.size() != 1) throw Error("expected one instruction");
  Node n = pf.nodes[0];
  if (n.cmd == "onbuild" || n.cmd == "from" || n.cmd == "maintainer")
    throw Error(Upper(n.cmd) + " isn't allowed as an ONBUILD trigger");
  n.start_line = n.end_line = line;
  return Command{ParseInstruction(n, "ONBUILD"), n};
}

}  // namespace mini::build
