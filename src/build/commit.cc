#include "build/commit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "build/instructions.h"
#include "build/minifile_parser.h"
#include "build/source_tree.h"
#include "build/stage_state.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/log.h"
#include "common/path.h"
#include "store/image_config.h"
#include "run/container.h"
#include "store/blob_store.h"
#include "store/concurrent_stage.h"
#include "store/deferred_layer.h"
#include "store/lease.h"
#include "store/tar_generate.h"

namespace mini::build {

using nlohmann::json;

namespace {

/// Freezes the container's cgroups (v2 cgroup.freeze, v1 freezer.state) until destroyed.
class Freezer {
 public:
  explicit Freezer(const std::vector<std::string>& paths) {
    for (const auto& p : paths) {
      if (PathExists(p + "/cgroup.freeze")) Write(p + "/cgroup.freeze", "1", "0");
      else if (PathExists(p + "/freezer.state")) Write(p + "/freezer.state", "FROZEN", "THAWED");
    }
  }
  ~Freezer() {
    for (const auto& [file, value] : undo_) {
      try {
        WriteFileAtomicNoRename(file, value);
      } catch (const Error& e) {
        Warn(std::string("thaw: ") + e.what());
      }
    }
  }

 private:
  static void WriteFileAtomicNoRename(const std::string& file, const std::string& v) {
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) ThrowErrno("open " + file);
    WriteAll(fd.get(), v.data(), v.size(), file);
  }
  void Write(const std::string& file, const std::string& v, const std::string& undo) {
    WriteFileAtomicNoRename(file, v);
    undo_.emplace_back(file, undo);
  }
  std::vector<std::pair<std::string, std::string>> undo_;
};

void DiffWalk(const std::string& upper, const std::string& rel, const LayerView& lower, std::vector<std::string>* out) {
  DIR* d = opendir((upper + rel).c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string path = rel + "/" + n;
    struct stat st;
    if (lstat((upper + path).c_str(), &st) != 0) continue;
    if (IsWhiteout(st)) {
      out->push_back("D " + path);
      continue;
    }
    bool existed = lower.Lstat(CleanPathComponents(path)).has_value();
    out->push_back(std::string(existed ? "C " : "A ") + path);
    if (S_ISDIR(st.st_mode)) DiffWalk(upper, path, lower, out);
  }
}

}  // namespace

void ApplyChanges(json* image_config, const std::vector<std::string>& changes) {
  StageState st;
  st.config = *image_config;
  if (!st.config.contains("config") || !st.config["config"].is_object()) st.config["config"] = json::object();
  ShellLex lex;
  std::map<std::string, std::string> none;
  std::map<std::string, bool> used;
  for (const auto& ch : changes) {
    ParsedFile pf = WithContext("change \"" + ch + "\"", [&] { return ParseMinifile(ch, "change"); });
    if (pf.nodes.size() != 1) throw Error("change \"" + ch + "\": expected one instruction");
    static const std::vector<std::string> allowed = {"cmd", "entrypoint", "env", "expose", "label", "onbuild",
                                                     "user", "volume", "workdir", "stopsignal", "healthcheck", "shell"};
    if (std::find(allowed.begin(), allowed.end(), pf.nodes[0].cmd) == allowed.end())
      throw Error("change \"" + ch + "\": " + pf.nodes[0].cmd + " is not a valid change command");
    Instruction ins = ParseInstruction(pf.nodes[0], "change");
    st.cmd_set = true;  // -c ENTRYPOINT does not reset Cmd
    WithContext("change \"" + ch + "\"", [&] { ApplyMetadata(st, ins, lex, none, none, &used); });
  }
  *image_config = st.config;
}

