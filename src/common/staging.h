#pragma once
/// Entries under construction in the store's directories (TempDir, CreateLockedFile in
/// common/fs.h): made as ".new-<name>", locked, then renamed to <name>. A ".new-" entry older
/// than kNewEntryGraceSeconds was left by a process killed between the two steps.
#include <ctime>
#include <string>

namespace mini {

inline constexpr const char kNewEntryPrefix[] = ".new-";
inline constexpr time_t kNewEntryGraceSeconds = 600;

/// True while entry `name` of `dir` may still be in the hands of a live process: a ".new-"
/// entry within its grace time, or an entry someone holds an flock on. A checker skips those;
/// RemoveStaleEntries removes the others.
bool IsEntryBeingMade(const std::string& dir, const std::string& name);

}  // namespace mini
