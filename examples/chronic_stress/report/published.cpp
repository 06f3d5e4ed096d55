// report/published.cpp - see published.hpp.
#include "report/published.hpp"

#include <stdexcept>

namespace chronic_stress {

using nlohmann::json;

namespace {
double number_or_nan(const json* j) { return j != nullptr && j->is_number() ? j->get<double>() : kNaN; }

const json* child(const json* j, const std::string& key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  const auto it = j->find(key);
  return it == j->end() ? nullptr : &*it;
}
}  // namespace

Ref ref_of(const json* entry) {
  if (entry == nullptr) return {};
  if (entry->is_number()) return {entry->get<double>(), kNaN};
  return {number_or_nan(child(entry, "mean")), number_or_nan(child(entry, "sd"))};
}

std::vector<int> int_list(const json* list) {
  std::vector<int> out;
  if (list != nullptr && list->is_array())
    for (const auto& x : *list)
      if (x.is_number_integer()) out.push_back(x.get<int>());
  return out;
}

Published::Published() {
  try {
    doc_ = json::parse(published_json_text());
  } catch (const json::exception& e) {
    throw std::logic_error(std::string("embedded published.json does not parse: ") + e.what());
  }
  if (const json* n = child(&doc_, "n"); n != nullptr && n->is_number_integer()) n_ = n->get<int>();
  if (const json* r = child(&doc_, "second_run")) second_run_ = *r;
}

const json* Published::find(std::initializer_list<const char*> path) const {
  const json* j = &doc_;
  for (const char* key : path) j = child(j, key);
  return j;
}

std::string Published::label(const std::string& arm) const {
  const json* l = child(child(find({"arms"}), arm), "label");
  return l != nullptr && l->is_string() ? l->get<std::string>() : arm;
}

Ref Published::metric(const std::string& arm, const std::string& metric) const {
  return ref_of(child(child(child(find({"arms"}), arm), "metrics"), metric));
}

Ref Published::cycle(const std::string& arm, const char* series, std::size_t c) const {
  const json* block = child(child(find({"longitudinal"}), arm), series);
  const json* mean = child(block, "mean");
  const json* sd = child(block, "sd");
  auto at = [c](const json* a) { return a != nullptr && a->is_array() && c < a->size() ? &(*a)[c] : nullptr; };
  return {number_or_nan(at(mean)), number_or_nan(at(sd))};
}

Ref Published::total_drop(const std::string& arm) const {
  return ref_of(child(child(find({"longitudinal"}), arm), "total_drop"));
}

Ref Published::final_accuracy(const std::string& arm) const {
  return ref_of(child(child(find({"longitudinal"}), arm), "final_accuracy"));
}

std::optional<double> Published::relapsed(const std::string& arm) const {
  const json* r = child(child(find({"longitudinal"}), arm), "relapsed");
  return r != nullptr && r->is_number() ? std::optional<double>(r->get<double>()) : std::nullopt;
}

std::vector<int> Published::relapse_cycles(const std::string& arm) const {
  return int_list(child(child(find({"longitudinal"}), arm), "relapse_cycles"));
}

std::optional<std::optional<double>> Published::mean_relapse_cycle(const std::string& arm) const {
  const json* m = child(child(find({"longitudinal"}), arm), "mean_relapse_cycle");
  if (m == nullptr) return std::nullopt;
  return m->is_number() ? std::optional<double>(m->get<double>()) : std::optional<double>();
}

std::optional<std::pair<double, double>> Published::range(const std::string& arm, std::size_t cycle) const {
  const json* list = child(child(find({"longitudinal"}), arm), "range_by_cycle");
  if (list == nullptr || !list->is_array()) return std::nullopt;
  for (const auto& e : *list)
    if (number_or_nan(child(&e, "cycle")) == double(cycle))
      return std::make_pair(number_or_nan(child(&e, "min")), number_or_nan(child(&e, "max")));
  return std::nullopt;
}

}  // namespace chronic_stress
