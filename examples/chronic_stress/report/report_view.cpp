// report/report_view.cpp - see report_view.hpp.
#include "report/report_view.hpp"


#include <rewire/protocol/metric_keys.hpp>

#include <algorithm>

namespace chronic_stress {

RunView::RunView(const ReportInputs& in)
    : spec(in.spec), summary(in.summary), seeds(in.seeds), differences_(paper_differences(in.spec)) {}

const Stat& RunView::stat(const std::string& arm, const std::string& metric) const {
  static const Stat none;
  const auto a = summary.arms.find(arm);
  if (a == summary.arms.end()) return none;
  const auto m = a->second.find(metric);
  return m == a->second.end() ? none : m->second;
}

Ref RunView::ref(const std::string& arm, const std::string& metric) const {
  return comparing() ? published_.metric(arm, metric) : Ref{};
}

Ref RunView::cycle_ref(const std::string& arm, const char* series, std::size_t cycle) const {
  return comparing() ? published_.cycle(arm, series, cycle) : Ref{};
}

std::vector<std::string> RunView::arms() const {
  std::vector<std::string> out;
  for (const auto& arm : spec.arms) out.push_back(arm.name);
  return out;
}

std::vector<std::string> RunView::follow_up_arms() const {
  std::vector<std::string> out;
  for (const auto& arm : spec.arms)
    if (arm.follow_up) out.push_back(arm.name);
  return out;
}

std::vector<std::pair<float, std::string>> RunView::stress_levels() const {
  std::vector<std::pair<float, std::string>> out;
  for (float s : spec.measure.stress_levels) out.emplace_back(s, rewire::protocol::metric::stress(s));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace chronic_stress
