// libnftables wrapper (the library itself is loaded on first use, see src/lazylib).
#include "net/nft_context.h"

#include <nftables/libnftables.h>

#include "common/error.h"

namespace mini::net {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// nft prints "Error: <reason>\n<command>\n   ^^^^\n" (possibly "<where>: Error: ..."), once per
// failing command: keep the first reason and the command it names.
std::string OneLine(const std::string& err) {
  size_t nl = err.find('\n');
  std::string first = err.substr(0, nl);
  size_t at = first.find("Error: ");
  std::string reason = Trim(at == std::string::npos ? first : first.substr(at + 7));
  std::string command;
  if (nl != std::string::npos) {
    size_t nl2 = err.find('\n', nl + 1);
    command = Trim(err.substr(nl + 1, nl2 == std::string::npos ? std::string::npos : nl2 - nl - 1));
  }
  if (reason.empty()) reason = "failed";
  return "nftables: " + (command.empty() ? "" : command + ": ") + reason;
}

}  // namespace

NftContext::NftContext() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
  if (!ctx_) throw Error("nftables: cannot create a context");
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
}

NftContext& NftContext::Shared() {
  static NftContext* shared = new NftContext();
  return *shared;
}

NftContext::~NftContext() { nft_ctx_free(ctx_); }

bool NftContext::TryRun(const std::string& commands, std::string* output, std::string* error,
                        bool json) {
  unsigned flags = nft_ctx_output_get_flags(ctx_);
  flags = json ? flags | NFT_CTX_OUTPUT_JSON : flags & ~unsigned(NFT_CTX_OUTPUT_JSON);
  nft_ctx_output_set_flags(ctx_, flags);
  int rc = nft_run_cmd_from_buffer(ctx_, commands.c_str());
  // The buffers are reset by each get call.
  std::string out = nft_ctx_get_output_buffer(ctx_);
  std::string err = nft_ctx_get_error_buffer(ctx_);
  if (output) *output = out;
  if (rc == 0) return true;
  if (error) *error = OneLine(err);
  return false;
}

std::string NftContext::Run(const std::string& commands, bool json) {
  std::string out, err;
  if (!TryRun(commands, &out, &err, json)) throw Error(err);
  return out;
}

}  // namespace mini::net
