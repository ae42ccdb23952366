#include "build/instructions.h"

#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include "build/heredoc.h"
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

enum class FlagType { kBool, kString, kStrings };

/// The flags of one node, checked against what the instruction accepts (BuildKit's BFlags: the
/// parser already removed quotes; a strings flag may repeat, others may not).
class Flags {
 public:
  Flags(const Node& n, const std::string& file, std::map<std::string, FlagType> allowed)
      : prefix_(file + ":" + std::to_string(n.start_line) + ": ") {
    for (const auto& f : n.flags) {
      if (f.compare(0, 2, "--") != 0) throw Error(prefix_ + "arg should start with -- : " + f);
      size_t eq = f.find('=');
      std::string flag = f.substr(0, eq), name = flag.substr(2);
      auto it = allowed.find(name);
      if (it == allowed.end()) throw Error(prefix_ + "unknown flag: " + flag);
      if (values_.count(name) && it->second != FlagType::kStrings) throw Error(prefix_ + "duplicate flag specified: " + flag);
      std::string value = eq == std::string::npos ? "" : f.substr(eq + 1);
      if (it->second == FlagType::kBool) {
        if (eq != std::string::npos && value.empty()) throw Error(prefix_ + "missing a value on flag: " + flag);
        std::string l = Lower(value);
        if (l != "" && l != "true" && l != "false")
          throw Error(prefix_ + "expecting boolean value for flag " + flag + ", not: " + value);
        values_[name] = {l == "false" ? "false" : "true"};
      } else {
        if (eq == std::string::npos) throw Error(prefix_ + "missing a value on flag: " + flag);
        values_[name].push_back(value);
      }
    }
  }
  std::string Get(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? "" : it->second.back();
  }
  std::vector<std::string> All(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  bool Bool(const std::string& name) const { return Get(name) == "true"; }
  bool Used(const std::string& name) const { return values_.count(name) != 0; }

 private:
  std::string prefix_;
  std::map<std::string, std::vector<std::string>> values_;
};

constexpr FlagType kB = FlagType::kBool, kS = FlagType::kString, kSS = FlagType::kStrings;

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

/// The checks BuildKit's parseMount makes of a --mount value that do not need variables: a
/// CSV of key=value fields (a few keys stand alone), keys from its list, a known type.
void CheckMountFlag(const std::string& spec) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    char ch = spec[i];
    if (ch == '"') {
      if (quoted && i + 1 < spec.size() && spec[i + 1] == '"') {
        cur += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (ch == ',' && !quoted) {
      fields.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (quoted) throw Error("failed to parse csv mounts: extraneous or missing \" in quoted-field");
  fields.push_back(cur);
  static const std::set<std::string> keys = {"type", "from", "source", "target", "readonly", "id", "sharing",
                                             "required", "size", "mode", "uid", "gid", "src", "dst",
                                             "destination", "ro", "rw", "readwrite", "env"};
  for (const auto& field : fields) {
    size_t eq = field.find('=');
    std::string key = Lower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key != "readonly" && key != "ro" && key != "readwrite" && key != "rw" && key != "required")
        throw Error("invalid field '" + field + "' must be a key=value pair");
      continue;
    }
    std::string value = field.substr(eq + 1);
    if (!keys.count(key)) throw Error("unexpected key '" + key + "' in '" + field + "'");
    bool has_var = value.find('$') != std::string::npos;
    if (key == "from" && has_var && value.find('$') != value.size() - 1)
      throw Error("'from' doesn't support variable expansion, define alias stage instead");
    if (key == "type" && !has_var) {
      std::string t = Lower(value);
      if (t != "bind" && t != "cache" && t != "tmpfs" && t != "secret" && t != "ssh")
        throw Error("unsupported mount type \"" + value + "\"");
    }
  }
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
  const std::string upper = Upper(c);
  auto at_least_one = [&] {
    if (n.args.empty()) throw fail(upper + " requires at least one argument");
  };
  auto exactly_one = [&] {
    if (n.args.size() != 1) throw fail(upper + " requires exactly one argument");
  };
  if (c == "from") {
    FromCmd from;
    if (n.args.size() == 3 && Lower(n.args[1]) == "as") {
      from.name = Lower(n.args[2]);
      if (!ValidStageName(from.name)) throw fail("invalid name for build stage: \"" + n.args[2] + "\", name can't start with a number or contain symbols");
    } else if (n.args.size() != 1) {
      throw fail("FROM requires either one or three arguments");
    }
    Flags f(n, file, {{"platform", kS}});
    from.image = n.args[0];
    from.platform = f.Get("platform");
    return from;
  }
  if (c == "run") {
    Flags f(n, file, {{"network", kS}, {"mount", kSS}, {"security", kS}});
    RunCmd r;
    r.cmd = {n.args, n.json};
    if (!n.json && n.args.empty()) throw fail("RUN requires at least one argument");
    r.network = f.Get("network");
    if (f.Used("network") && r.network != "none" && r.network != "host" && r.network != "default")
      throw fail("invalid network mode \"" + r.network + "\"");
    r.security = f.Get("security");
    if (f.Used("security") && r.security != "sandbox" && r.security != "insecure")
      throw fail("security \"" + r.security + "\" is not valid");
    r.mounts = f.All("mount");
    for (const auto& m : r.mounts) {
      try {
        CheckMountFlag(m);
      } catch (const Error& e) {
        throw fail(e.what());
      }
    }
    r.heredocs = n.heredocs;
    return r;
  }
  if (c == "cmd" || c == "entrypoint") {
    Flags f(n, file, {});
    if (!n.json && n.args.empty()) throw fail(upper + " requires at least one argument");
    if (c == "cmd") return CmdCmd{{n.args, n.json}};
    return EntrypointCmd{{n.args, n.json}};
  }
  if (c == "shell") {
    Flags f(n, file, {});
    if (n.args.empty()) throw fail("SHELL requires at least one argument");
    if (!n.json) throw fail("SHELL requires the arguments to be in JSON form");
    return ShellCmd{n.args};
  }
  if (c == "env" || c == "label") {
    Flags f(n, file, {});
    at_least_one();
    for (size_t i = 0; i < n.args.size(); i += 2)
      if (n.args[i].empty()) throw fail(upper + " names can not be blank");
    if (c == "env") return EnvCmd{Pairs(n.args)};
    return LabelCmd{Pairs(n.args)};
  }
  if (c == "arg") {
    at_least_one();
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
    exactly_one();
    if (c != "stopsignal") Flags f(n, file, {});  // BuildKit does not look at STOPSIGNAL's flags
    if (c == "workdir") return WorkdirCmd{n.args[0]};
    if (c == "user") return UserCmd{n.args[0]};
    if (c == "stopsignal") return StopSignalCmd{n.args[0]};
    return MaintainerCmd{n.args[0]};
  }
  if (c == "expose") {
    at_least_one();
    Flags f(n, file, {});
    return ExposeCmd{n.args};
  }
  if (c == "volume") {
    at_least_one();
    Flags f(n, file, {});
    for (const auto& v : n.args)
      if (v.find_first_not_of(" \t\r\n\v\f") == std::string::npos) throw fail("VOLUME specified can not be an empty string");
    return VolumeCmd{n.args};
  }
  if (c == "healthcheck") {
    at_least_one();
    HealthcheckCmd h;
    std::string type = Upper(n.args[0]);
    if (type == "NONE") {  // BuildKit does not look at the flags of HEALTHCHECK NONE
      if (n.args.size() != 1) throw fail("HEALTHCHECK NONE takes no arguments");
      h.none = true;
      h.test = {"NONE"};
      return h;
    }
    Flags f(n, file, {{"interval", kS}, {"timeout", kS}, {"start-period", kS}, {"start-interval", kS}, {"retries", kS}});
    if (type != "CMD") throw fail("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)");
    if (n.args.size() < 2) throw fail("Missing command after HEALTHCHECK CMD");
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
      long long v = 0;
      try {
        size_t pos;
        v = std::stoll(r, &pos);
        if (pos != r.size() || v > 2147483647LL || v < -2147483648LL) throw std::invalid_argument(r);
      } catch (const std::exception&) {
        throw fail("strconv.ParseInt: parsing \"" + r + "\": invalid syntax");
      }
      if (v < 0) throw fail("--retries cannot be negative (" + r + ")");
      h.retries = static_cast<int>(v);
    }
    return h;
  }
  if (c == "onbuild") {
    at_least_one();
    Flags f(n, file, {});
    const std::string& t = n.sub->cmd;
    if (t == "onbuild") throw fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (t == "from" || t == "maintainer") throw fail(Upper(t) + " isn't allowed as an ONBUILD trigger");
    ParseInstruction(*n.sub, file);  // validate the trigger now, as Docker does
    std::string expression = n.args[0];
    for (const auto& h : n.heredocs) expression += "\n" + h.content + h.name;
    return OnbuildCmd{expression};
  }
  if (c == "copy" || c == "add") {
    bool add = c == "add";
    std::string what = add ? "ADD" : "COPY";
    if (n.args.size() < 2) throw fail(what + " requires at least two arguments, but only one was provided. Destination could not be determined");
    std::map<std::string, FlagType> allowed = {{"chown", kS}, {"chmod", kS}, {"link", kB}, {"exclude", kSS}};
    if (add) {
      allowed.insert({{"keep-git-dir", kB}, {"checksum", kS}, {"unpack", kB}});
    } else {
      allowed.insert({{"from", kS}, {"parents", kB}});
    }
    Flags f(n, file, allowed);
    if (f.Used("unpack")) throw fail("ADD --unpack is not supported by mini yet");
    CopyCmd cp;
    cp.add = add;
    cp.sources.assign(n.args.begin(), n.args.end() - 1);
    cp.dest = n.args.back();
    if (ParseHeredocWord(cp.dest)) throw fail(what + " cannot accept a heredoc as a destination");
    for (const auto& src : cp.sources) {
      auto m = ParseHeredocWord(src);
      if (!m) continue;
      Heredoc h;
      h.name = m->name;
      h.expand = m->expand;
      h.chomp = m->chomp;
      for (const auto& body : n.heredocs)
        if (body.name == h.name) h.content = body.content;  // already chomped by the parser
      cp.heredocs.push_back(h);
    }
    cp.from = f.Get("from");
    cp.chown = f.Get("chown");
    cp.chmod = f.Get("chmod");
    cp.link = f.Bool("link");
    cp.parents = f.Bool("parents");
    cp.excludes = f.All("exclude");
    cp.keep_git_dir = f.Bool("keep-git-dir");
    cp.checksum = f.Get("checksum");
    return cp;
  }
  throw fail("unknown instruction: " + upper);
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

std::string UnexecutedFeature(const Instruction& ins) {
  (void)ins;  // RUN --mount, heredocs and --security=insecure are executed (builder's DoRun)
  return "";
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
