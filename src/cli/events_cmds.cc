// `mini events`: the store's event log (store/event_log.h) printed Docker's way, followed
// until --until or Ctrl-C.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli.h"
#include "cli/go_template.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "store/event_log.h"
#include "store/event_query.h"

namespace mini::cli {
namespace {

int64_t NowNano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int UtcOffset(int64_t time_nano) {
  time_t t = static_cast<time_t>(time_nano / 1000000000);
  struct tm tm;
  return localtime_r(&t, &tm) ? static_cast<int>(tm.tm_gmtoff) : 0;
}

void RegisterEvents(CLI::App& app, Globals& g) {
  struct Opts {
    std::string since, until, format;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("events", "Get real time events from the store's event log");
  cmd->add_option("--since", o->since, "show events created since timestamp (RFC 3339, unix seconds, or 10m)");
  cmd->add_option("--until", o->until, "stream events until this timestamp (without it: follow)");
  cmd->add_option("-f,--filter", o->filters, "filter output based on conditions provided")->allow_extra_args(false);
  cmd->add_option("--format", o->format, "format the output using the given Go template");
  cmd->callback([&g, o] {
    int64_t now = NowNano();
    auto parse = [&](const std::string& v, const char* flag) -> int64_t {
      if (v.empty()) return 0;
      auto t = ParseEventTime(v, now);
      if (!t) throw Error(ErrorKind::kInvalidInput, std::string("invalid value for ") + flag + ": " + v);
      return *t;
    };
    int64_t since = parse(o->since, "--since"), until = parse(o->until, "--until");
    if (since && until && until < since)
      throw Error(ErrorKind::kInvalidInput, "`since` time (" + o->since + ") cannot be after `until` time (" + o->until + ")");
    EventFilter filter(o->filters);
    std::optional<GoTemplate> tmpl;
    bool json = o->format == "{{json .}}" || o->format == "json";
    if (!o->format.empty() && !json) tmpl.emplace(ParseFormatExit64(o->format));
    StoreHandle s(g.root);
    EventCursor cursor;
    // Without --since, past events are not shown (Docker streams from now on).
    int64_t from = o->since.empty() ? now : since;
    for (bool first = true;; first = false) {
      bool any = false;
      for (const Event& e : ReadNewEvents(s.layout, &cursor)) {
        if (e.time_nano < from || (until && e.time_nano > until) || !filter.Match(e)) continue;
        if (json) std::cout << EventJsonLine(e) << "\n";
        else if (tmpl) std::cout << tmpl->Render(EventTemplateData(e)) << "\n";
        else std::cout << EventLine(e, UtcOffset(e.time_nano)) << "\n";
        any = true;
      }
      if (any || first) std::cout.flush();
      if (until && NowNano() > until) return;
      usleep(200 * 1000);
    }
  });
}

}  // namespace

void RegisterEventsCommands(CLI::App& app, Globals& g) { RegisterEvents(app, g); }

}  // namespace mini::cli
