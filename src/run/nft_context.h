#pragma once
/// A libnftables context with buffered output and errors: runs nft command text and turns a
/// failure into one mini::Error line. Used by nat.cc only.
#include <string>

struct nft_ctx;

namespace mini::run {

class NftContext {
 public:
  /// `json`: listings come back as nft's JSON (`nft -j`).
  explicit NftContext(bool json = false);
  ~NftContext();
  NftContext(const NftContext&) = delete;
  NftContext& operator=(const NftContext&) = delete;

  /// Runs `commands` (nft syntax, one command per line) as one transaction; returns what nft
  /// printed. Throws Error `nftables: <failing command>: <nft's reason>`.
  std::string Run(const std::string& commands);
  /// Same, but returns false (and the one-line message in *error) instead of throwing.
  bool TryRun(const std::string& commands, std::string* output, std::string* error);

 private:
  nft_ctx* ctx_;
};

}  // namespace mini::run
