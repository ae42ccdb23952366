#pragma once
/// Pure planning of a container's mounts: the overlay option string (relative to overlay2/, so
/// it fits in a page for up to 128 layers), `-v` / `--tmpfs` parsing, Docker's masked and
/// read-only paths, and size strings. No syscalls; unit-tested.
#include <cstdint>
#include <string>
#include <vector>

#include "run/run_spec.h"

namespace mini::run {

/// The overlay mount for a container, all paths relative to the overlay2/ directory.
struct OverlayPlan {
  std::vector<std::string> lowers;  ///< top first: "<cid>-init/diff", then the image's "l/..."
  std::string upper;                ///< "<cid>/diff"
  std::string work;                 ///< "<cid>/work"
  std::string merged;               ///< "<cid>/merged"
  /// overlayfs's `volatile`: no sync of the upper filesystem at unmount, fsync a no-op in the
  /// upper dir. Only for --rm containers, whose upper dir is deleted when they end and never
  /// survives a crash of the host anyway (podman does the same for --rm).
  bool volatile_upper = false;
  /// "lowerdir=...,upperdir=...,workdir=..." (+ ",volatile" when set)
  std::string Options() const;
};

/// Builds the plan; throws Error when the options would not fit in `page_size` bytes (mount(2)
/// copies at most one page of data) or when the image has no layer.
OverlayPlan MakeOverlayPlan(const std::string& cid, const std::vector<std::string>& image_lowers,
                            size_t page_size);

/// The same with the container's own directories given (absolute, or relative to overlay2/):
/// used for --rm containers, whose init layer is on tmpfs.
OverlayPlan MakeOverlayPlanAt(const std::string& init, const std::string& upper, const std::string& work,
                              const std::string& merged, const std::vector<std::string>& image_lowers,
                              size_t page_size);

/// Parses `-v SRC:DST[:ro|rw]`. SRC starting with '/' is a bind mount, else a named volume
/// (names: [a-zA-Z0-9][a-zA-Z0-9_.-]*). DST must be absolute. Throws Error on bad input.
MountRequest ParseVolumeSpec(const std::string& s);
/// Parses `--mount type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=,tmpfs-mode=` (Docker's
/// keys and aliases). Throws Error("invalid argument \"...\" for \"--mount\" flag: ...").
MountRequest ParseMountFlag(const std::string& s);
/// Parses `--tmpfs PATH[:OPTIONS]`.
MountRequest ParseTmpfsSpec(const std::string& s);

/// "32m", "1g", "512k", "100" (bytes), "1.5g" -> bytes; throws Error on bad input.
int64_t ParseSize(const std::string& s);
/// --memory-swap's value: "-1" (unlimited swap) or a size as ParseSize reads it.
int64_t ParseMemorySwap(const std::string& s);

/// Docker's default masked paths (a /dev/null or an empty read-only tmpfs goes over them).
const std::vector<std::string>& MaskedPaths();
/// Docker's default read-only /proc paths.
const std::vector<std::string>& ReadOnlyPaths();

}  // namespace mini::run
