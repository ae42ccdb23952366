#include "cli/errors.h"

#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "run/launch/exit_status.h"

namespace mini::cli {

int ExitCodeFor(const Error& e, const std::string& command) {
  if (e.exit_code() != 0) return e.exit_code();
  // Docker's CLI: run and create exit 125 when the tool itself failed, every other command 1.
  // Kinds matter to callers (retry, conflict, not found), not to the status.
  if (command.empty() || command == "run" || command == "create") return run::kExitMiniFailure;
  return 1;
}

void PrintError(const std::string& message) {
  std::cout.flush();
  std::fflush(stdout);
  std::fprintf(stderr, "mini: error: %s\n", message.c_str());
}

namespace {

/// The subcommand chain the words name ("network", "ls"), skipping the global options; the
/// first word that is not a subcommand of the one before is returned in `unknown`.
std::vector<CLI::App*> CommandPath(CLI::App& app, int argc, char** argv, std::string* unknown) {
  std::vector<CLI::App*> path;
  CLI::App* cur = &app;
  for (int i = 1; i < argc; i++) {
    std::string w = argv[i];
    if (GlobalOptionTakesValue(w)) {  // --root, --cgroup-manager
      i++;
      continue;
    }
    if (w.starts_with("-")) {
      if (cur != &app) break;  // the command's own flags: the path is complete
      continue;
    }
    CLI::App* sub = nullptr;
    try {
      sub = cur->get_subcommand(w);
    } catch (const CLI::OptionNotFound&) {
    }
    if (!sub) {
      if (!cur->get_subcommands({}).empty() && (cur == &app || cur->get_require_subcommand_min() > 0))
        *unknown = w;
      break;
    }
    path.push_back(sub);
    cur = sub;
  }
  return path;
}

std::string Joined(const std::vector<CLI::App*>& path) {
  std::string s = "mini";
  for (auto* a : path) s += " " + a->get_name();
  return s;
}

/// "Usage:  mini run [OPTIONS] IMAGE [COMMAND] [ARG...]": the command's help line with its full
/// path (CLI11 names only the last word), and for the commands that take the rest of the line
/// (whose positionals CLI11 does not know) Docker's words.
std::string UsageLine(CLI::App* cmd, const std::string& where) {
  std::string name = cmd->get_name();
  if (cmd->get_prefix_command()) {
    if (name == "exec") return "Usage:  " + where + " [OPTIONS] CONTAINER COMMAND [ARG...]";
    return "Usage:  " + where + " [OPTIONS] IMAGE [COMMAND] [ARG...]";
  }
  std::string help = cmd->help();
  size_t at = help.find("Usage: " + name);
  if (at == std::string::npos) return "";
  size_t from = at + 7 + name.size(), end = help.find('\n', at);
  return "Usage:  " + where + help.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

/// The words CLI11 names in "The following argument(s) was/were not expected: a b".
std::string FirstUnexpected(const std::string& what) {
  size_t colon = what.find(": ");
  if (colon == std::string::npos) return "";
  std::string rest = what.substr(colon + 2);
  return rest.substr(0, rest.find(' '));
}

}  // namespace

int ReportParseError(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  std::string unknown;
  std::vector<CLI::App*> path = CommandPath(app, argc, argv, &unknown);
  std::string where = Joined(path);
  if (!unknown.empty()) {
    std::string in = path.empty() ? "mini" : where;
    PrintError("'" + unknown + "' is not a " + in + " command.\nSee '" + in + " --help'.");
    return 1;
  }
  std::string what = e.what();
  bool flag_error = false;
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    std::string first = FirstUnexpected(what);
    if (first.starts_with("-") && first != "-") {
      what = "unknown flag: " + first.substr(0, first.find('='));
      flag_error = true;
    }
  } else if (dynamic_cast<const CLI::ConversionError*>(&e) || dynamic_cast<const CLI::ValidationError*>(&e) ||
             dynamic_cast<const CLI::ArgumentMismatch*>(&e) || dynamic_cast<const CLI::InvalidError*>(&e)) {
    flag_error = true;
  } else if (path.empty() && dynamic_cast<const CLI::RequiredError*>(&e)) {
    // `mini` alone: the help, as `docker` alone prints its usage.
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  std::string usage = path.empty() ? "" : UsageLine(path.back(), where);
  PrintError(what + (flag_error && !usage.empty() ? "\n" + usage : "") + "\nSee '" + where + " --help'.");
  return flag_error ? kExitFlag : 1;
}

void RefuseUnknownFlag(const std::vector<std::string>& rest) {
  if (!rest.empty() && rest[0].size() > 1 && rest[0][0] == '-') throw CLI::ExtrasError({rest[0]});
}

}  // namespace mini::cli
