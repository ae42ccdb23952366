#pragma once
/// A libnftables context with buffered output and errors: runs nft command text and turns a
/// failure into one mini::Error line. Used by nat.cc only.
#include <string>

struct nft_ctx;

namespace mini::net {

class NftContext {
 public:
  NftContext();
  ~NftContext();
  NftContext(const NftContext&) = delete;
  NftContext& operator=(const NftContext&) = delete;

  /// Runs `commands` (nft syntax, one command per line) as one transaction; returns what nft
  /// printed (as nft's JSON, like `nft -j`, when `json`). Throws Error
  /// `nftables: <failing command>: <nft's reason>`.
  std::string Run(const std::string& commands, bool json = false);
  /// Same, but returns false (and the one-line message in *error) instead of throwing.
  bool TryRun(const std::string& commands, std::string* output, std::string* error,
              bool json = false);

  /// The process's shared context (made on first use, never freed; not thread-safe). Sharing
  /// it matters beyond saving the set-up: after a commit that deleted something, closing an
  /// nftables netlink socket waits for the kernel's deferred destruction (an RCU grace period,
  /// ~10 ms here), while a socket that stays open until exit lets that happen in the background.
  static NftContext& Shared();

 private:
  nft_ctx* ctx_;
};

}  // namespace mini::net
