// A plot::Scene as an inline <svg> element for report.html (no external fonts or styles).
#pragma once

#include <string>

#include "pipeline/plot_scene.h"

namespace unetx::pipeline::plot {

// The scene as one <svg> element (width/height = the scene's, viewBox in scene pixels, so it
// scales with CSS). Every text is HTML-escaped. `css_class` goes on the <svg> element.
std::string to_svg(const Scene& scene, const std::string& css_class = "chart");

}  // namespace unetx::pipeline::plot
