// Fuzzes the Minifile front end: text -> nodes (ParseMinifile) -> stages (ParseStages) -> the
// metadata instructions applied with variable substitution (ApplyMetadata, ShellLex), as a build
// does before it runs anything. The whole input is also expanded as one word with ShellLex.
#include <cstdint>
#include <map>
#include <string>
#include <variant>

#include "build/instructions.h"
#include "build/minifile_parser.h"
#include "build/stage_state.h"
#include "build/substitution.h"
#include "common/error.h"

namespace {

template <class F>
void Try(F f) {
  try {
    f();
  } catch (const mini::Error&) {
  }
}

const std::vector<std::string> kEnv = {"A=1", "EMPTY=", "PATH=/usr/bin:/bin", "SP=a b  c", "Q=\"'$"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mini::build;
  std::string text(reinterpret_cast<const char*>(data), size);
  VarLookup vars = LookupIn(kEnv);
  for (char esc : {'\\', '`'}) {
    ShellLex lex(esc);
    Try([&] { lex.ProcessWord(text, vars); });
    Try([&] { lex.ProcessWords(text, vars); });
  }
  Try([&] {
    ParsedFile pf = ParseMinifile(text, "Minifile");
    Minifile mf = ParseStages(pf);
    ShellLex lex(mf.escape);
    std::map<std::string, std::string> build_args = {{"A", "x"}, {"UNUSED", "y"}};
    std::map<std::string, std::string> global_args;
    for (const ArgCmd& a : mf.meta_args)
      for (const auto& arg : a.args) global_args[arg.name] = arg.value.value_or("");
    for (const Stage& s : mf.stages) {
      const std::vector<std::string> none;  // LookupIn keeps a reference: no temporaries
      Try([&] { lex.ProcessWord(s.from.image, LookupIn(none)); });
      StageState st = ScratchState("amd64");
      std::map<std::string, bool> used;
      for (const Command& c : s.commands) {
        if (const auto* ob = std::get_if<OnbuildCmd>(&c.ins)) Try([&] { ParseTrigger(ob->expression, 1); });
        if (const auto* cp = std::get_if<CopyCmd>(&c.ins)) {
          const std::vector<std::string> sv = st.SubstitutionVars();
          auto v = LookupIn(sv);
          Try([&] {
            for (const auto& src : cp->sources) lex.ProcessWord(src, v);
            lex.ProcessWord(cp->dest, v);
          });
        }
        if (const auto* run = std::get_if<RunCmd>(&c.ins)) {
          const std::vector<std::string> sv = st.SubstitutionVars();
          auto v = LookupIn(sv);
          Try([&] {
            for (const auto& a : run->cmd.args) lex.ProcessWord(a, v);
          });
        }
        if (IsMetadata(c.ins)) Try([&] { ApplyMetadata(st, c.ins, lex, build_args, global_args, &used); });
      }
    }
  });
  return 0;
}
