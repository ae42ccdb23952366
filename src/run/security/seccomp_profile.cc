#include "run/security/seccomp_profile.h"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <utility>

#include "common/error.h"

namespace mini::run {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<const char*, SeccompAction>, 8> kActions = {{
    {"SCMP_ACT_KILL", SeccompAction::kKillThread},  // historic alias, canonicalised below
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess},
    {"SCMP_ACT_TRAP", SeccompAction::kTrap},
    {"SCMP_ACT_ERRNO", SeccompAction::kErrno},
    {"SCMP_ACT_TRACE", SeccompAction::kTrace},
    {"SCMP_ACT_ALLOW", SeccompAction::kAllow},
    {"SCMP_ACT_LOG", SeccompAction::kLog},
}};

constexpr std::array<std::pair<const char*, SeccompOp>, 7> kOps = {{
    {"SCMP_CMP_NE", SeccompOp::kNotEqual},
    {"SCMP_CMP_LT", SeccompOp::kLessThan},
    {"SCMP_CMP_LE", SeccompOp::kLessEqual},
    {"SCMP_CMP_EQ", SeccompOp::kEqualTo},
    {"SCMP_CMP_GE", SeccompOp::kGreaterEqual},
    {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual},
}};

/// Walks the document keeping the JSON path for messages ("syscalls[2].args[0].op").
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void Fail(const std::string& where, const std::string& what) const {
    throw Error(source_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  std::string String(const json& v, const std::string& where) const {
    if (!v.is_string()) Fail(where, "expected a string");
    return v.get<std::string>();
  }

  /// A JSON null counts as an empty list, as Go's decoder reads it.
  std::vector<std::string> Strings(const json& v, const std::string& where) const {
    std::vector<std::string> out;
    if (v.is_null()) return out;
    if (!v.is_array()) Fail(where, "expected an array of strings");
    for (const auto& e : v) {
      if (!e.is_string()) Fail(where, "expected an array of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  uint64_t Uint(const json& v, const std::string& where, uint64_t max) const {
    if (!v.is_number_unsigned() || v.get<uint64_t>() > max)
      Fail(where, "expected an integer from 0 to " + std::to_string(max));
    return v.get<uint64_t>();
  }

  SeccompAction Action(const json& v, const std::string& where) const {
    std::string s = String(v, where);
    for (const auto& [name, a] : kActions)
      if (s == name) return a;
    if (s == "SCMP_ACT_NOTIFY") Fail(where, "SCMP_ACT_NOTIFY is not supported");
    Fail(where, "unknown action \"" + s + "\"");
  }

  SeccompOp Op(const json& v, const std::string& where) const {
    std::string s = String(v, where);
    for (const auto& [name, o] : kOps)
      if (s == name) return o;
    Fail(where, "unknown operator \"" + s + "\"");
  }

  SeccompFilter Filter(const json& v, const std::string& where) const {
    SeccompFilter f;
    if (v.is_null()) return f;
    if (!v.is_object()) Fail(where, "expected an object");
    if (v.contains("caps")) f.caps = Strings(v["caps"], where + ".caps");
    if (v.contains("arches")) f.arches = Strings(v["arches"], where + ".arches");
    if (v.contains("minKernel") && !v["minKernel"].is_null()) {
      f.min_kernel = String(v["minKernel"], where + ".minKernel");
      if (!f.min_kernel.empty() && !ParseKernelVersion(f.min_kernel))
        Fail(where + ".minKernel", "invalid kernel version \"" + f.min_kernel + "\"");
    }
    return f;
  }

  SeccompRule Rule(const json& v, const std::string& where) const {
    if (!v.is_object()) Fail(where, "expected an object");
    SeccompRule r;
    bool has_name = v.contains("name") && !v["name"].is_null() && v["name"] != "";
    if (v.contains("names")) r.names = Strings(v["names"], where + ".names");
    if (has_name && !r.names.empty())
      Fail(where, "'name' and 'names' were specified, use either 'name' or 'names'");
    if (has_name) r.names.push_back(String(v["name"], where + ".name"));
    if (r.names.empty()) Fail(where, "no syscall names");
    if (!v.contains("action")) Fail(where, "missing action");
    r.action = Action(v["action"], where + ".action");
    if (v.contains("errnoRet") && !v["errnoRet"].is_null())
      r.errno_ret = static_cast<uint32_t>(Uint(v["errnoRet"], where + ".errnoRet", UINT32_MAX));
    if (v.contains("args") && !v["args"].is_null()) {
      const json& args = v["args"];
      if (!args.is_array()) Fail(where + ".args", "expected an array");
      for (size_t i = 0; i < args.size(); i++) {
        std::string w = where + ".args[" + std::to_string(i) + "]";
        const json& a = args[i];
        if (!a.is_object()) Fail(w, "expected an object");
        SeccompArg arg;
        auto field = [&](const char* key, uint64_t max) -> uint64_t {
          return a.contains(key) ? Uint(a[key], w + "." + key, max) : 0;
        };
        arg.index = static_cast<unsigned>(field("index", 5));
        arg.value = field("value", UINT64_MAX);
        arg.value_two = field("valueTwo", UINT64_MAX);
        if (!a.contains("op")) Fail(w, "missing op");
        arg.op = Op(a["op"], w + ".op");
        r.args.push_back(arg);
      }
    }
    if (v.contains("includes")) r.includes = Filter(v["includes"], where + ".includes");
    if (v.contains("excludes")) r.excludes = Filter(v["excludes"], where + ".excludes");
    return r;
  }

 private:
  std::string source_;
};

json FilterJson(const SeccompFilter& f) {
  json j = json::object();
  if (!f.caps.empty()) j["caps"] = f.caps;
  if (!f.arches.empty()) j["arches"] = f.arches;
  if (!f.min_kernel.empty()) j["minKernel"] = f.min_kernel;
  return j;
}

}  // namespace

const char* SeccompActionName(SeccompAction action) {
  for (const auto& [name, a] : kActions)
    if (a == action && std::string_view(name) != "SCMP_ACT_KILL") return name;
  return "?";
}

const char* SeccompOpName(SeccompOp op) {
  for (const auto& [name, o] : kOps)
    if (o == op) return name;
  return "?";
}

std::optional<uint64_t> ParseKernelVersion(std::string_view v) {
  uint64_t parts[3] = {0, 0, 0};
  const char* p = v.data();
  const char* end = v.data() + v.size();
  for (int i = 0; i < 3; i++) {
    auto [next, ec] = std::from_chars(p, end, parts[i]);
    if (ec != std::errc() || parts[i] > 0xffff) {
      if (i < 2) return std::nullopt;
      parts[i] = 0;
      break;
    }
    p = next;
    if (i < 2) {
      if (p == end || *p != '.') {
        if (i == 0) return std::nullopt;
        break;
      }
      p++;
    }
  }
  return parts[0] << 32 | parts[1] << 16 | parts[2];
}

std::optional<SeccompProfile> ParseSeccompProfile(std::string_view text, const std::string& source) {
  Reader rd(source);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    rd.Fail("", "invalid JSON at byte " + std::to_string(e.byte));
  }
  if (!doc.is_object()) rd.Fail("", "expected a JSON object");

  SeccompProfile p;
  bool has_default = doc.contains("defaultAction") && doc["defaultAction"] != "" &&
                     !doc["defaultAction"].is_null();
  if (doc.contains("syscalls") && !doc["syscalls"].is_null() && !doc["syscalls"].is_array())
    rd.Fail("syscalls", "expected an array");
  bool has_syscalls = doc.contains("syscalls") && doc["syscalls"].is_array() && !doc["syscalls"].empty();
  if (!has_default && !has_syscalls) return std::nullopt;  // Docker: seccomp disabled
  if (!has_default) rd.Fail("", "missing defaultAction");
  p.default_action = rd.Action(doc["defaultAction"], "defaultAction");
  if (doc.contains("defaultErrnoRet") && !doc["defaultErrnoRet"].is_null())
    p.default_errno_ret =
        static_cast<uint32_t>(rd.Uint(doc["defaultErrnoRet"], "defaultErrnoRet", UINT32_MAX));
  if (doc.contains("architectures"))
    p.architectures = rd.Strings(doc["architectures"], "architectures");
  if (doc.contains("archMap") && !doc["archMap"].is_null()) {
    const json& m = doc["archMap"];
    if (!m.is_array()) rd.Fail("archMap", "expected an array");
    for (size_t i = 0; i < m.size(); i++) {
      std::string w = "archMap[" + std::to_string(i) + "]";
      if (!m[i].is_object() || !m[i].contains("architecture"))
        rd.Fail(w, "expected an object with \"architecture\"");
      SeccompArchMapEntry e;
      e.arch = rd.String(m[i]["architecture"], w + ".architecture");
      if (m[i].contains("subArchitectures"))
        e.sub_arches = rd.Strings(m[i]["subArchitectures"], w + ".subArchitectures");
      p.arch_map.push_back(std::move(e));
    }
  }
  if (!p.architectures.empty() && !p.arch_map.empty())
    rd.Fail("", "'architectures' and 'archMap' were specified, use either 'architectures' or 'archMap'");
  if (doc.contains("flags")) {
    p.flags = rd.Strings(doc["flags"], "flags");
    for (const auto& f : p.flags)
      if (f != "SECCOMP_FILTER_FLAG_LOG" && f != "SECCOMP_FILTER_FLAG_SPEC_ALLOW" &&
          f != "SECCOMP_FILTER_FLAG_TSYNC")
        rd.Fail("flags", "unsupported flag \"" + f + "\"");
  }
  if (has_syscalls) {
    const json& calls = doc["syscalls"];
    for (size_t i = 0; i < calls.size(); i++)
      p.syscalls.push_back(rd.Rule(calls[i], "syscalls[" + std::to_string(i) + "]"));
  }
  return p;
}

std::string CanonicalSeccompJson(const SeccompProfile& p) {
  json j;
  j["defaultAction"] = SeccompActionName(p.default_action);
  if (p.default_errno_ret) j["defaultErrnoRet"] = *p.default_errno_ret;
  if (!p.architectures.empty()) j["architectures"] = p.architectures;
  for (const auto& e : p.arch_map)
    j["archMap"].push_back({{"architecture", e.arch}, {"subArchitectures", e.sub_arches}});
  if (!p.flags.empty()) j["flags"] = p.flags;
  j["syscalls"] = json::array();
  for (const auto& r : p.syscalls) {
    json jr;
    jr["names"] = r.names;
    jr["action"] = SeccompActionName(r.action);
    if (r.errno_ret) jr["errnoRet"] = *r.errno_ret;
    for (const auto& a : r.args)
      jr["args"].push_back(
          {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", SeccompOpName(a.op)}});
    if (!r.includes.empty()) jr["includes"] = FilterJson(r.includes);
    if (!r.excludes.empty()) jr["excludes"] = FilterJson(r.excludes);
    j["syscalls"].push_back(std::move(jr));
  }
  return j.dump();  // nlohmann's object is a std::map: keys come out sorted
}

}  // namespace mini::run
