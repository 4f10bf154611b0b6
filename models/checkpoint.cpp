#include "models/checkpoint.h"

#include <unistd.h>

#include <set>
#include <sstream>
#include <string>

#include "io/error.h"
#include "models/registry.h"

namespace unetx::models {
namespace {

namespace fs = std::filesystem;
using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

constexpr const char* kMagicKey = "unetx_checkpoint";
constexpr const char* kMagic = "unetx";

// c10 messages can span lines (and carry backtraces); a log line wants the first one.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Removes the temporary file unless the rename succeeded, so a failed save leaves no debris.
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ec;
    if (!committed_) fs::remove(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void commit_to(const fs::path& target) {
    fs::rename(path_, target);
    committed_ = true;
  }

 private:
  fs::path path_;
  bool committed_ = false;
};

InputArchive open_archive(const fs::path& path, torch::Device device) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path.string(), "no such checkpoint file");
  InputArchive archive;
  try {
    archive.load_from(path.string(), device);
  } catch (const c10::Error& e) {
    throw Error(path.string(),
                "not a unetx checkpoint (" + first_line(e.what_without_backtrace()) + ")");
  }
  c10::IValue magic;
  if (!archive.try_read(kMagicKey, magic) || !magic.isString() || magic.toStringRef() != kMagic) {
    throw Error(path.string(), "not a unetx checkpoint (a torch archive without a unetx header)");
  }
  return archive;
}

nlohmann::json read_json(InputArchive& archive, const char* key, const fs::path& path) {
  c10::IValue value;
  if (!archive.try_read(key, value) || !value.isString()) {
    throw Error(path.string(), std::string("corrupt checkpoint: no '") + key + "' entry");
  }
  try {
    return nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string(), std::string("corrupt checkpoint: '") + key + "' is not JSON");
  }
}

CheckpointMeta read_meta(InputArchive& archive, const fs::path& path) {
  c10::IValue version;
  if (!archive.try_read("format_version", version) || !version.isInt()) {
    throw Error(path.string(), "corrupt checkpoint: no format version");
  }
  CheckpointMeta meta;
  meta.format_version = static_cast<int>(version.toInt());
  if (meta.format_version > kCheckpointVersion) {
    throw Error(path.string(), "checkpoint format version " + std::to_string(meta.format_version) +
                                   " is newer than this build reads (" +
                                   std::to_string(kCheckpointVersion) + "); update unetx");
  }
  meta.model_config = read_json(archive, "model_config", path);
  meta.plan = read_json(archive, "plan", path);
  meta.state = read_json(archive, "state", path);
  return meta;
}

// Module::load would silently resize parameters to whatever the file holds; this checks every
// tensor's presence and shape against the freshly built model and rejects leftovers.
void load_weights(torch::nn::Module& module, InputArchive& archive, const std::string& prefix,
                  const fs::path& path) {
  auto fail = [&](const std::string& what) {
    throw Error(path.string(), "weights do not fit the stored model config: " + what);
  };
  std::set<std::string> expected;
  auto load_tensor = [&](const std::string& key, torch::Tensor& target, bool is_buffer) {
    expected.insert(key);
    if (!target.defined()) return;
    torch::Tensor stored;
    if (!archive.try_read(key, stored, is_buffer)) fail("missing tensor " + prefix + key);
    if (stored.sizes() != target.sizes()) {
      std::ostringstream msg;
      msg << prefix << key << " has shape " << stored.sizes() << ", the model expects "
          << target.sizes();
      fail(msg.str());
    }
    torch::NoGradGuard no_grad;
    target.copy_(stored);
  };
  for (auto& p : module.named_parameters(/*recurse=*/false)) load_tensor(p.key(), p.value(), false);
  for (auto& b : module.named_buffers(/*recurse=*/false)) load_tensor(b.key(), b.value(), true);
  for (auto& child : module.named_children()) {
    expected.insert(child.key());
    InputArchive sub;
    if (!archive.try_read(child.key(), sub)) fail("missing module " + prefix + child.key());
    load_weights(*child.value(), sub, prefix + child.key() + ".", path);
  }
  for (const auto& key : archive.keys()) {
    if (!expected.count(key)) fail("unexpected entry " + prefix + key);
  }
}

}  // namespace

