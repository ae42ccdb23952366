#include "net/netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace mini::net {

/// Builds netlink messages into one buffer: a header, a fixed payload, attributes (nested
/// attributes keep their start offsets on a stack and get their lengths when closed).
struct Netlink::Request {
  std::vector<char> buf;
  size_t msg = 0;
  std::vector<size_t> nests;

  void Begin(uint16_t type, uint16_t flags, uint32_t seq) {
    msg = buf.size();
    buf.resize(msg + NLMSG_HDRLEN);
    auto* h = reinterpret_cast<nlmsghdr*>(buf.data() + msg);
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    h->nlmsg_seq = seq;
    End();
  }
  void Put(const void* data, size_t n) {
    size_t at = buf.size();
    buf.resize(at + NLMSG_ALIGN(n));
    std::memcpy(buf.data() + at, data, n);
    End();
  }
  void Attr(uint16_t type, const void* data, size_t n) {
    rtattr a;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
    a.rta_type = type;
    size_t at = buf.size();
    buf.resize(at + RTA_SPACE(n));
    std::memcpy(buf.data() + at, &a, sizeof(a));
    if (n) std::memcpy(buf.data() + at + RTA_LENGTH(0), data, n);
    End();
  }
  void Str(uint16_t type, const std::string& s) { Attr(type, s.c_str(), s.size() + 1); }
  void U32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }
  void Open(uint16_t type) {
    nests.push_back(buf.size());
    Attr(type, nullptr, 0);
  }
  void Close() {
    size_t at = nests.back();
    nests.pop_back();
    reinterpret_cast<rtattr*>(buf.data() + at)->rta_len = static_cast<unsigned short>(buf.size() - at);
  }
  void End() { reinterpret_cast<nlmsghdr*>(buf.data() + msg)->nlmsg_len = static_cast<uint32_t>(buf.size() - msg); }
};

namespace {

ifinfomsg LinkMsg(int index, unsigned flags, unsigned change) {
  ifinfomsg i{};
  i.ifi_family = AF_UNSPEC;
  i.ifi_index = index;
  i.ifi_flags = flags;
  i.ifi_change = change;
  return i;
}

void AddrMsg(Netlink::Request* r, int index, uint32_t addr, int prefix) {
  ifaddrmsg a{};
  a.ifa_family = AF_INET;
  a.ifa_prefixlen = static_cast<unsigned char>(prefix);
  a.ifa_index = static_cast<unsigned>(index);
  r->Put(&a, sizeof(a));
  uint32_t be = htonl(addr);
  r->Attr(IFA_LOCAL, &be, 4);
  r->Attr(IFA_ADDRESS, &be, 4);
  if (prefix < 31) {
    uint32_t bcast = htonl(addr | ~PrefixMask(prefix));
    r->Attr(IFA_BROADCAST, &bcast, 4);
  }
}

}  // namespace

Netlink::Netlink() : fd_(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
  if (!fd_) ThrowErrno("open rtnetlink socket");
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) ThrowErrno("bind rtnetlink socket");
  int one = 1;
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

void Netlink::Transact(const std::vector<char>& buf, const std::vector<std::string>& what,
                       const std::vector<int>& ignore) {
  if (send(fd_.get(), buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size())) ThrowErrno("send rtnetlink " + what[0]);
  size_t acks = 0;
  int first_err = 0;
  size_t first_at = 0;
  alignas(nlmsghdr) char rb[16384];
  while (acks < what.size()) {
    ssize_t n = recv(fd_.get(), rb, sizeof(rb), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("receive rtnetlink " + what[0]);
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(rb); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      // Sequence numbers were assigned in order from seq_ - what.size() + 1.
      size_t idx = static_cast<size_t>(h->nlmsg_seq - (seq_ - what.size() + 1));
      acks++;
      if (e->error == 0 || idx >= what.size()) continue;
      if (idx < ignore.size() && ignore[idx] == -e->error) continue;
      if (!first_err) {
        first_err = -e->error;
        first_at = idx;
      }
    }
  }
  if (first_err) ThrowErrno(what[first_at], first_err);
}

