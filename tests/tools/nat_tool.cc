// mini_nat_tool: drives net/nat.h and net/port_reservation.h for tests/integration/nat_ports.sh.
// Test-only (not installed). Usage:
//   mini_nat_tool ensure BRIDGE SUBNET | remove-network BRIDGE SUBNET
//   mini_nat_tool add CTR_IP [IP:]HOST:CTR[/proto]... | remove CTR_IP [IP:]HOST:CTR[/proto]...
//   mini_nat_tool list             forwards as "HOSTIP:PORT/PROTO -> CTRIP:PORT", then networks
//   mini_nat_tool reserve SPEC...  prints `mini port` lines, then holds the ports until killed
//   mini_nat_tool remove-all
//   mini_nat_tool bench BRIDGE SUBNET CTR_IP N   mean ms of Ensure (present), Add, Remove
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "net/nat.h"
#include "net/port_reservation.h"
#include "net/port_spec.h"

using namespace mini;
using namespace mini::net;

namespace {

std::vector<PortMapping> Mappings(int argc, char** argv, int first) {
  std::vector<PortMapping> out;
  for (int i = first; i < argc; ++i)
    for (const PortRequest& r : ParsePublish(argv[i])) {
      if (r.host_port == 0 || r.host_port_end != r.host_port)
        throw Error(std::string(argv[i]) + ": give one fixed host port per mapping");
      out.push_back({r.host_ip, r.host_port, r.container_port, r.proto});
    }
  return out;
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int Main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "ensure" && argc == 4) {
    EnsureNetworkRules(argv[2], argv[3]);
  } else if (cmd == "remove-network" && argc == 4) {
    RemoveNetworkRules(argv[2], argv[3]);
  } else if (cmd == "add" && argc >= 4) {
    AddPortForwards(argv[2], Mappings(argc, argv, 3));
  } else if (cmd == "remove" && argc >= 4) {
    RemovePortForwards(argv[2], Mappings(argc, argv, 3));
  } else if (cmd == "list" && argc == 2) {
    for (const PortForward& f : ListPortForwards())
      std::cout << (f.mapping.host_ip.empty() ? "*" : f.mapping.host_ip) << ":"
                << f.mapping.host_port << "/" << f.mapping.proto << " -> " << f.container_ip << ":"
                << f.mapping.container_port << "\n";
    for (const NetworkRules& n : ListNetworkRules())
      std::cout << "network " << n.bridge << " " << n.subnet_cidr << "\n";
  } else if (cmd == "reserve" && argc >= 3) {
    std::vector<PortRequest> reqs;
    for (int i = 2; i < argc; ++i)
      for (const PortRequest& r : ParsePublish(argv[i])) reqs.push_back(r);
    PortReservation res = ReservePorts(reqs);
    for (const PortMapping& m : res.mappings()) std::cout << FormatPortMapping(m) << "\n";
    std::cout << std::flush;
    for (;;) pause();
  } else if (cmd == "remove-all" && argc == 2) {
    RemoveAllNatRules();
  } else if (cmd == "bench" && argc == 6) {
    int n = std::stoi(argv[5]);
    std::vector<PortMapping> one = {{"", 18099, 80, "tcp"}};
    auto t_first = std::chrono::steady_clock::now();
    EnsureNetworkRules(argv[2], argv[3]);  // loads libnftables, makes the context
    printf("first Ensure in the process (dlopen + context + rules) %.3f ms\n", MsSince(t_first));
    double ensure = 0, add = 0, remove = 0;
    for (int i = 0; i < n; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      EnsureNetworkRules(argv[2], argv[3]);
      ensure += MsSince(t0);
      t0 = std::chrono::steady_clock::now();
      AddPortForwards(argv[4], one);
      add += MsSince(t0);
      t0 = std::chrono::steady_clock::now();
      RemovePortForwards(argv[4], one);
      remove += MsSince(t0);
    }
    printf("ensure(present) %.3f ms  add(1 port) %.3f ms  remove(1 port) %.3f ms  (mean of %d)\n",
           ensure / n, add / n, remove / n, n);
  } else {
    std::cerr << "usage: mini_nat_tool ensure|remove-network|add|remove|list|reserve|remove-all|bench ...\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mini_nat_tool: error: " << e.what() << "\n";
    return 1;
  }
}
