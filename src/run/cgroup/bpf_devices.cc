// The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the
// device rules (as runc's devicefilter and crun's ebpf.c do), loaded and attached by syscall.
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "run/cgroup/cgroup.h"

namespace mini::run {
namespace {

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn LdxW(uint8_t dst, uint8_t src, int16_t off) { return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn AluK(uint8_t op, uint8_t dst, int32_t imm) { return Insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn MovX(uint8_t dst, uint8_t src) { return Insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn MovK(uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn JneK(uint8_t dst, int32_t imm, int16_t off) { return Insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
bpf_insn JneX(uint8_t dst, uint8_t src, int16_t off) { return Insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0); }
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t AccessBits(const std::string& a) {
  int32_t v = 0;
  for (char c : a) v |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : c == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return v;
}

}  // namespace

/// Program: r2 = type, r3 = access, r4 = major, r5 = minor; one block per rule that returns 1
/// on a match and otherwise jumps to the next block; 0 (deny) at the end.
std::vector<bpf_insn> DeviceProgram(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> p = {
      LdxW(2, 1, 0), AluK(BPF_AND, 2, 0xffff),  // type
      LdxW(3, 1, 0), AluK(BPF_RSH, 3, 16),      // access
      LdxW(4, 1, 4),                            // major
      LdxW(5, 1, 8),                            // minor
  };
  for (const auto& r : rules) {
    std::vector<bpf_insn> b;
    std::vector<size_t> jumps;
    if (r.type != 'a') {
      jumps.push_back(b.size());
      b.push_back(JneK(2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    }
    int32_t acc = AccessBits(r.access);
    if (r.type != 'a' && acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
      b.push_back(MovX(1, 3));
      b.push_back(AluK(BPF_AND, 1, acc));
      jumps.push_back(b.size());
      b.push_back(JneX(1, 3, 0));  // requested access must be a subset of the rule's
    }
    if (r.type != 'a' && r.major >= 0) {
      jumps.push_back(b.size());
      b.push_back(JneK(4, static_cast<int32_t>(r.major), 0));
    }
    if (r.type != 'a' && r.minor >= 0) {
      jumps.push_back(b.size());
      b.push_back(JneK(5, static_cast<int32_t>(r.minor), 0));
    }
    b.push_back(MovK(0, 1));
    b.push_back(Exit());
    for (size_t j : jumps) b[j].off = static_cast<int16_t>(b.size() - (j + 1));
    p.insert(p.end(), b.begin(), b.end());
  }
  p.push_back(MovK(0, 0));
  p.push_back(Exit());
  return p;
}

void AttachDeviceProgram(int cgroup_fd, const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> prog = DeviceProgram(rules);
  static const char kLicense[] = "GPL";
  union bpf_attr load;
  std::memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  UniqueFd pfd(static_cast<int>(syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load))));
  if (!pfd) ThrowErrno("bpf prog load");
  union bpf_attr at;
  std::memset(&at, 0, sizeof(at));
  at.target_fd = static_cast<uint32_t>(cgroup_fd);
  at.attach_bpf_fd = static_cast<uint32_t>(pfd.get());
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) != 0) ThrowErrno("bpf prog attach");
}

}  // namespace mini::run
