#pragma once
/// `--format`: the subset of Go's text/template that Docker users write, over a JSON document
/// (the object a command would print with `{{json .}}`). Supported:
///   text, `{{.}}`, `{{.A.B}}`, `{{json .A}}`, `{{index .A "key"}}` (also numbers),
///   `{{upper .A}}`, `{{lower .A}}`, `{{title .A}}`, `{{len .A}}`, `{{join .A ", "}}`,
///   `{{println .A}}`, `{{range .A}}...{{end}}` (`.` is the element), `{{if .A}}...{{else}}...{{end}}`,
///   `{{- ` and ` -}}` trimming, and the `table` prefix (handled by the caller: see IsTable).
/// A field missing from the document prints "<no value>", as Go does for maps. Pure.
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.h"

namespace mini::cli {

/// A parsed template; parse once, render per row.
class GoTemplate {
 public:
  /// Throws Error("template: ...") naming what did not parse.
  explicit GoTemplate(const std::string& text);
  ~GoTemplate();
  GoTemplate(GoTemplate&&) noexcept;
  GoTemplate& operator=(GoTemplate&&) noexcept;

  /// Throws Error("template: ...") for a function applied to the wrong kind of value.
  std::string Render(const nlohmann::json& data) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
};

/// A --format of inspect, version or events: Docker's CLI exits 64 when it does not parse.
inline GoTemplate ParseFormatExit64(const std::string& text) {
  try {
    return GoTemplate(text);
  } catch (Error& e) {
    e.WithExitCode(64);
    throw;
  }
}

/// "table {{.A}}\t{{.B}}" -> true and `rest` = "{{.A}}\t{{.B}}".
bool IsTable(const std::string& format, std::string* rest);

/// Docker's `\t`-separated table rendering: columns padded to their widest cell plus 3 spaces.
std::string AlignTabs(const std::string& text);

}  // namespace mini::cli
