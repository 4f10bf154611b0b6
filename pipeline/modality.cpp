#include "pipeline/modality.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "io/json_file.h"

namespace unetx::pipeline {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Fills the unknown ("") entries of `out` from `more`.
void fill_unknown(std::vector<std::string>& out, const std::vector<std::string>& more) {
  for (size_t k = 0; k < out.size() && k < more.size(); ++k)
    if (out[k].empty()) out[k] = more[k];
}

}  // namespace

std::string modality_family(const std::string& modality) {
  const std::string m = upper(trim(modality));
  if (m.empty() || m == "UNKNOWN" || m == "OT") return "";
  if (m == "CT") return "CT";
  static const std::set<std::string> mr = {"MR",  "MRI", "T1",   "T1W", "T1GD", "T1CE", "T2",
                                           "T2W", "T2*", "FLAIR", "ADC", "DWI",  "PD",   "PDW",
                                           "SWI", "DTI", "CINE"};
  return mr.count(m) ? "MR" : m;
}

std::vector<std::string> manifest_modalities(const io::Case& c, int channels) {
  std::vector<std::string> out(static_cast<size_t>(channels));
  for (int k = 0; k < channels; ++k) {
    auto it = c.extra.find("modality_" + std::to_string(k));
    if (it != c.extra.end()) out[k] = trim(it->second);
  }
  auto it = c.extra.find("modality");
  if (it == c.extra.end()) return out;
  std::vector<std::string> parts;
  std::stringstream ss(it->second);
  for (std::string p; std::getline(ss, p, ';');) parts.push_back(trim(p));
  if (parts.size() == 1) parts.assign(out.size(), parts[0]);
  fill_unknown(out, parts);
  return out;
}

std::vector<std::string> dataset_json_modalities(const std::filesystem::path& source,
                                                 int channels) {
  std::vector<std::string> out(static_cast<size_t>(channels));
  std::string ext = source.extension().string();
  if (upper(ext) != ".JSON") return out;
  const nlohmann::json doc = io::read_json(source);
  for (const char* key : {"modality", "channel_names"}) {
    if (!doc.contains(key) || !doc[key].is_object()) continue;
    for (int k = 0; k < channels; ++k) {
      auto v = doc[key].find(std::to_string(k));
      if (v != doc[key].end() && v->is_string() && out[k].empty()) out[k] = v->get<std::string>();
    }
  }
  return out;
}

std::vector<std::string> case_modalities(const io::Case& c, const io::Volume& image,
                                         const std::vector<std::string>& dataset) {
  const int channels = static_cast<int>(image.channels());
  std::vector<std::string> out = manifest_modalities(c, channels);
  fill_unknown(out, dataset);
  auto dicom = image.meta.find("modality");
  if (dicom != image.meta.end())
    fill_unknown(out, std::vector<std::string>(out.size(), dicom->second));
  return out;
}

}  // namespace unetx::pipeline
