#pragma once
/// User namespaces for `--userns=auto|remap:UID:GID:SIZE`: the option, the subordinate id
/// ranges of the `mini` user in /etc/subuid and /etc/subgid (created on first use), the choice
/// of a container's slice, the uid_map/gid_map writes and a user namespace fd carrying a map
/// (for idmapped mounts). `host` (the default) means no user namespace: none of this runs.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/fs.h"

namespace mini::run {

/// A container's id mapping: ids [0, size) inside are [uid_base, uid_base+size) outside (and the
/// same for gids). size == 0 means no user namespace.
struct IdMap {
  uint32_t uid_base = 0;
  uint32_t gid_base = 0;
  uint32_t size = 0;
  bool enabled() const { return size != 0; }
  bool operator==(const IdMap& o) const {
    return uid_base == o.uid_base && gid_base == o.gid_base && size == o.size;
  }
  /// "0 <base> <size>\n", the line for /proc/<pid>/uid_map (gid = false) or gid_map.
  std::string MapLine(bool gid) const;
  /// The host id of container id `id`; ids outside the map become 65534 (the overflow id).
  uint32_t HostUid(uint32_t id) const { return id < size ? uid_base + id : 65534; }
  uint32_t HostGid(uint32_t id) const { return id < size ? gid_base + id : 65534; }
};

/// The size of one `auto` slice.
constexpr uint32_t kAutoSliceSize = 65536;

/// What --userns asked for.
struct UsernsMode {
  enum class Kind { kHost, kAuto, kRemap };
  Kind kind = Kind::kHost;
  IdMap remap;  ///< for kRemap
};

/// Parses "", "host", "auto" or "remap:UID:GID:SIZE". Throws Error("invalid --userns ...").
UsernsMode ParseUsernsMode(const std::string& s);

/// One subordinate id range.
struct SubIdRange {
  uint32_t start = 0;
  uint32_t count = 0;
};

/// The lines of a /etc/subuid-style file: name -> ranges (all entries, in order). Pure.
struct SubIdEntry {
  std::string name;
  SubIdRange range;
};
std::vector<SubIdEntry> ParseSubIdFile(const std::string& text);

/// A block of `size` ids aligned to `size`, starting at or above `size`, that overlaps no entry
/// of either file. Pure; throws Error when none fits below 2^32.
uint32_t ChooseFreeBlock(const std::vector<SubIdEntry>& a, const std::vector<SubIdEntry>& b, uint32_t size);

/// The size of the block mini adds for itself when it has no entry (256 auto slices).
constexpr uint32_t kMiniSubIdSize = 1u << 24;

/// mini's ranges (the first "mini" entry of each file), adding "mini:<start>:<size>" to both
/// files when either lacks one (under a lock, written atomically). Files come from
/// $MINI_SUBUID / $MINI_SUBGID when set (tests), else /etc/subuid and /etc/subgid.
/// Throws Error.
void EnsureMiniSubIds(SubIdRange* uids, SubIdRange* gids);

/// The first kAutoSliceSize slice of mini's ranges (uid and gid at the same offset) that
/// overlaps none of `used`. Pure; throws Error("no free user namespace range ...").
IdMap ChooseAutoSlice(const SubIdRange& uids, const SubIdRange& gids, const std::vector<IdMap>& used);

/// Checks that `m` lies inside mini's ranges; throws Error saying which part does not. Pure.
void CheckRemapInside(const IdMap& m, const SubIdRange& uids, const SubIdRange& gids);

/// Throws Error("user namespaces are not available ...") when this kernel cannot create them.
void CheckUsernsSupported();

/// Writes /proc/<pid>/uid_map and gid_map (the caller is root in the parent namespace, so
/// setgroups stays "allow"). Throws Error.
void WriteIdMaps(pid_t pid, const IdMap& m);

/// A user namespace carrying map `m`, held by an fd (O_CLOEXEC): a helper process is cloned
/// into a new user namespace, mapped, its ns/user opened, then it is killed. Throws Error.
UniqueFd MakeUsernsFd(const IdMap& m);

/// In a process that was just cloned into (or joined) a mapped user namespace: drop the host's
/// supplementary groups and become uid/gid 0 of the namespace (the mapped base outside), then
/// re-arm the parent-death signal, which a credential change clears. Throws Error.
void BecomeRootInUserns(bool pdeath_kill);

/// Shift of a host id back to the container's view: [base, base+size) -> id - base, anything
/// else -> 65534 (the overflow id the container sees). Pure.
uint32_t UnshiftId(uint32_t host_id, uint32_t base, uint32_t size);

}  // namespace mini::run
