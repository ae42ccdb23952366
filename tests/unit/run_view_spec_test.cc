// ParseView: Docker's rules and messages for the flags of what a container sees.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "error_of.h"
#include "run/rootfs/cgroup_view.h"
#include "run/view_spec.h"

namespace mini::run {
namespace {

RunSpec With(const std::function<void(ViewSpec&)>& f) {
  RunSpec s;
  f(s.view);
  return s;
}

std::string ErrorFor(const std::function<void(ViewSpec&)>& f) {
  return ErrorOf([&] { ParseView(With(f)); });
}

TEST(ViewSpec, AddHost) {
  View v = ParseView(With([](ViewSpec& s) { s.add_hosts = {"db:10.0.0.5", "gw:host-gateway", "six:::1"}; }));
  ASSERT_EQ(v.extra_hosts.size(), 3u);
  EXPECT_EQ(v.extra_hosts[2].name, "six");
  EXPECT_EQ(v.extra_hosts[2].ip, "::1");
  EXPECT_EQ(ExtraHostsLines(v.extra_hosts, "10.88.0.1"), "10.0.0.5\tdb\n10.88.0.1\tgw\n::1\tsix\n");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.add_hosts = {"db"}; }),
            "invalid argument \"db\" for \"--add-host\" flag: bad format for add-host: \"db\"");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.add_hosts = {"db:nope"}; }),
            "invalid argument \"db:nope\" for \"--add-host\" flag: invalid IP address in add-host: \"nope\"");
}

TEST(ViewSpec, Dns) {
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.dns = {"x"}; }), "invalid argument \"x\" for \"--dns\" flag: x is not an ip address");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.dns_search = {"a..b"}; }),
            "invalid argument \"a..b\" for \"--dns-search\" flag: a..b is not a valid domain");
  std::string host = "# comment\nnameserver 10.1.1.1\nsearch corp\noptions ndots:1\n";
  EXPECT_EQ(BuildResolvConf(host, {"1.1.1.1", "8.8.8.8"}, {}, {}),
            "search corp\nnameserver 1.1.1.1\nnameserver 8.8.8.8\noptions ndots:1\n");
  EXPECT_EQ(BuildResolvConf(host, {}, {"a.example", "b"}, {"ndots:2", "rotate"}),
            "search a.example b\nnameserver 10.1.1.1\noptions ndots:2 rotate\n");
  EXPECT_EQ(BuildResolvConf(host, {}, {"."}, {}), "nameserver 10.1.1.1\noptions ndots:1\n");
}

TEST(ViewSpec, Ulimits) {
  View v = ParseView(With([](ViewSpec& s) { s.ulimits = {"nofile=1024:2048", "core=-1", "nproc=10", "nproc=unlimited"}; }));
  ASSERT_EQ(v.ulimits.size(), 3u);
  EXPECT_EQ(v.ulimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(v.ulimits[0].soft, 1024);
  EXPECT_EQ(v.ulimits[0].hard, 2048);
  EXPECT_EQ(v.ulimits[1].hard, -1);
  EXPECT_EQ(v.ulimits[2].soft, -1);  // the last of a name wins
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ulimits = {"nofile"}; }),
            "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ulimits = {"as=1"}; }),
            "invalid argument \"as=1\" for \"--ulimit\" flag: invalid ulimit type: as");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ulimits = {"nofile=x"}; }),
            "invalid argument \"nofile=x\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"x\": invalid syntax");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ulimits = {"nofile=1:2:3"}; }),
            "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ulimits = {"nofile=20:10"}; }),
            "invalid argument \"nofile=20:10\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 20 > 10");
}

TEST(ViewSpec, ShmSizeAndDevices) {
  EXPECT_EQ(ParseView(RunSpec{}).shm_size, 64 << 20);
  EXPECT_EQ(ParseView(With([](ViewSpec& s) { s.shm_size = "128m"; })).shm_size, 128 << 20);
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.shm_size = "big"; }),
            "invalid argument \"big\" for \"--shm-size\" flag: invalid size: 'big'");
  View v = ParseView(With([](ViewSpec& s) { s.devices = {"/dev/zero", "/dev/zero:/dev/z", "/dev/zero:r", "/dev/null:/n:rw"}; }));
  ASSERT_EQ(v.devices.size(), 4u);
  EXPECT_EQ(v.devices[0].container, "/dev/zero");
  EXPECT_EQ(v.devices[0].perms, "rwm");
  EXPECT_EQ(v.devices[1].container, "/dev/z");
  EXPECT_EQ(v.devices[2].perms, "r");
  EXPECT_EQ(v.devices[3].container, "/n");
  EXPECT_EQ(v.devices[3].perms, "rw");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.devices = {"/dev/zero:/z:rx"}; }),
            "invalid argument \"/dev/zero:/z:rx\" for \"--device\" flag: bad mode specified: rx");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.devices = {"/dev/zero:z"}; }),
            "invalid argument \"/dev/zero:z\" for \"--device\" flag: z is not an absolute path");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.devices = {"a:b:c:d"}; }),
            "invalid argument \"a:b:c:d\" for \"--device\" flag: bad format for path: a:b:c:d");
}

