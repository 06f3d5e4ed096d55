// report/report_md.hpp - the sections of report.md, one function per table or
// block of text (internal to the report). Each table function adds the
// number of cells it flags to `flagged` (only when comparing with the
// paper, see RunView::comparing()).
#pragma once

#include "report/gnuplot.hpp"
#include "report/report_view.hpp"

#include <string>

namespace chronic_stress::detail {

// report_md_text.cpp
std::string header(const RunView& run);
std::string notices(const RunView& run);
std::string how_to_read(const RunView& run);
std::string figure(const FigureResult& f, const std::string& alt, const std::string& caption);
std::string verdict(int flagged);
std::string published_values_used();
std::string calibration(const RunView& run);

// report_md_tables.cpp
std::string efficacy_table(const RunView& run, int& flagged);        // Table 1
std::string stress_table(const RunView& run, int& flagged);          // Table 2
std::string relapse_table(const RunView& run, int& flagged);         // acute relapse
std::string probe_table(const RunView& run, int& flagged);           // state dependence
std::string cycle_accuracy_table(const RunView& run, int& flagged);  // Table 3
std::string cycle_sparsity_table(const RunView& run, int& flagged);
std::string cycle_range_table(const RunView& run);
std::string relapse_summary_table(const RunView& run, int& flagged);  // Table 4
std::string relapse_seed_table(const RunView& run);

// report_md_clinical.cpp: outcomes, survival (with Figure 4), log-rank,
// intervals, paired differences and dose.
std::string clinical_section(const RunView& run, const FigureResult& survival_figure);

// report_md_inference.cpp: paired differences per cycle, Cox and logistic
// regressions on the covariates, equivalence tests (TOST with its margin).
std::string inference_section(const RunView& run);

/// "σ = 1.0 (high)".
std::string stress_label(float level);

}  // namespace chronic_stress::detail
