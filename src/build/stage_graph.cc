// The stages a build needs (see stage_graph.h).
#include "build/stage_graph.h"

#include <algorithm>

#include "common/error.h"
#include "common/strings.h"

namespace mini::build {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int StepCount(const Stage& stage, bool from_image, size_t triggers) {
  int n = from_image ? 1 : 0;
  for (const auto& c : stage.commands)
    if (std::holds_alternative<RunCmd>(c.ins) || std::holds_alternative<CopyCmd>(c.ins) ||
        std::holds_alternative<WorkdirCmd>(c.ins))
      ++n;
  return n + static_cast<int>(triggers);
}

StageRef StageGraph::Resolve(const std::string& name, int before) const {
  if (const NamedContext* c = FindNamedContext(contexts_, name)) {
    if (c->kind == NamedContext::Kind::kImage) return {-1, c->value, nullptr};
    return {-1, "", c};
  }
  std::string l = Lower(name);
  for (int i = 0; i < before && i < static_cast<int>(mf_.stages.size()); ++i)
    if (!mf_.stages[i].from.name.empty() && mf_.stages[i].from.name == l) return {i, "", nullptr};
  return {-1, name, nullptr};
}

StageRef StageGraph::FromRef(const std::string& from, int stage) const {
  if (AllDigits(from)) {
    int idx = from.size() > 6 ? stage : std::stoi(from);
    if (idx >= stage) throw Error("COPY --from=" + from + ": invalid stage index (must refer to an earlier stage)");
    return {idx, "", nullptr};
  }
  return Resolve(from, stage);
}

int StageGraph::Target(const std::string& target) const {
  if (target.empty()) return static_cast<int>(mf_.stages.size()) - 1;
  for (size_t i = 0; i < mf_.stages.size(); ++i)
    if (mf_.stages[i].from.name == Lower(target)) return static_cast<int>(i);
  throw Error(ErrorKind::kInvalidInput, "target stage \"" + target + "\" could not be found");
}

std::vector<bool> StageGraph::Needed(int target) const {
  std::vector<bool> needed(mf_.stages.size(), false);
  Need(target, needed);
  return needed;
}

void StageGraph::Need(int s, std::vector<bool>& needed) const {
  if (needed[s]) return;
  needed[s] = true;
  const Stage& st = mf_.stages[s];
  StageRef base = Resolve(st.from.image, s);
  if (base.stage >= 0) Need(base.stage, needed);
  auto need_from = [&](const std::string& from) {
    StageRef r = FromRef(lex_.ProcessWord(from, LookupIn(global_vars_)), s);
    if (r.stage >= 0) Need(r.stage, needed);
  };
  for (const auto& c : st.commands) {
    if (auto* cp = std::get_if<CopyCmd>(&c.ins); cp && !cp->from.empty()) need_from(cp->from);
    if (auto* r = std::get_if<RunCmd>(&c.ins))
      for (const auto& m : r->mounts)
        for (const auto& field : Split(m, ','))
          if (field.rfind("from=", 0) == 0 && field.size() > 5) need_from(field.substr(5));
  }
}

}  // namespace mini::build
