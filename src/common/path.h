#pragma once
/// Lexical path handling, in one place: splitting into components, cleaning as if rooted at "/"
/// (Docker semantics: ".." stops at the root), joining, and the symlink-in-scope walk that every
/// resolver of mini uses (the fd-based one in common/in_root.h and the build's source trees). Pure:
/// no system calls here; the walk asks its caller about each entry.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mini {

/// Splits at every '/', dropping empty and "." components; ".." is kept.
/// "/a//./b/../c/" -> {"a", "b", "..", "c"}; "" and "/" -> {}.
std::vector<std::string> SplitPath(std::string_view path);

/// Cleans `path` lexically as if it were rooted at "/": "", "." and repeated slashes vanish, ".."
/// removes the previous component and stops at the root. An empty result names the root.
/// "../../evil" -> {"evil"}; "a/b/../../../c" -> {"c"}.
std::vector<std::string> CleanPathComponents(std::string_view path);

/// "a/b/c" from components; "" for none.
std::string JoinPath(const std::vector<std::string>& comps);

/// "/a/./b/../c//" -> "/a/c"; never climbs above "/"; "" -> "/".
std::string CleanAbsPath(std::string_view path);

/// True if `path` is relative and cleaning it lexically climbs above where it starts
/// ("../x", "a/../../x"). An absolute path never escapes: its ".." stops at the root.
bool EscapesLexically(std::string_view path);

/// The part after the last '/' (all of `path` without one): "a/b" -> "b", "b" -> "b", "a/" -> "".
std::string BaseName(std::string_view path);

/// What a tree says about one entry during ResolveInScope.
struct ScopeEntry {
  int error = 0;                     ///< non-zero: the walk stops with this errno value
  std::optional<std::string> link;   ///< the entry is a symlink with this target
};

/// Looks up the entry `at` (all its components but the last are resolved, symlink-free
/// directories); `last` when no component follows it.
using ScopeLookup = std::function<ScopeEntry(const std::vector<std::string>& at, bool last)>;

/// The result of ResolveInScope: the resolved components, or the errno that stopped the walk.
struct ScopedPath {
  std::vector<std::string> comps;
  int error = 0;
};

/// Resolves `comps` as if the tree's root were "/" (Docker's FollowSymlinkInScope, the kernel's
/// RESOLVE_IN_ROOT): "." is skipped, ".." drops the last resolved component and stops at the root,
/// a symlink is replaced by its target (an absolute one restarts at the root), at most
/// `max_links` symlinks are followed (then error ELOOP). Every component is looked up once it is
/// reached; the last one only with `follow_last` (else it is kept as it is). Entries the lookup
/// finds missing stay in the result as they are.
ScopedPath ResolveInScope(std::vector<std::string> comps, bool follow_last, int max_links,
                          const ScopeLookup& lookup);

}  // namespace mini
