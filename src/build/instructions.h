#pragma once
/// Nodes -> typed instructions (BuildKit's second stage): one struct per instruction with its
/// flags checked, and the file split into stages. Words are kept as written (quotes included)
/// where Docker expands variables later, at dispatch, against the stage's ENV and ARGs. Pure.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "build/minifile_parser.h"

namespace mini::build {

/// RUN / CMD / ENTRYPOINT: exec form (json) or one shell string.
struct CommandLine {
  std::vector<std::string> args;
  bool json = false;
};

struct FromCmd {
  std::string image;     ///< unexpanded; "scratch" for an empty base
  std::string name;      ///< AS name (lower case), may be empty
  std::string platform;  ///< --platform, unexpanded
};
struct RunCmd {
  CommandLine cmd;
  std::string network;  ///< --network: "", "none", "host", "default"
  std::vector<std::string> mounts;  ///< --mount values as written (unexpanded), in order
  std::string security;             ///< --security: "", "sandbox", "insecure"
  std::vector<Heredoc> heredocs;    ///< from the node; cmd.args[0] still holds the `<<EOF` line
};
struct CmdCmd {
  CommandLine cmd;
};
struct EntrypointCmd {
  CommandLine cmd;
};
struct ShellCmd {
  std::vector<std::string> shell;
};
struct EnvCmd {
  std::vector<std::pair<std::string, std::string>> vars;  ///< unexpanded
};
struct LabelCmd {
  std::vector<std::pair<std::string, std::string>> labels;  ///< unexpanded
};
struct ArgCmd {
  struct Arg {
    std::string name;
    std::optional<std::string> value;  ///< unexpanded default
  };
  std::vector<Arg> args;
};
struct WorkdirCmd {
  std::string path;
};
struct UserCmd {
  std::string user;
};
struct ExposeCmd {
  std::vector<std::string> ports;
};
struct VolumeCmd {
  std::vector<std::string> paths;
};
struct StopSignalCmd {
  std::string signal;
};
struct MaintainerCmd {
  std::string name;
};
struct HealthcheckCmd {
  bool none = false;
  std::vector<std::string> test;  ///< ["CMD", ...] or ["CMD-SHELL", "..."]; ["NONE"] when none
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};
struct OnbuildCmd {
  std::string expression;  ///< the trigger as written
};
/// COPY and ADD.
struct CopyCmd {
  bool add = false;
  std::vector<std::string> sources;  ///< unexpanded
  std::string dest;                  ///< unexpanded
  std::string from;                  ///< --from (COPY only)
  std::string chown, chmod;
  bool link = false;
  bool keep_git_dir = false;
  std::string checksum;
  bool parents = false;               ///< --parents (COPY)
  std::vector<std::string> excludes;  ///< --exclude patterns, unexpanded, in order
  /// Sources written as `<<EOF`: their bodies (the matching entry of `sources` is "<<EOF").
  std::vector<Heredoc> heredocs;
};

using Instruction = std::variant<FromCmd, RunCmd, CmdCmd, EntrypointCmd, ShellCmd, EnvCmd, LabelCmd, ArgCmd,
                                 WorkdirCmd, UserCmd, ExposeCmd, VolumeCmd, StopSignalCmd, MaintainerCmd,
                                 HealthcheckCmd, OnbuildCmd, CopyCmd>;

struct Command {
  Instruction ins;
  Node node;  ///< where it came from (line numbers, original text)
};

struct Stage {
  int index = 0;
  FromCmd from;
  Node from_node;
  std::vector<Command> commands;  ///< after FROM
};

struct Minifile {
  std::string file;
  char escape = '\\';
  std::vector<ArgCmd> meta_args;  ///< ARGs before the first FROM
  std::vector<Node> meta_arg_nodes;
  std::vector<Stage> stages;
};

/// Converts one node. Throws Error("<file>:<line>: <reason>") for unknown flags, wrong argument
/// counts and bad values (durations, names).
Instruction ParseInstruction(const Node& node, const std::string& file);

/// Converts a parsed file into stages. Throws Error("<file>:<line>: ...") for an instruction
/// before the first FROM (other than ARG), a file without FROM, or a duplicate stage name.
Minifile ParseStages(const ParsedFile& pf);

/// Parses one ONBUILD trigger as stored in an image config ("RUN make"), attributed to `line`
/// (the FROM that runs it). Throws Error("ONBUILD, FROM and MAINTAINER isn't allowed as an
/// ONBUILD trigger") and the usual parse errors.
Command ParseTrigger(const std::string& trigger, int line);

/// The parsed features the builder does not execute yet, named ("RUN --mount"), or "": RUN
/// --mount, heredocs, --security=insecure; COPY/ADD heredocs, --parents, --exclude; ADD --checksum. The builder
/// refuses them instead of ignoring them; the work that executes a feature removes it here.
std::string UnexecutedFeature(const Instruction& ins);

/// Go's time.ParseDuration subset used by HEALTHCHECK ("30s", "1m30s", "500ms", "1h"), in ns.
/// Throws Error on bad input.
int64_t ParseGoDuration(const std::string& s);

}  // namespace mini::build
