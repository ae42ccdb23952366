#include "run/cgroup/systemd_bus.h"

#include <time.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

#ifdef MINI_HAVE_SYSTEMD
#include <systemd/sd-bus.h>
#endif

namespace mini::run {

#ifdef MINI_HAVE_SYSTEMD
namespace {

constexpr const char* kService = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

std::string Errno(int r) { return std::string(strerror(-r)); }

/// RAII for sd_bus_error / sd_bus_message.
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&e); }
  std::string Text(int r) const {
    if (sd_bus_error_is_set(&e)) return std::string(e.name) + ": " + (e.message ? e.message : "");
    return Errno(r);
  }
};
struct Msg {
  sd_bus_message* m = nullptr;
  ~Msg() { sd_bus_message_unref(m); }
};

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int AppendProperty(sd_bus_message* m, const UnitProperty& p) {
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0) r = sd_bus_message_append(m, "s", p.name.c_str());
  if (r < 0) return r;
  if (auto* b = std::get_if<bool>(&p.value)) r = sd_bus_message_append(m, "v", "b", int(*b));
  else if (auto* t = std::get_if<uint64_t>(&p.value)) r = sd_bus_message_append(m, "v", "t", *t);
  else if (auto* s = std::get_if<std::string>(&p.value)) r = sd_bus_message_append(m, "v", "s", s->c_str());
  else {
    const auto& au = std::get<std::vector<uint32_t>>(p.value);
    r = sd_bus_message_open_container(m, 'v', "au");
    if (r >= 0) r = sd_bus_message_append_array(m, 'u', au.data(), au.size() * sizeof(uint32_t));
    if (r >= 0) r = sd_bus_message_close_container(m);
  }
  if (r >= 0) r = sd_bus_message_close_container(m);
  return r;
}

}  // namespace

std::unique_ptr<SystemdBus> SystemdBus::Connect() { return ConnectAt("/run/systemd/private", false); }

std::unique_ptr<SystemdBus> SystemdBus::ConnectUser(const std::string& runtime_dir) {
  return ConnectAt(runtime_dir + "/systemd/private", true);
}

std::unique_ptr<SystemdBus> SystemdBus::ConnectAt(const std::string& path, bool user) {
  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r < 0) throw Error("systemd: sd_bus_new: " + Errno(r));
  r = sd_bus_set_address(bus, ("unix:path=" + path).c_str());
  if (r >= 0) r = sd_bus_start(bus);
  bool client = false;
  if (r < 0) {
    std::string first = Errno(r);
    sd_bus_unref(bus);
    bus = nullptr;
    r = user ? sd_bus_open_user(&bus) : sd_bus_open_system(&bus);
    if (r < 0)
      throw Error("systemd: connect: " + path + ": " + first + (user ? "; user bus: " : "; system bus: ") + Errno(r));
    client = true;
  }
  std::unique_ptr<SystemdBus> b(new SystemdBus(bus, client));
  // Before any call, so no JobRemoved is missed. Direct connections carry no sender.
  r = sd_bus_match_signal(
      bus, &b->match_, client ? kService : nullptr, kPath, kManager, "JobRemoved",
      [](sd_bus_message* m, void* self, sd_bus_error*) {
        uint32_t id;
        const char *job, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0)
          static_cast<SystemdBus*>(self)->removed_.push_back(std::string(job) + " " + result);
        return 0;
      },
      b.get());
  if (r < 0) throw Error("systemd: match JobRemoved: " + Errno(r));
  return b;
}

SystemdBus::~SystemdBus() {
  sd_bus_slot_unref(match_);
  sd_bus_flush_close_unref(bus_);
}

std::string SystemdBus::WaitForJob(const std::string& verb, const std::string& unit, const std::string& job,
                                   int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    for (const auto& r : removed_)
      if (r.size() > job.size() && r.compare(0, job.size(), job) == 0 && r[job.size()] == ' ')
        return r.substr(job.size() + 1);
    int r = sd_bus_process(bus_, nullptr);
    if (r < 0) throw Error("systemd: " + verb + " " + unit + ": wait for job " + job + ": " + Errno(r));
    if (r > 0) continue;
    int64_t left = deadline - NowMs();
    if (left <= 0)
      throw Error("systemd: " + verb + " " + unit + ": job " + job + " did not finish within " +
                  std::to_string(timeout_ms / 1000) + " s");
    r = sd_bus_wait(bus_, uint64_t(left) * 1000);
    if (r < 0 && r != -EINTR) throw Error("systemd: " + verb + " " + unit + ": wait: " + Errno(r));
  }
}

void SystemdBus::StartTransientUnit(const std::string& unit, const std::vector<UnitProperty>& props, int timeout_ms) {
  Msg m, reply;
  BusError err;
  int r = sd_bus_message_new_method_call(bus_, &m.m, kService, kPath, kManager, "StartTransientUnit");
  if (r >= 0) r = sd_bus_message_append(m.m, "ss", unit.c_str(), "fail");
  if (r >= 0) r = sd_bus_message_open_container(m.m, 'a', "(sv)");
  for (const auto& p : props)
    if (r >= 0) r = AppendProperty(m.m, p);
  if (r >= 0) r = sd_bus_message_close_container(m.m);
  if (r >= 0) r = sd_bus_message_append(m.m, "a(sa(sv))", 0);
  if (r < 0) throw Error("systemd: start " + unit + ": build the message: " + Errno(r));
  r = sd_bus_call(bus_, m.m, uint64_t(timeout_ms) * 1000, &err.e, &reply.m);
  if (r < 0) throw Error("systemd: start " + unit + ": " + err.Text(r));
  const char* job = nullptr;
  r = sd_bus_message_read(reply.m, "o", &job);
  if (r < 0) throw Error("systemd: start " + unit + ": read the reply: " + Errno(r));
  std::string result = WaitForJob("start", unit, job, timeout_ms);
  if (result != "done") throw Error("systemd: start " + unit + ": job " + result);
}

bool SystemdBus::StopUnit(const std::string& unit, int timeout_ms) {
  Msg reply;
  BusError err;
  int r = sd_bus_call_method(bus_, kService, kPath, kManager, "StopUnit", &err.e, &reply.m, "ss", unit.c_str(),
                             "replace");
  if (r < 0) {
    if (sd_bus_error_has_name(&err.e, "org.freedesktop.systemd1.NoSuchUnit")) return false;
    throw Error("systemd: stop " + unit + ": " + err.Text(r));
  }
  const char* job = nullptr;
  r = sd_bus_message_read(reply.m, "o", &job);
  if (r < 0) throw Error("systemd: stop " + unit + ": read the reply: " + Errno(r));
  std::string result = WaitForJob("stop", unit, job, timeout_ms);
  if (result != "done") throw Error("systemd: stop " + unit + ": job " + result);
  return true;
}

#else  // !MINI_HAVE_SYSTEMD

std::unique_ptr<SystemdBus> SystemdBus::Connect() {
  throw Error("the systemd cgroup manager: this mini was built without libsystemd (sd-bus)");
}
std::unique_ptr<SystemdBus> SystemdBus::ConnectUser(const std::string&) { return Connect(); }
SystemdBus::~SystemdBus() = default;
std::string SystemdBus::WaitForJob(const std::string&, const std::string&, const std::string&, int) { return ""; }
void SystemdBus::StartTransientUnit(const std::string&, const std::vector<UnitProperty>&, int) {}
bool SystemdBus::StopUnit(const std::string&, int) { return false; }

#endif

}  // namespace mini::run
