// unetx models: list the networks of the zoo with their size, cost and taps (text or JSON).
#include <cstdio>
#include <iostream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "models/model_catalog.h"

namespace unetx::cli {
namespace {

std::vector<int64_t> parse_sizes(const std::string& option, const std::string& text) {
  std::vector<int64_t> out;
  for (double v : parse_numbers(option, text)) {
    if (v < 1 || v != static_cast<double>(static_cast<int64_t>(v)))
      throw po::error("--" + option + " " + text + ": sizes must be positive integers");
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

void print_text(const std::vector<models::ModelSummary>& rows, const std::string& input) {
  std::printf("Models for input %s (GFLOPs: one forward pass, convolutions and attention "
              "products)\n\n",
              input.c_str());
  std::printf("%-18s %12s %12s %10s %8s  %s\n", "model", "parameters", "vs U-Net", "GFLOPs",
              "divisor", "description");
  for (const auto& r : rows) {
    std::printf("%-18s %12lld %+12lld %10.2f %8lld  %s\n", r.name.c_str(),
                static_cast<long long>(r.parameters),
                static_cast<long long>(r.parameters - r.unet_parameters), r.gflops,
                static_cast<long long>(r.size_divisor), r.description.c_str());
    std::string taps;
    for (const auto& t : r.taps) taps += (taps.empty() ? "" : " ") + t;
    std::printf("%-18s taps: %s\n", "", taps.c_str());
  }
}

}  // namespace

int cmd_models(int argc, char** argv) {
  bool json = false;
  std::string input_size, features, se;
  int64_t in_channels = 1, classes = 2;
  CommandLine cmd{"models", "unetx models [--json] [--input-size 96,96,96] [options]"};
  // clang-format off
  cmd.options.add_options()
      ("json", po::bool_switch(&json), "print JSON instead of a table")
      ("input-size", po::value(&input_size)->default_value("96,96,96"),
       "spatial size of one input patch: Z,Y,X (3-D models) or Y,X (2-D models)")
      ("in-channels", po::value(&in_channels)->default_value(1), "input channels")
      ("classes", po::value(&classes)->default_value(2), "output classes")
      ("features", po::value(&features),
       "channels per level, last = bottleneck, for every model but the preset "
       "(default 32,64,128,256)")
      ("se", po::value(&se), "recalibration on encoder stages: none | cse | sse | scse | srm | "
       "fca | monofractal");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator&) {
    const auto spatial = parse_sizes("input-size", input_size);
    if (spatial.size() != 2 && spatial.size() != 3)
      throw po::error("--input-size " + input_size + ": expected 2 or 3 sizes");
    if (in_channels < 1 || classes < 1)
      throw po::error("--in-channels and --classes must be >= 1");
    std::vector<int64_t> shape = {1, in_channels};
    shape.insert(shape.end(), spatial.begin(), spatial.end());
    nlohmann::json backbone = nlohmann::json::object();
    if (!features.empty()) backbone["features"] = parse_sizes("features", features);
    if (!se.empty()) backbone["se"] = se;
    std::vector<models::ModelSummary> rows;
    try {
      rows = models::summarize_models(shape, classes, backbone);
    } catch (const std::invalid_argument& e) {
      throw po::error(e.what());
    }
    if (json) {
      nlohmann::json out = {{"input_shape", shape}, {"models", nlohmann::json::array()}};
      for (const auto& r : rows) out["models"].push_back(models::to_json(r));
      std::cout << out.dump(2) << "\n";
    } else {
      print_text(rows, input_size);
    }
    return 0;
  });
}

}  // namespace unetx::cli
