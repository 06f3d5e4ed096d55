// report/markdown.hpp - number formatting and tables for report.md.
#pragma once

#include "report/comparison.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace chronic_stress::detail {

inline constexpr const char* kFlagText = "⚑ beyond noise";
inline constexpr const char* kFlagMark = " ⚑";
inline constexpr const char* kNone = "—";

/// `x` with `decimals` decimals ("n/a" if not finite); -0.0 prints as 0.0.
std::string num(double x, int decimals = 1);
/// With a sign: "+0.11" ("—" if not finite).
std::string signed_num(double x, int decimals = 1);
/// "mean ± sd" ("n/a" without a mean, the mean alone without an SD).
std::string pm(double mean, double sd, int decimals = 1);
inline std::string pm(const Stat& s, int decimals = 1) { return pm(s.mean, s.sd, decimals); }
inline std::string pm(const Ref& r, int decimals = 1) { return r.ok() ? pm(r.mean, r.sd, decimals) : kNone; }
/// "ours (published)" with a flag mark, for the wide tables.
std::string cell(const std::string& ours, const std::string& published, bool flagged);
/// Escapes '|' for a table cell.
std::string escape(const std::string& s);
std::string join(const std::vector<std::string>& v, const char* sep = ", ");
/// "0–3, 7" for seeds {0, 1, 2, 3, 7}.
std::string seed_list(const std::vector<std::uint64_t>& ids);
std::string duration(double seconds);
/// A configuration value such as a stress level: its shortest decimal form,
/// with at least one decimal ("0.0", "0.25", "2.5").
std::string decimal(float x);

/// A markdown table with per-column alignment ('l' or 'r').
struct Table {
  std::vector<std::string> header;
  std::string align;
  std::vector<std::vector<std::string>> rows;
  std::string render() const;
};

}  // namespace chronic_stress::detail
