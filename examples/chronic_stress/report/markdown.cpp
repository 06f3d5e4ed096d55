// report/markdown.cpp - see markdown.hpp.
#include "report/markdown.hpp"

#include <fmt/format.h>

#include <cmath>

namespace chronic_stress::detail {

namespace {
double clean_zero(double x, int decimals) { return std::fabs(x) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : x; }
}  // namespace

std::string num(double x, int decimals) {
  if (!std::isfinite(x)) return "n/a";
  return fmt::format("{:.{}f}", clean_zero(x, decimals), decimals);
}

std::string signed_num(double x, int decimals) {
  if (!std::isfinite(x)) return kNone;
  return fmt::format("{:+.{}f}", clean_zero(x, decimals), decimals);
}

std::string pm(double mean, double sd, int decimals) {
  if (!std::isfinite(mean)) return "n/a";
  if (!std::isfinite(sd)) return num(mean, decimals);
  return num(mean, decimals) + " ± " + num(sd, decimals);
}

std::string cell(const std::string& ours, const std::string& published, bool flagged) {
  std::string s = ours;
  if (!published.empty()) s += " (" + published + ")";
  if (flagged) s += kFlagMark;
  return s;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string seed_list(const std::vector<std::uint64_t>& ids) {
  if (ids.empty()) return "none";
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i < ids.size()) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (j >= i + 2)
      parts.push_back(fmt::format("{}–{}", ids[i], ids[j]));
    else if (j == i + 1)
      parts.push_back(fmt::format("{}, {}", ids[i], ids[j]));
    else
      parts.push_back(fmt::format("{}", ids[i]));
    i = j + 1;
  }
  return join(parts);
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds)) return "n/a";
  if (seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  const long total = std::lround(seconds);
  if (total < 3600) return fmt::format("{:.1f} s ({} min {:02d} s)", seconds, total / 60, int(total % 60));
  return fmt::format("{:.1f} s ({} h {:02d} min)", seconds, total / 3600, int((total % 3600) / 60));
}

std::string decimal(float x) {
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string Table::render() const {
  std::string out = "|";
  for (const auto& h : header) out += " " + h + " |";
  out += "\n|";
  for (std::size_t c = 0; c < header.size(); ++c) out += (c < align.size() && align[c] == 'r') ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (std::size_t c = 0; c < header.size(); ++c) out += " " + (c < row.size() ? row[c] : std::string()) + " |";
    out += "\n";
  }
  return out;
}

}  // namespace chronic_stress::detail
