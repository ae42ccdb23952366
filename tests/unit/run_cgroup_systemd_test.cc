// The systemd cgroup driver's pure parts: which manager is chosen, the scope's name and
// properties, the cgroup path parser. The D-Bus side runs in the systemd VM guest
// (tests/vm/guest/systemd_driver.sh).
#include <gtest/gtest.h>

#include <map>

#include "error_of.h"
#include "run/cgroup/cgroup_manager.h"
#include "run/cgroup/cgroup_systemd.h"

namespace mini::run {
namespace {

CgroupHost SystemdHost() {
  CgroupHost h;
  h.built_with_systemd = h.cgroup_v2 = h.pid1_systemd = h.bus = true;
  return h;
}

TEST(CgroupManager, DefaultIsSystemdOnlyWhereItWorks) {
  EXPECT_EQ(ChooseCgroupManager("", "--cgroup-manager", SystemdHost()), CgroupManager::kSystemd);
  for (auto unset : {&CgroupHost::built_with_systemd, &CgroupHost::cgroup_v2, &CgroupHost::pid1_systemd, &CgroupHost::bus}) {
    CgroupHost h = SystemdHost();
    h.*unset = false;
    EXPECT_EQ(ChooseCgroupManager("", "--cgroup-manager", h), CgroupManager::kCgroupfs);
  }
  CgroupHost rootless = SystemdHost();
  rootless.rootless = true;
  EXPECT_EQ(ChooseCgroupManager("", "--cgroup-manager", rootless), CgroupManager::kCgroupfs);
  EXPECT_EQ(ChooseCgroupManager("", "--cgroup-manager", CgroupHost{}), CgroupManager::kCgroupfs);  // this CI host: hybrid
}

TEST(CgroupManager, ExplicitChoiceWinsOrSaysWhatIsMissing) {
  EXPECT_EQ(ChooseCgroupManager("cgroupfs", "--cgroup-manager", SystemdHost()), CgroupManager::kCgroupfs);
  EXPECT_EQ(ChooseCgroupManager("systemd", "--cgroup-manager", SystemdHost()), CgroupManager::kSystemd);
  CgroupHost h = SystemdHost();
  h.cgroup_v2 = false;
  EXPECT_EQ(ErrorOf([&] { ChooseCgroupManager("systemd", "--cgroup-manager", h); }),
            "--cgroup-manager systemd: needs a pure cgroup v2 host (this one has cgroup v1 controllers); use cgroupfs");
  h = SystemdHost();
  h.built_with_systemd = false;
  EXPECT_EQ(ErrorOf([&] { ChooseCgroupManager("systemd", "MINI_CGROUP_MANAGER", h); }),
            "MINI_CGROUP_MANAGER systemd: this mini was built without libsystemd (sd-bus); use cgroupfs");
  h = SystemdHost();
  h.pid1_systemd = false;
  EXPECT_EQ(ErrorOf([&] { ChooseCgroupManager("systemd", "--cgroup-manager", h); }),
            "--cgroup-manager systemd: needs systemd as PID 1 and its bus (/run/systemd/private or the system bus); use cgroupfs");
  h = SystemdHost();
  h.rootless = true;
  EXPECT_EQ(ErrorOf([&] { ChooseCgroupManager("systemd", "--cgroup-manager", h); }),
            "--cgroup-manager systemd: not supported for rootless mini (systemd --user); use cgroupfs");
  EXPECT_EQ(ErrorOf([&] { ChooseCgroupManager("sd", "MINI_CGROUP_MANAGER", SystemdHost()); }),
            "MINI_CGROUP_MANAGER \"sd\": want cgroupfs or systemd");
  EXPECT_EQ(ErrorOf([] { SetCgroupManagerFlag("cgroupsfs"); }), "--cgroup-manager \"cgroupsfs\": want cgroupfs or systemd");
}

TEST(CgroupManager, RecordNamesTheManager) {
  EXPECT_EQ(CgroupManagerFromRecord("systemd"), CgroupManager::kSystemd);
  EXPECT_EQ(CgroupManagerFromRecord("cgroupfs"), CgroupManager::kCgroupfs);
  EXPECT_EQ(CgroupManagerFromRecord(""), CgroupManager::kCgroupfs);  // records from before the driver
  EXPECT_STREQ(CgroupManagerName(CgroupManager::kSystemd), "systemd");
}

TEST(SystemdCgroup, ScopeNameAndProperties) {
  std::string id(64, 'a');
  id.replace(0, 12, "0123456789ab");
  EXPECT_EQ(ScopeUnitName(id), "mini-" + id + ".scope");
  auto props = ScopeProperties(id, 4242);
  std::map<std::string, UnitProperty::Value> m;
  for (const auto& p : props) m[p.name] = p.value;
  ASSERT_EQ(m.size(), props.size()) << "a property twice";
  EXPECT_EQ(std::get<std::string>(m.at("Slice")), "mini.slice");
  EXPECT_EQ(std::get<std::string>(m.at("Description")), "mini container 0123456789ab");
  EXPECT_EQ(std::get<std::vector<uint32_t>>(m.at("PIDs")), std::vector<uint32_t>{4242});
  EXPECT_TRUE(std::get<bool>(m.at("Delegate")));
  EXPECT_EQ(std::get<uint64_t>(m.at("TasksMax")), UINT64_MAX);
  EXPECT_EQ(std::get<std::string>(m.at("CollectMode")), "inactive-or-failed");
  EXPECT_EQ(std::get<uint64_t>(m.at("TimeoutStopUSec")), 10000000u);
  // The limits are not properties: mini writes them into the delegated container/ cgroup.
  EXPECT_EQ(m.count("MemoryMax") + m.count("CPUQuotaPerSecUSec") + m.count("TasksAccounting"), 0u);
}

TEST(SystemdCgroup, CgroupV2PathOf) {
  EXPECT_EQ(CgroupV2PathOf("0::/mini.slice/mini-x.scope/monitor\n").value_or("-"), "/mini.slice/mini-x.scope/monitor");
  EXPECT_EQ(CgroupV2PathOf("12:pids:/user.slice\n1:name=systemd:/x\n0::/\n").value_or("-"), "/");
  EXPECT_FALSE(CgroupV2PathOf("12:pids:/user.slice\n"));
  EXPECT_FALSE(CgroupV2PathOf("0::\n"));
}

}  // namespace
}  // namespace mini::run