Digest CommitContainer(const Layout& layout, LayerStore& layers, ImageStore& images, const std::string& container,
                       const CommitOptions& opts) {
  LeaseScope scope(layout, "commit");
  run::ContainerStore cs(layout);
  std::string cid = cs.Resolve(container);
  run::ContainerConfig cfg = cs.LoadConfig(cid);
  run::ContainerState state = cs.LoadState(cid);
  ImageRecord base = images.Resolve(cfg.image.id);
  images.Hold(scope.lease(), base);
  std::string upper = cs.UpperDir(cid);  // on tmpfs for --rm containers
  if (!IsDirectory(upper)) throw Error("commit " + container + ": the container has no layer directory");

  std::string what = "commit " + container;  // context for what fails below (e.g. a full disk)
  std::optional<Digest> parent;
  if (!base.chain_ids.empty()) parent = base.chain_ids.back();
  // The container keeps its upper dir: the new layer is unpacked from the tar as it is packed
  // (on another thread). No blob is written: compression waits for a push or save
  // (store/deferred_layer.h), as Docker's commit.
  PackResult pr;
  StagedLayer staged;
  {
    std::unique_ptr<Freezer> freeze;
    if (opts.pause && state.status == run::ContainerStatus::kRunning) freeze = std::make_unique<Freezer>(state.cgroup_paths);
    ConcurrentStage stage(layers, UnpackOptions{});
    PackOptions po;
    po.shift = {cfg.idmap.uid_base, cfg.idmap.gid_base, cfg.idmap.size};  // --userns: back to image ids
    po.tar_copy = [&stage](const void* data, size_t n) { stage.Write(data, n); };
    po.hash_tar = false;  // the unpacker hashes the same bytes: its diff id is the layer's
    pr = WithContext(what, [&] { return PackLayer(upper, -1, po); });
    staged = WithContext(what, [&] { return stage.Finish(); });
  }
  if (staged.result.tar_size != pr.tar_size)
    throw Error(what + ": the unpacker read " + std::to_string(staged.result.tar_size) + " bytes of tar, " +
                std::to_string(pr.tar_size) + " were packed");
  staged.result.blob_digest = staged.result.diff_id;  // deferred: the blob is the tar, until compressed
  staged.result.blob_size = pr.tar_size;
  LayerInfo info = WithContext(what, [&] { return layers.CommitStaged(staged, parent); });
  BlobStore blobs(layout);

  json config = base.config;
  json& c = config["config"];
  if (!c.is_object()) c = json::object();
  // The container's own settings become the image's, as docker commit does.
  ImageConfig ic = ImageConfigFromJson(c);
  if (!cfg.process.env.empty()) {
    ic.env.emplace();
    for (const auto& e : cfg.process.env)
      if (e.rfind("HOSTNAME=", 0) != 0 && e.rfind("HOME=", 0) != 0) ic.env->push_back(e);
  }
  if (!cfg.spec.args.empty()) ic.cmd = cfg.spec.args;
  c = ToJson(ic);
  ApplyChanges(&config, opts.changes);
  std::string now = NowRfc3339();
  config["created"] = now;
  if (!opts.author.empty()) config["author"] = opts.author;
  std::string created_by;
  for (size_t i = 0; i < cfg.process.argv.size(); ++i) created_by += (i ? " " : "") + cfg.process.argv[i];
  json h = {{"created", now}, {"created_by", created_by}};
  if (!opts.author.empty()) h["author"] = opts.author;
  if (!opts.message.empty()) h["comment"] = opts.message;
  if (!config.contains("history") || !config["history"].is_array()) config["history"] = json::array();
  config["history"].push_back(h);
  config["rootfs"]["type"] = "layers";
  config["rootfs"]["diff_ids"].push_back(info.diff_id.str());
  config.erase("container_config");
  std::vector<Descriptor> descs;
  const json& ml = base.manifest["layers"];
  if (ml.is_array())
    for (const auto& l : ml) descs.push_back(ParseDescriptor(l));
  descs.push_back(StoredLayerDescriptor(blobs, info));
  return WithContext(what, [&] { return images.CreateImage(config, descs); });
}

std::vector<std::string> ContainerDiff(const Layout& layout, LayerStore& layers, const std::string& container) {
  run::ContainerStore cs(layout);
  std::string cid = cs.Resolve(container);
  run::ContainerConfig cfg = cs.LoadConfig(cid);
  std::vector<std::string> dirs;
  for (const auto& l : cfg.image.lowers) dirs.push_back(layout.Overlay2Dir() + "/" + l);
  LayerView lower(dirs);
  std::vector<std::string> out;
  DiffWalk(cs.UpperDir(cid), "", lower, &out);
  return out;
}

}  // namespace mini::build