TEST(ViewSpec, Sysctls) {
  View v = ParseView(With([](ViewSpec& s) { s.sysctls = {"net.ipv4.ip_forward=1", "kernel.shmmax=1000", "fs.mqueue.msg_max=20"}; }));
  ASSERT_EQ(v.sysctls.size(), 3u);
  EXPECT_EQ(v.sysctls[0].first, "net.ipv4.ip_forward");
  EXPECT_EQ(v.sysctls[0].second, "1");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.sysctls = {"kernel.hostname=x"}; }),
            "invalid argument \"kernel.hostname=x\" for \"--sysctl\" flag: sysctl 'kernel.hostname=x' is not whitelisted");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.sysctls = {"net.ipv4.ip_forward"}; }),
            "invalid argument \"net.ipv4.ip_forward\" for \"--sysctl\" flag: sysctl 'net.ipv4.ip_forward' is not whitelisted");
  RunSpec host = With([](ViewSpec& s) { s.sysctls = {"net.ipv4.ip_forward=1"}; });
  host.network = "host";
  EXPECT_EQ(ErrorOf([&] { ParseView(host); }), "sysctl \"net.ipv4.ip_forward\" is not allowed in the hosts network namespace");
  RunSpec ipc = With([](ViewSpec& s) { s.sysctls = {"kernel.shmmax=1"}; s.ipc_mode = "host"; });
  EXPECT_EQ(ErrorOf([&] { ParseView(ipc); }), "sysctl \"kernel.shmmax\" is not allowed in the hosts ipc namespace");
}

TEST(ViewSpec, LabelsAndModes) {
  View v = ParseView(With([](ViewSpec& s) { s.labels = {"a=1", "b", "a=2", "c=x=y"}; }));
  EXPECT_EQ(v.labels.at("a"), "2");
  EXPECT_EQ(v.labels.at("b"), "");
  EXPECT_EQ(v.labels.at("c"), "x=y");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.labels = {"=x"}; }), "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.pid_mode = "private"; }), "--pid: invalid PID mode");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.pid_mode = "container:"; }), "--pid: invalid PID mode");
  EXPECT_EQ(ErrorFor([](ViewSpec& s) { s.ipc_mode = "bogus"; }), "--ipc: invalid IPC mode");
  v = ParseView(With([](ViewSpec& s) { s.pid_mode = "container:web"; s.ipc_mode = "shareable"; }));
  EXPECT_EQ(v.pid.kind, NamespaceMode::Kind::kContainer);
  EXPECT_EQ(v.pid.container, "web");
  EXPECT_EQ(v.ipc.kind, NamespaceMode::Kind::kShareable);
}

TEST(ViewSpec, NetworkContainerConflicts) {
  RunSpec s;
  s.network = "container:web";
  EXPECT_EQ(*ParseView(s).net_container, "web");
  s.hostname = "h";
  EXPECT_EQ(ErrorOf([&] { ParseView(s); }), "conflicting options: hostname and the network mode");
  s.hostname = "";
  s.view.dns = {"1.1.1.1"};
  EXPECT_EQ(ErrorOf([&] { ParseView(s); }), "conflicting options: dns and the network mode");
  s.view.dns = {};
  s.view.add_hosts = {"a:1.2.3.4"};
  EXPECT_EQ(ErrorOf([&] { ParseView(s); }), "conflicting options: custom host-to-IP mapping and the network mode");
  s.view.add_hosts = {};
  s.publish_all = true;
  EXPECT_EQ(ErrorOf([&] { ParseView(s); }), "conflicting options: port publishing and the container type network mode");
  s.network = "container:";
  EXPECT_EQ(ErrorOf([&] { ParseView(s); }), "Invalid network mode: invalid container format container:<name|id>");
}

TEST(ViewSpec, GroupAdd) {
  std::string group = "root:x:0:\nstaff:x:50:\nwheel:x:10:user\n";
  EXPECT_EQ(ResolveGroupAdd({"staff", "7", "wheel"}, group), (std::vector<uint32_t>{50, 7, 10}));
  EXPECT_EQ(ErrorOf([&] { ResolveGroupAdd({"nope"}, group); }), "Unable to find group nope");
  EXPECT_EQ(ErrorOf([&] { ResolveGroupAdd({"staff"}, std::nullopt); }), "Unable to find group staff");
}

TEST(CgroupView, Hierarchies) {
  EXPECT_EQ(CgroupViewDirs({"/sys/fs/cgroup/cpu,cpuacct/mini/abc", "/sys/fs/cgroup/memory/mini/abc",
                            "/sys/fs/cgroup/mini/abc", "/elsewhere/x"}),
            (std::vector<std::string>{"cpu,cpuacct", "memory", "mini"}));
}

}  // namespace
}  // namespace mini::run