template <class F>
void Netlink::Dump(const std::vector<char>& req, const std::string& what, F each) {
  if (send(fd_.get(), req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) ThrowErrno(what);
  alignas(nlmsghdr) static thread_local char rb[32768];
  for (;;) {
    ssize_t n = recv(fd_.get(), rb, sizeof(rb), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(what);
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(rb); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
        if (err) ThrowErrno(what, err);
        return;
      }
      each(h);
    }
  }
}

int Netlink::LinkIndex(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return 0;
  // SIOCGIFINDEX looks the name up under RCU, without the RTNL lock that RTM_GETLINK takes
  // (and that another container's veth deletion may be holding).
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (ioctl(fd_.get(), SIOCGIFINDEX, &ifr) == 0) return ifr.ifr_ifindex;
  if (errno == ENODEV) return 0;
  ThrowErrno("get link " + name);
}

int Netlink::EnsureBridge(const std::string& name) {
  Request r;
  r.Begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq_);
  ifinfomsg i = LinkMsg(0, IFF_UP, IFF_UP);
  r.Put(&i, sizeof(i));
  r.Str(IFLA_IFNAME, name);
  r.Open(IFLA_LINKINFO);
  r.Str(IFLA_INFO_KIND, "bridge");
  r.Close();
  Transact(r.buf, {"create bridge " + name}, {EEXIST});
  int index = LinkIndex(name);
  if (!index) throw Error("create bridge " + name + ": it vanished");
  // Up again: an existing bridge may have been taken down.
  Request up;
  up.Begin(RTM_NEWLINK, NLM_F_ACK, ++seq_);
  ifinfomsg u = LinkMsg(index, IFF_UP, IFF_UP);
  up.Put(&u, sizeof(u));
  Transact(up.buf, {"bring up bridge " + name});
  return index;
}

void Netlink::CreateVeth(const VethRequest& v) {
  Request r;
  r.Begin(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq_);
  ifinfomsg i = LinkMsg(0, IFF_UP, IFF_UP);
  r.Put(&i, sizeof(i));
  r.Str(IFLA_IFNAME, v.host_name);
  if (v.master_index) r.U32(IFLA_MASTER, static_cast<uint32_t>(v.master_index));
  if (v.mtu) r.U32(IFLA_MTU, static_cast<uint32_t>(v.mtu));
  r.Open(IFLA_LINKINFO);
  r.Str(IFLA_INFO_KIND, "veth");
  r.Open(IFLA_INFO_DATA);
  r.Open(VETH_INFO_PEER);
  // The peer stays down here; the container brings it up with its address (bringing it up
  // from here, across namespaces, fails on some kernels).
  ifinfomsg p = LinkMsg(0, 0, 0);
  r.Put(&p, sizeof(p));
  r.Str(IFLA_IFNAME, v.peer_name);
  r.U32(IFLA_NET_NS_PID, static_cast<uint32_t>(v.peer_netns_pid));
  if (v.mtu) r.U32(IFLA_MTU, static_cast<uint32_t>(v.mtu));
  bool mac = false;
  for (uint8_t b : v.peer_mac) mac = mac || b;
  if (mac) r.Attr(IFLA_ADDRESS, v.peer_mac.data(), 6);
  r.Close();
  r.Close();
  r.Close();
  Transact(r.buf, {"create veth " + v.host_name});
}

void Netlink::AddAddress(int index, uint32_t addr, int prefix, const std::string& what, bool exist_ok) {
  Request r;
  r.Begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq_);
  AddrMsg(&r, index, addr, prefix);
  Transact(r.buf, {"add address " + FormatIpv4(addr) + "/" + std::to_string(prefix) + " to " + what},
           exist_ok ? std::vector<int>{EEXIST} : std::vector<int>{});
}

