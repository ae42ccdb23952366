// Network commands: network create|ls|inspect|rm|prune, and port.
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/go_template.h"
#include "cli/list_format.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "common/error.h"
#include "net/network_admin.h"
#include "net/network_endpoint.h"
#include "net/network_store.h"
#include "net/port_spec.h"
#include "run/container.h"
#include "store/event_log.h"

namespace mini::cli {
namespace {

using nlohmann::json;

void RegisterCreate(CLI::App& net, Globals& g) {
  struct Opts {
    net::NetworkCreateRequest req;
    std::vector<std::string> labels;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = net.add_subcommand("create", "Create a bridge network");
  cmd->add_option("--subnet", o->req.subnet, "subnet in CIDR form (default: the next free 10.x.0.0/16)");
  cmd->add_option("--gateway", o->req.gateway, "gateway address inside the subnet (default: its first address)");
  cmd->add_option("-d,--driver", o->req.driver, "driver (only bridge)");
  cmd->add_flag("--internal", o->req.internal, "recorded; mini does not restrict external access yet");
  cmd->add_option("--label", o->labels, "KEY=VALUE label (repeatable)")->allow_extra_args(false);
  cmd->add_option("name", o->req.name, "network name")->required();
  cmd->callback([&g, o] {
    for (const auto& l : o->labels) {
      size_t eq = l.find('=');
      o->req.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
    }
    StoreHandle s(g.root);
    net::CollectDeadEndpoints(s.layout);
    net::NetworkConfig n = net::NetworkStore(s.layout).Create(o->req);
    RecordEvent(s.layout, {"network", "create", n.id, {{"name", n.name}, {"type", "bridge"}}});
    std::cout << n.id << "\n";
  });
}

void RegisterLs(CLI::App& net, Globals& g) {
  struct Opts {
    bool quiet = false, no_trunc = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = net.add_subcommand("ls", "List networks");
  cmd->alias("list");
  cmd->add_flag("-q,--quiet", o->quiet, "only ids");
  cmd->add_flag("--no-trunc", o->no_trunc, "full ids");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    net::CollectDeadEndpoints(s.layout);
    auto rows = net::ListNetworkRows(s.layout);
    if (o->quiet) {
      for (const auto& r : rows) std::cout << (o->no_trunc ? r.id : r.id.substr(0, 12)) << "\n";
      return;
    }
    Table t({"NETWORK ID", "NAME", "DRIVER", "SCOPE"});
    for (const auto& r : rows) t.Add({o->no_trunc ? r.id : r.id.substr(0, 12), r.name, r.driver, r.scope});
    std::cout << t.Render();
  });
}

void RegisterInspect(CLI::App& net, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string format;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = net.add_subcommand("inspect", "Show networks as JSON");
  cmd->add_option("network", o->names, "network name or id")->required();
  cmd->add_option("-f,--format", o->format, "a Go template over each network ({{.IPAM.Config}}), or json");
  cmd->callback([&g, o] {
    std::optional<GoTemplate> tmpl;
    if (!o->format.empty() && o->format != "json") tmpl.emplace(ParseFormatExit64(o->format));
    StoreHandle s(g.root);
    json out = json::array();
    std::string missing;
    for (const auto& n : o->names) {
      try {
        out.push_back(net::InspectNetwork(s.layout, n));
      } catch (const Error& e) {
        if (missing.empty()) missing = e.what();
      }
    }
    PrintInspected(out, tmpl);
    if (!missing.empty()) throw Error(missing);
  });
}

void RegisterRm(CLI::App& net, Globals& g) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = net.add_subcommand("rm", "Remove networks (refused while containers use them)");
  cmd->alias("remove");
  cmd->add_option("network", *names, "network name or id")->required();
  cmd->callback([&g, names] {
    StoreHandle s(g.root);
    ForEachName(g, *names, [&](const std::string& n) {
      net::RemoveNetwork(s.layout, n);
      std::cout << n << "\n";
    });
  });
}

void RegisterPrune(CLI::App& net, Globals& g) {
  auto force = std::make_shared<bool>(false);
  auto* cmd = net.add_subcommand("prune", "Remove every user network no container uses");
  cmd->add_flag("-f,--force", *force, "do not prompt (mini never prompts)");
  cmd->callback([&g] {
    StoreHandle s(g.root);
    auto gone = net::PruneNetworks(s.layout);
    if (gone.empty()) return;
    std::cout << "Deleted Networks:\n";
    for (const auto& n : gone) std::cout << n << "\n";
  });
}

/// `mini port CONTAINER [PORT[/PROTO]]`: Docker's `docker port`.
void RegisterPort(CLI::App& app, Globals& g) {
  struct Opts {
    std::string container, port;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("port", "List a container's published ports");
  cmd->add_option("container", o->container, "container name or id")->required();
  cmd->add_option("port", o->port, "PORT[/PROTO]: only this port's host address");
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    run::ContainerStore store(s.layout);
    std::string id = store.Resolve(o->container);
    run::ContainerState st = store.LoadState(id);
    std::vector<net::PortMapping> ms;
    if (st.status == run::ContainerStatus::kRunning && st.network) ms = st.network->ports;
    net::SortPortMappings(ms);
    if (o->port.empty()) {
      for (const auto& m : ms) std::cout << net::FormatPortMapping(m) << "\n";
      return;
    }
    std::string want = o->port.find('/') == std::string::npos ? o->port + "/tcp" : o->port;
    bool found = false;
    for (const auto& m : ms) {
      if (std::to_string(m.container_port) + "/" + m.proto != want) continue;
      std::cout << (m.host_ip.empty() ? "0.0.0.0" : m.host_ip) << ":" << m.host_port << "\n";
      found = true;
    }
    if (!found) throw Error("No public port '" + want + "' published for " + o->container);
  });
}

}  // namespace

void RegisterNetworkCommands(CLI::App& app, Globals& g) {
  auto* net = app.add_subcommand("network", "Manage networks: create, ls, inspect, rm, prune");
  net->require_subcommand(1);
  RegisterCreate(*net, g);
  RegisterLs(*net, g);
  RegisterInspect(*net, g);
  RegisterRm(*net, g);
  RegisterPrune(*net, g);
  RegisterPort(app, g);
}

}  // namespace mini::cli