void save_checkpoint(const fs::path& path, SegmentationModel& model, const CheckpointMeta& meta,
                     torch::optim::Optimizer* optimizer) {
  const nlohmann::json config = model.config();
  if (!meta.model_config.is_null() && meta.model_config != config) {
    throw Error(path.string(), "meta.model_config differs from the model's own config()");
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  TempFile temp(folder / (".tmp-" + std::to_string(::getpid()) + "-" + path.filename().string()));
  try {
    OutputArchive archive;
    archive.write(kMagicKey, c10::IValue(std::string(kMagic)));
    archive.write("format_version", c10::IValue(static_cast<int64_t>(kCheckpointVersion)));
    archive.write("model_config", c10::IValue(config.dump()));
    archive.write("plan", c10::IValue(meta.plan.dump()));
    archive.write("state", c10::IValue(meta.state.dump()));
    OutputArchive weights;
    model.save(weights);
    archive.write("model", weights);
    if (optimizer != nullptr) {
      OutputArchive optimizer_archive;
      optimizer->save(optimizer_archive);
      archive.write("optimizer", optimizer_archive);
    }
    archive.save_to(temp.path().string());
    temp.commit_to(path);
  } catch (const c10::Error& e) {
    throw Error(path.string(),
                "cannot write checkpoint: " + first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(path.string(), std::string("cannot write checkpoint: ") + e.what());
  }
}

LoadedCheckpoint load_checkpoint(const fs::path& path, torch::Device device) {
  InputArchive archive = open_archive(path, device);
  LoadedCheckpoint loaded;
  loaded.meta = read_meta(archive, path);
  try {
    loaded.model = make_model(loaded.meta.model_config);
  } catch (const std::invalid_argument& e) {
    throw Error(path.string(), std::string("stored model config is invalid: ") + e.what());
  }
  loaded.model->to(device);
  InputArchive weights;
  if (!archive.try_read("model", weights)) throw Error(path.string(), "checkpoint has no weights");
  try {
    load_weights(*loaded.model, weights, "", path);
  } catch (const c10::Error& e) {
    throw Error(path.string(), "cannot read weights: " + first_line(e.what_without_backtrace()));
  }
  loaded.model->eval();
  return loaded;
}

namespace {

// "model 'unet' was requested but the checkpoint holds 'unetpp'", or for the same name the keys
// whose values differ, so the user sees which option to change.
std::string architecture_mismatch(const nlohmann::json& stored, const nlohmann::json& wanted) {
  const auto name = [](const nlohmann::json& c) { return c.value("name", std::string("?")); };
  if (name(stored) != name(wanted)) {
    return "checkpoint holds model '" + name(stored) + "', not the requested '" + name(wanted) +
           "' (a different architecture)";
  }
  std::string keys;
  for (const auto& item : wanted.items()) {
    const auto it = stored.find(item.key());
    const std::string have = it == stored.end() ? "absent" : it->dump();
    if (have != item.value().dump()) {
      keys += (keys.empty() ? "" : "; ") + item.key() + ": checkpoint " + have + ", requested " +
              item.value().dump();
    }
  }
  for (const auto& item : stored.items()) {
    if (!wanted.contains(item.key())) {
      keys += (keys.empty() ? "" : "; ") + item.key() + ": checkpoint " + item.value().dump() +
              ", requested absent";
    }
  }
  return "checkpoint holds a different '" + name(stored) + "' architecture (" + keys + ")";
}

}  // namespace

CheckpointMeta load_weights_into(const fs::path& path, SegmentationModel& model) {
  InputArchive archive = open_archive(path, torch::kCPU);
  CheckpointMeta meta = read_meta(archive, path);
  const nlohmann::json wanted = model.config();
  if (meta.model_config != wanted) {
    throw Error(path.string(), architecture_mismatch(meta.model_config, wanted));
  }
  InputArchive weights;
  if (!archive.try_read("model", weights)) throw Error(path.string(), "checkpoint has no weights");
  try {
    load_weights(model, weights, "", path);
  } catch (const c10::Error& e) {
    throw Error(path.string(), "cannot read weights: " + first_line(e.what_without_backtrace()));
  }
  return meta;
}

CheckpointMeta read_checkpoint_meta(const fs::path& path) {
  InputArchive archive = open_archive(path, torch::kCPU);
  return read_meta(archive, path);
}

bool load_optimizer_state(const fs::path& path, torch::optim::Optimizer& optimizer) {
  InputArchive archive = open_archive(path, torch::kCPU);
  read_meta(archive, path);  // refuses newer formats
  InputArchive state;
  if (!archive.try_read("optimizer", state)) return false;
  try {
    optimizer.load(state);
  } catch (const c10::Error& e) {
    throw Error(path.string(),
                "optimizer state does not fit: " + first_line(e.what_without_backtrace()));
  }
  return true;
}

}  // namespace unetx::models