void Netlink::ConfigureContainerInterface(const std::string& dev, uint32_t addr, int prefix, uint32_t gateway) {
  int index = LinkIndex(dev);
  if (!index) throw Error("configure " + dev + ": no such interface in the container");
  Request r;
  // lo up.
  r.Begin(RTM_NEWLINK, NLM_F_ACK, ++seq_);
  ifinfomsg lo = LinkMsg(1, IFF_UP, IFF_UP);
  r.Put(&lo, sizeof(lo));
  // dev up (the parent created it up; cheap and makes this independent of that).
  r.Begin(RTM_NEWLINK, NLM_F_ACK, ++seq_);
  ifinfomsg up = LinkMsg(index, IFF_UP, IFF_UP);
  r.Put(&up, sizeof(up));
  // Its address.
  r.Begin(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq_);
  AddrMsg(&r, index, addr, prefix);
  // Default route via the gateway.
  r.Begin(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, ++seq_);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  r.Put(&rt, sizeof(rt));
  uint32_t gw = htonl(gateway);
  r.Attr(RTA_GATEWAY, &gw, 4);
  r.U32(RTA_OIF, static_cast<uint32_t>(index));
  std::string a = FormatIpv4(addr) + "/" + std::to_string(prefix);
  Transact(r.buf, {"bring up lo", "bring up " + dev, "add address " + a + " to " + dev,
                   "add default route via " + FormatIpv4(gateway)});
}

bool Netlink::DeleteLink(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  Request r;
  r.Begin(RTM_DELLINK, NLM_F_ACK, ++seq_);
  ifinfomsg i = LinkMsg(0, 0, 0);
  r.Put(&i, sizeof(i));
  r.Str(IFLA_IFNAME, name);
  try {
    Transact(r.buf, {"delete link " + name});
  } catch (const Error&) {
    if (LinkIndex(name) == 0) return false;
    throw;
  }
  return true;
}

std::vector<Ipv4Route> Netlink::DumpRoutes() {
  Request r;
  r.Begin(RTM_GETROUTE, NLM_F_DUMP, ++seq_);
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  r.Put(&rt, sizeof(rt));
  std::vector<Ipv4Route> out;
  Dump(r.buf, "list routes", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWROUTE) return;
    auto* m = static_cast<rtmsg*>(NLMSG_DATA(h));
    if (m->rtm_family != AF_INET || m->rtm_table == RT_TABLE_LOCAL) return;
    Ipv4Route route;
    route.prefix = m->rtm_dst_len;
    int alen = static_cast<int>(RTM_PAYLOAD(h));
    for (auto* a = RTM_RTA(m); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
      if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == 4) {
        uint32_t d;
        std::memcpy(&d, RTA_DATA(a), 4);
        route.dst = ntohl(d);
      }
    }
    out.push_back(route);
  });
  return out;
}

std::vector<std::pair<uint32_t, int>> Netlink::LinkAddresses(int index) {
  Request r;
  r.Begin(RTM_GETADDR, NLM_F_DUMP, ++seq_);
  ifaddrmsg a{};
  a.ifa_family = AF_INET;
  r.Put(&a, sizeof(a));
  std::vector<std::pair<uint32_t, int>> out;
  Dump(r.buf, "list addresses", [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    auto* m = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(m->ifa_index) != index || m->ifa_family != AF_INET) return;
    int alen = static_cast<int>(IFA_PAYLOAD(h));
    for (auto* at = IFA_RTA(m); RTA_OK(at, alen); at = RTA_NEXT(at, alen)) {
      if (at->rta_type == IFA_LOCAL && RTA_PAYLOAD(at) == 4) {
        uint32_t v;
        std::memcpy(&v, RTA_DATA(at), 4);
        out.emplace_back(ntohl(v), m->ifa_prefixlen);
      }
    }
  });
  return out;
}

uint32_t ParseIpv4(const std::string& s) {
  in_addr a;
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) throw Error("invalid IP address: " + s);
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

uint32_t PrefixMask(int prefix) { return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1); }

void ParseCidr(const std::string& s, uint32_t* net, int* prefix) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) throw Error("invalid subnet " + s + ": expected CIDR notation (a.b.c.d/n)");
  std::string ip = s.substr(0, slash), len = s.substr(slash + 1);
  if (len.empty() || len.size() > 2 || len.find_first_not_of("0123456789") != std::string::npos || std::stoi(len) > 32)
    throw Error("invalid subnet " + s + ": bad prefix length");
  in_addr a;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) throw Error("invalid subnet " + s + ": bad address");
  *prefix = std::stoi(len);
  *net = ntohl(a.s_addr);
  if (*net & ~PrefixMask(*prefix))
    throw Error("invalid subnet " + s + ": host bits set (did you mean " + FormatIpv4(*net & PrefixMask(*prefix)) + "/" +
                len + "?)");
}

}  // namespace mini::net
