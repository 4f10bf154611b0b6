// Two prediction sets evaluated on the same cases, compared metric by metric with paired tests
// (paired t-test and Wilcoxon signed-rank): `unetx evaluate --compare`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/comparison_row.h"
#include "pipeline/evaluate_run.h"

namespace unetx::pipeline {

// Rows matched on (case, label); a case or label missing from either set is left out.
std::vector<ComparisonRow> compare_evaluations(const EvaluationTables& a,
                                               const EvaluationTables& b);

// Fixed-width table, one line per metric and label: mean ± std of each set and both p-values.
std::string comparison_table(const std::vector<ComparisonRow>& rows, const std::string& name_a,
                             const std::string& name_b);

// Evaluates `settings.predictions` (into settings.output) and `other_predictions` (into
// settings.output/compare) against the same references, then writes
// settings.output/comparison.csv. On rank 0 `table` holds comparison_table's text.
struct ComparisonRun {
  RunSummary a, b;
  std::string table;
};
ComparisonRun run_evaluate_comparison(const EvaluateSettings& settings,
                                      const std::filesystem::path& other_predictions,
                                      dist::Communicator& comm);

// The same rows as CSV, written atomically.
void write_comparison_csv(const std::vector<ComparisonRow>& rows,
                          const std::filesystem::path& file);

}  // namespace unetx::pipeline
