// The fixed parts of report.html: its style sheet and its one script (table sorting and
// filtering). Kept apart from the page assembly so each stays readable.
#pragma once

#include <string>

namespace unetx::pipeline {

// CSS for the whole page (system fonts only: the page must render offline).
const std::string& report_css();

// JavaScript of the per-case table (#case-table): click a header to sort (numbers numerically
// from the cells' data-v, NaN last in both directions, text in natural order), type in
// #case-filter to filter rows by case id. Opening the page with #sort=<key> (ascending) or
// #sort=-<key> (descending) sorts on load, <key> being a header's data-key.
const std::string& report_script();

}  // namespace unetx::pipeline
