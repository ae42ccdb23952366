// Docker's -p / -P parsing (go-connections nat.ParsePortSpec rules) and `docker port` lines.
#include "net/port_spec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <tuple>

#include "common/error.h"
#include "common/strings.h"

namespace mini::net {
namespace {

// A decimal port 0-65535 (Docker: strconv.ParseUint(s, 10, 16)).
bool ParsePort(const std::string& s, uint16_t& out) {
  if (s.empty()) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

// "80" or "8000-8001" (Docker's ParsePortRange; the end may not be below the start).
bool ParsePortRange(const std::string& s, uint16_t& start, uint16_t& end) {
  size_t dash = s.find('-');
  if (dash == std::string::npos) {
    if (!ParsePort(s, start)) return false;
    end = start;
    return true;
  }
  return ParsePort(s.substr(0, dash), start) && ParsePort(s.substr(dash + 1), end) && end >= start;
}

// Docker's SplitProtoPort: "80/udp" -> ("udp", "80"); no or empty proto -> tcp.
std::pair<std::string, std::string> SplitProtoPort(const std::string& raw) {
  std::vector<std::string> parts = Split(raw, '/');
  if (raw.empty() || parts[0].empty()) return {"", ""};
  if (parts.size() == 1 || parts[1].empty()) return {"tcp", parts[0]};
  return {parts[1], parts[0]};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// Refuses what mini cannot forward; returns the lower-case protocol.
std::string CheckProto(const std::string& proto) {
  std::string p = Lower(proto);
  if (p == "tcp" || p == "udp") return p;
  if (p == "sctp") throw Error("sctp is not supported, only tcp and udp");
  throw Error("invalid proto: " + proto);
}

// The host address: IPv4 only, normalised; "" and 0.0.0.0 (all addresses) become "".
std::string CheckHostIp(std::string ip) {
  if (ip.empty()) return ip;
  bool bracketed = ip.front() == '[';
  if (bracketed) {
    if (ip.back() != ']') throw Error("invalid IP address " + ip);
    ip = ip.substr(1, ip.size() - 2);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1)
    throw Error("IPv6 host address " + ip + " is not supported, only IPv4");
  if (bracketed || inet_pton(AF_INET, ip.c_str(), buf) != 1)
    throw Error("invalid IP address: " + ip);
  char out[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, buf, out, sizeof(out));
  return std::string(out) == "0.0.0.0" ? "" : out;  // all addresses, like no address
}

std::vector<PortRequest> ParsePublishUnchecked(const std::string& raw) {
  // Docker's splitParts: the last two ':'-separated fields are host and container port, all
  // before them the IP (so "::1:80:80" keeps "::1" and is refused as IPv6).
  std::vector<std::string> parts = Split(raw, ':');
  std::string ip, host, ctr = parts.back();
  size_t n = parts.size();
  if (n == 2) host = parts[0];
  if (n >= 3) {
    host = parts[n - 2];
    for (size_t i = 0; i + 2 < n; ++i) ip += (i ? ":" : "") + parts[i];
  }
  auto [proto, ctr_port] = SplitProtoPort(ctr);
  ip = CheckHostIp(ip);
  if (ctr_port.empty()) throw Error("no port specified: " + raw + "<empty>");
  uint16_t c0, c1, h0 = 0, h1 = 0;
  if (!ParsePortRange(ctr_port, c0, c1)) throw Error("invalid containerPort: " + ctr_port);
  if (!host.empty() && !ParsePortRange(host, h0, h1)) throw Error("invalid hostPort: " + host);
  if (!host.empty() && c1 - c0 != h1 - h0 && c1 != c0)
    throw Error("invalid ranges specified for container and host Ports: " + ctr_port + " and " +
                host);
  proto = CheckProto(proto);
  std::vector<PortRequest> out;
  for (unsigned i = 0; i <= unsigned(c1 - c0); ++i) {
    PortRequest r;
    r.host_ip = ip;
    r.container_port = static_cast<uint16_t>(c0 + i);
    r.proto = proto;
    if (c0 == c1) {  // one container port: the host side may be a range to pick from
      r.host_port = h0;
      r.host_port_end = h1;
    } else if (!host.empty()) {
      r.host_port = r.host_port_end = static_cast<uint16_t>(h0 + i);
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace

std::vector<PortRequest> ParsePublish(const std::string& spec) {
  return WithContext("invalid port \"" + spec + "\"", [&] { return ParsePublishUnchecked(spec); });
}

std::vector<PortRequest> ExposedPortRequests(const nlohmann::json& image_config) {
  const nlohmann::json* cfg = &image_config;
  if (cfg->is_object() && cfg->contains("config") && (*cfg)["config"].is_object())
    cfg = &(*cfg)["config"];
  std::vector<PortRequest> out;
  if (!cfg->is_object() || !cfg->contains("ExposedPorts")) return out;
  const nlohmann::json& exposed = (*cfg)["ExposedPorts"];
  if (exposed.is_null()) return out;
  if (!exposed.is_object()) throw Error("image config: ExposedPorts is not an object");
  for (const auto& item : exposed.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    WithContext("image config: exposed port \"" + key + "\"", [&] {
      auto [proto, port] = SplitProtoPort(key);
      uint16_t p0, p1;
      if (port.empty() || !ParsePortRange(port, p0, p1)) throw Error("invalid port: " + port);
      proto = CheckProto(proto);
      for (unsigned p = p0; p <= p1; ++p) {
        PortRequest r;
        r.container_port = static_cast<uint16_t>(p);
        r.proto = proto;
        out.push_back(r);
      }
    });
  }
  std::sort(out.begin(), out.end(), [](const PortRequest& a, const PortRequest& b) {
    return std::tie(a.container_port, a.proto) < std::tie(b.container_port, b.proto);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatPortMapping(const PortMapping& m) {
  return std::to_string(m.container_port) + "/" + m.proto + " -> " +
         (m.host_ip.empty() ? "0.0.0.0" : m.host_ip) + ":" + std::to_string(m.host_port);
}

void SortPortMappings(std::vector<PortMapping>& mappings) {
  std::sort(mappings.begin(), mappings.end(), [](const PortMapping& a, const PortMapping& b) {
    return std::tie(a.container_port, a.proto, a.host_ip, a.host_port) <
           std::tie(b.container_port, b.proto, b.host_ip, b.host_port);
  });
}

nlohmann::json PortMappingsJson(const std::vector<PortMapping>& ms) {
  auto a = nlohmann::json::array();
  for (const auto& m : ms)
    a.push_back({{"HostIp", m.host_ip}, {"HostPort", m.host_port}, {"ContainerPort", m.container_port},
                 {"Proto", m.proto}});
  return a;
}

std::vector<PortMapping> PortMappingsFromJson(const nlohmann::json& a) {
  std::vector<PortMapping> out;
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    PortMapping m;
    m.host_ip = j.value("HostIp", "");
    m.host_port = j.value("HostPort", uint16_t{0});
    m.container_port = j.value("ContainerPort", uint16_t{0});
    m.proto = j.value("Proto", "tcp");
    out.push_back(m);
  }
  return out;
}

}  // namespace mini::net
