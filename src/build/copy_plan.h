#pragma once
/// COPY/ADD from the typed instruction to what the step copies (BuildKit's dispatchCopy): words
/// substituted, flags checked with BuildKit's messages, sources sorted into local paths (of the
/// context, a stage or an image), URLs, git repositories and here-documents (in that order:
/// paths as written, then here-documents), the history/key text and the inputs digest. The layer
/// itself is made later by CopyToLayer, only on a cache miss.
#include <string>
#include <vector>

#include "build/copy_sources.h"
#include "build/copy_step.h"
#include "build/instructions.h"
#include "build/substitution.h"

namespace mini::build {

class FileHashCache;

/// Where a COPY's local paths are read.
struct CopyFrom {
  const SourceTree* tree = nullptr;
  bool is_context = true;  ///< the build context (its file hashes may be cached)
  std::string from;        ///< --from as substituted; "" for the context
  std::string inputs;      ///< for a stage or an image, what identifies it ("stage sha256:...")
};

struct CopyPlan {
  CopyOptions opts;
  std::string text;    ///< history and cache-key text ("COPY --chown=x a b /d/")
  std::string dest;    ///< absolute in the image (relative ones are under `workdir`)
  std::string chown;   ///< as substituted; resolved against the stage when the layer is made
  bool link = false;   ///< --link without --chmod (BuildKit merges only then)
  std::vector<ExpandedSource> sources;
  std::string inputs;  ///< the content part of the cache key
};

/// Plans `cp`. Downloads URLs (or re-checks them) and resolves git refs through `extra`.
/// Throws Error, e.g. "checksum requires HTTP(S) or Git sources", "source can't be a URL for
/// COPY", "source can't be a git ref for COPY", the --chmod and not-found errors.
CopyPlan PlanCopy(const CopyCmd& cp, const ShellLex& lex, const VarLookup& vars, const std::string& workdir,
                  const std::string& ignore_name, const CopyFrom& from, ExtraSources& extra,
                  FileHashCache* hashes);

}  // namespace mini::build
