// `mini build --output` (see build_output.h).
#include "build/build_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <exception>
#include <memory>
#include <thread>

#include "build/export.h"
#include "build/progress.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/io.h"
#include "common/human.h"
#include "common/strings.h"
#include "store/archive.h"
#include "store/blob_store.h"
#include "store/tar_extract.h"

namespace mini::build {

namespace {

Error Bad(const std::string& value, const std::string& why) {
  return Error(ErrorKind::kInvalidInput, "invalid --output \"" + value + "\": " + why);
}

OutputSpec ParseOne(const std::string& value) {
  OutputSpec spec;
  if (value.find('=') == std::string::npos) {
    if (value.empty()) throw Bad(value, "empty value");
    spec.type = value == "-" ? OutputSpec::Type::kTar : OutputSpec::Type::kLocal;
    spec.dest = value;
    return spec;
  }
  std::string type;
  bool has_dest = false;
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& f : Split(value, ',')) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) throw Bad(value, "expected KEY=VALUE, got \"" + f + "\"");
    fields.emplace_back(f.substr(0, eq), f.substr(eq + 1));
    if (fields.back().first == "type") type = fields.back().second;
  }
  if (type.empty()) throw Bad(value, "type is required (local, tar, oci or image)");
  if (type == "local") spec.type = OutputSpec::Type::kLocal;
  else if (type == "tar") spec.type = OutputSpec::Type::kTar;
  else if (type == "oci") spec.type = OutputSpec::Type::kOci;
  else if (type == "image" || type == "docker") spec.type = OutputSpec::Type::kImage;
  else throw Bad(value, "unknown type \"" + type + "\" (local, tar, oci or image)");
  bool image = spec.type == OutputSpec::Type::kImage || spec.type == OutputSpec::Type::kOci;
  std::string compression;
  std::optional<int> level;
  std::optional<bool> force;
  auto boolean = [&](const std::string& k, const std::string& v) {
    if (v == "true" || v.empty()) return true;
    if (v == "false") return false;
    throw Bad(value, k + " must be true or false, not \"" + v + "\"");
  };
  for (const auto& [k, v] : fields) {
    if (k == "type") continue;
    if (k == "dest" && spec.type != OutputSpec::Type::kImage) {
      if (v.empty()) throw Bad(value, "dest is empty");
      spec.dest = v;
      has_dest = true;
    } else if (k == "name" && image) {
      for (const auto& n : Split(v, ';'))
        if (!n.empty()) spec.names.push_back(n);
    } else if (k == "compression" && image) {
      compression = v;
    } else if (k == "compression-level" && image) {
      if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos)
        throw Bad(value, "compression-level must be a number, not \"" + v + "\"");
      level = std::stoi(v);
    } else if (k == "force-compression" && image) {
      force = boolean(k, v);
    } else if (k == "oci-mediatypes" && image) {
      if (!boolean(k, v)) throw Bad(value, "oci-mediatypes=false is not supported: mini's images are OCI");
    } else {
      throw Bad(value, "unknown key \"" + k + "\" for type=" + type);
    }
  }
  if (spec.type != OutputSpec::Type::kImage && !has_dest) throw Bad(value, "dest is required for type=" + type);
  try {
    spec.compression = ParseCompressionOptions(compression, level, force, "");
  } catch (const Error& e) {
    throw Bad(value, e.what());
  }
  return spec;
}

/// Writes the merged tar into `fd`, on a thread with SIGPIPE blocked (so it is EPIPE).
void WriteTarThread(const std::vector<std::string>& dirs, UniqueFd fd, std::exception_ptr* failure) {
  try {
    WriteMergedTar(dirs, fd.get());
  } catch (...) {
    *failure = std::current_exception();
  }
}

void ExportLocal(const std::vector<std::string>& dirs, const std::string& dest) {
  MakeDirs(dest, 0755);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd read_end(p[0]), write_end(p[1]);
  std::exception_ptr write_failure;
  auto fd = std::make_shared<UniqueFd>(std::move(write_end));
  std::thread writer = StartThread([&dirs, fd, &write_failure] { WriteTarThread(dirs, std::move(*fd), &write_failure); });
  std::exception_ptr read_failure;
  try {
    FdSource src(read_end.get(), "build output");
    UnpackOptions uo;
    uo.convert_whiteouts = false;  // a merged view has none: names starting .wh. are plain files
    UnpackLayer(src, dest, uo);
  } catch (...) {
    read_failure = std::current_exception();
  }
  read_end.reset();  // a writer still writing gets EPIPE
  writer.join();
  if (write_failure) std::rethrow_exception(write_failure);
  if (read_failure) std::rethrow_exception(read_failure);
}

void ExportTar(const std::vector<std::string>& dirs, const std::string& dest) {
  if (dest == "-") {
    if (isatty(STDOUT_FILENO))
      throw Error(ErrorKind::kInvalidInput, "--output type=tar: refusing to write a tar to a terminal; use dest=FILE or redirect");
    WriteMergedTar(dirs, STDOUT_FILENO);
    return;
  }
  WriteOutputFile(dest, "--output type=tar", [&](int fd) { WriteMergedTar(dirs, fd); });
}

