#include "xai/methods.h"

#include <algorithm>
#include <sstream>

#include "io/error.h"
#include "xai/grad_cam.h"
#include "xai/gradients.h"
#include "xai/occlusion.h"

namespace unetx::xai {

const std::vector<MethodInfo>& attribution_methods() {
  static const std::vector<MethodInfo> methods = {
      {"saliency", saliency, false, false, "|gradient| of the target score"},
      {"input_x_gradient", input_x_gradient, false, false, "input times gradient"},
      {"smoothgrad", smoothgrad, false, false, "mean |gradient| over noisy copies (--samples, --noise)"},
      {"guided_backprop", guided_backprop, false, false, "gradient passing only positive gradients"},
      {"gradcam", gradcam_method, true, false, "Grad-CAM at --layer (all = every stage)"},
      {"guided_gradcam", guided_gradcam, true, false, "guided backprop times Grad-CAM"},
      {"deeplift", deeplift, false, true, "DeepLIFT rescale rule against --baseline"},
      {"integrated_gradients", integrated_gradients, false, true,
       "integrated gradients from --baseline in --steps"},
      {"occlusion", occlusion, false, true, "score drop under a --window patch moved by --stride"},
      {"mhex_cam", mhex_cam, true, false, "EU-Net MHEX+ equivalent-kernel CAM (forward only)"},
  };
  return methods;
}

const MethodInfo& find_method(const std::string& name) {
  const auto& all = attribution_methods();
  const auto it = std::find_if(all.begin(), all.end(), [&](const MethodInfo& m) { return m.name == name; });
  if (it != all.end()) return *it;
  std::string list;
  for (const auto& m : all) list += (list.empty() ? "" : ", ") + m.name;
  throw Error("--method " + name, "unknown method; available: " + list);
}

std::vector<MapJob> expand_methods(const std::string& list, const models::SegmentationModel& model,
                                   const MethodOptions& options) {
  std::vector<MapJob> jobs;
  std::vector<std::string> seen;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      throw Error("--method " + name, "given twice");
    }
    seen.push_back(name);
    const MethodInfo& method = find_method(name);
    const bool per_stage = options.layer == "all" && (name == "gradcam" || name == "guided_gradcam");
    if (!per_stage) {
      jobs.push_back({name, &method, options});
      continue;
    }
    for (const std::string& tap : stage_taps(model)) {
      MapJob job{name + "_" + tap, &method, options};
      job.options.layer = tap;
      jobs.push_back(job);
    }
  }
  if (jobs.empty()) throw Error("--method " + list, "no method given");
  return jobs;
}

}  // namespace unetx::xai