/// An image output with a compression: its layers get blobs in it now, and the image the
/// manifest that names them (what push and save then send, as BuildKit's image store keeps it).
void StoreCompressed(ImageStore& images, const Digest& id, const CompressionOptions& c) {
  const Layout& layout = images.layers().layout();
  BlobStore blobs(layout);
  ImageRecord rec = images.Get(id);
  std::string stored = blobs.Read(rec.manifest_digest);
  std::string type;
  std::string bytes = ManifestWithCompression(layout, images, rec, stored, c, &type);
  if (bytes != stored) images.ReplaceManifest(id, blobs.PutBytes(bytes));  // in the build's lease first
}

/// type=oci: the recorded image as an OCI layout tar (as `mini save --format oci`), under its
/// names when it has some.
void WriteOciOutput(ImageStore& images, const Digest& id, const std::vector<std::string>& names, const OutputSpec& spec) {
  const Layout& layout = images.layers().layout();
  std::vector<std::string> what = names.empty() ? std::vector<std::string>{id.str()} : names;
  auto save = [&](int fd) { SaveImages(layout, images, images.layers(), what, ArchiveFormat::kOciArchive, fd, spec.compression); };
  if (spec.dest == "-") {
    if (isatty(STDOUT_FILENO))
      throw Error(ErrorKind::kInvalidInput, "--output type=oci: refusing to write a tar to a terminal; use dest=FILE or redirect");
    save(STDOUT_FILENO);
    return;
  }
  WriteOutputFile(spec.dest, "--output type=oci", save);
}

}  // namespace

OutputSpec ParseOutputSpecs(const std::vector<std::string>& values) {
  if (values.size() > 1) throw Error(ErrorKind::kInvalidInput, "only one --output is supported");
  if (values.empty()) return {};
  return ParseOne(values[0]);
}

void ExportFilesystem(const std::vector<std::string>& diff_dirs_top_first, const OutputSpec& spec) {
  WithContext("output " + spec.dest, [&] {
    if (spec.type == OutputSpec::Type::kLocal) ExportLocal(diff_dirs_top_first, spec.dest);
    else if (spec.type == OutputSpec::Type::kTar) ExportTar(diff_dirs_top_first, spec.dest);
  });
}

Digest DeliverBuild(ImageStore& images, const LayerStore& layer_store, const nlohmann::json& stage_config,
                    const std::vector<LayerRef>& layers, const std::map<std::string, std::string>& labels,
                    const OutputSpec& output, const std::vector<std::string>& tags, const std::string& iidfile,
                    BuildProgress& progress) {
  using nlohmann::json;
  json config = stage_config;
  for (const auto& [k, v] : labels) config["config"]["Labels"][k] = v;
  json diff_ids = json::array();
  std::vector<Descriptor> descs;
  std::vector<std::string> dirs;  // top first
  for (const auto& l : layers) {
    diff_ids.push_back(l.diff_id.str());
    descs.push_back(l.blob);
    dirs.insert(dirs.begin(), layer_store.DiffDir(l.chain_id));
  }
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
  const json& h = config["history"];
  config["created"] = h.is_array() && !h.empty() ? h.back().value("created", NowRfc3339()) : NowRfc3339();
  if (output.type == OutputSpec::Type::kLocal || output.type == OutputSpec::Type::kTar) {
    bool local = output.type == OutputSpec::Type::kLocal;
    int v = progress.Start(local ? "exporting to client directory" : "exporting to client tarball");
    try {
      ExportFilesystem(dirs, output);
    } catch (const std::exception& e) {
      progress.Fail(v, e.what());
      throw;
    }
    progress.Status(v, local ? "copying files done" : "sending tarball done");
    progress.Done(v);
  }
  std::vector<std::string> names = tags;
  names.insert(names.end(), output.names.begin(), output.names.end());
  Digest id;
  bool oci = output.type == OutputSpec::Type::kOci;
  if (output.type == OutputSpec::Type::kImage || oci || !names.empty()) {
    int v = progress.Start(oci ? "exporting to oci image format" : "exporting to image");
    progress.Status(v, "exporting layers done");
    id = images.CreateImage(config, descs);
    try {
      if (oci) WriteOciOutput(images, id, names, output);
      else if (output.compression.format) StoreCompressed(images, id, output.compression);
    } catch (const std::exception& e) {
      progress.Fail(v, e.what());
      throw;
    }
    if (output.compression.format)
      progress.Status(v, std::string("compressing layers to ") + CompressionName(*output.compression.format) + " done");
    if (oci) progress.Status(v, "sending tarball done");
    progress.Status(v, "writing image " + id.str() + " done");
    for (const auto& t : names) {
      Reference ref = ParseReference(t);
      images.Tag(ref, id);
      progress.Status(v, "naming to " + ref.String() + " done");
    }
    progress.Done(v);
  }
  if (!iidfile.empty() && !id.empty()) WriteFileAtomic(iidfile, id.str());
  return id;
}

}  // namespace mini::build
