// study.cpp - the study level: rewire._run_study runs the chronic_stress
// program's own flow (prepare_study, run_study) and hands back its results
// as JSON and CSV text; rewire/__init__.py turns them into a StudyResult.
//
// Progress and messages reach Python through the console's sink. Ctrl-C is
// the runner's: during the run its SIGINT handler asks the workers to stop at
// their next epoch, every finished seed stays saved, and the result says
// `interrupted` (the Python side raises KeyboardInterrupt).
#include "bindings.hpp"

#include <config.hpp>
#include <results.hpp>
#include <study_run.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

namespace rewire_python {

namespace {

using namespace chronic_stress;

toml::table to_table(const py::dict& d, const std::string& key);
toml::array to_array(const py::handle& list, const std::string& key);

/// Converts one Python value of a config dict and hands the TOML value to
/// `add`; `key` is its dotted path for messages, as the config's errors spell it.
template <typename Add>
void convert(const py::handle& v, const std::string& key, Add&& add) {
  if (py::isinstance<py::bool_>(v)) return add(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) return add(v.cast<std::int64_t>());
  if (py::isinstance<py::float_>(v)) return add(v.cast<double>());
  if (py::isinstance<py::str>(v)) return add(v.cast<std::string>());
  if (py::isinstance<py::dict>(v)) return add(to_table(v.cast<py::dict>(), key));
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) return add(to_array(v, key));
  throw ConfigError("<dict>: " + key + " has the Python type " + std::string(py::str(v.get_type().attr("__name__"))) +
                    ", which a TOML configuration cannot hold");
}

toml::array to_array(const py::handle& list, const std::string& key) {
  toml::array array;
  std::size_t i = 0;
  for (const auto& item : list)
    convert(item, key + "[" + std::to_string(i++) + "]", [&array](auto&& x) { array.push_back(std::move(x)); });
  return array;
}

toml::table to_table(const py::dict& d, const std::string& key) {
  toml::table table;
  for (const auto& item : d) {
    if (!py::isinstance<py::str>(item.first))
      throw ConfigError("<dict>: every key must be a string (in '" + key + "')");
    const auto name = item.first.cast<std::string>();
    convert(item.second, key.empty() ? name : key + "." + name,
            [&table, &name](auto&& x) { table.insert_or_assign(name, std::move(x)); });
  }
  return table;
}

/// A config dict as TOML text, for the program's own parser (so errors name
/// keys exactly as for a file).
std::string dict_to_toml(const py::dict& config) {
  std::ostringstream text;
  text << to_table(config, "");
  return text.str();
}

/// The console sink: forwards (kind, text) to the Python callable `progress`.
Console::Sink python_sink(const py::object& progress) {
  return [progress](Console::Kind kind, const std::string& text) {
    py::gil_scoped_acquire gil;
    const char* name = kind == Console::Kind::info ? "info" : kind == Console::Kind::warning ? "warning" : "status";
    try {
      progress(name, text);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("rewire.run_study progress callback");  // a broken display must not stop the study
    }
  };
}

py::dict run(const std::string& text, const std::string& source, std::uint64_t seeds, std::uint64_t first_seed,
             unsigned threads, double epoch_scale, const std::string& out, bool report, const py::object& progress) {
  rewire::detail::require(seeds >= 1, "seeds must be >= 1");
  rewire::detail::require(threads >= 1, "threads must be >= 1");
  rewire::detail::require_in_range(epoch_scale, 0.0, 1000.0, "epoch_scale");
  rewire::detail::require(epoch_scale > 0.0, "epoch_scale must be > 0");
  const PreparedStudy study = prepare_study(text, source, epoch_scale);
  StudyRequest request{out, {}, threads, report};
  for (std::uint64_t s = 0; s < seeds; ++s) request.seeds.push_back(first_seed + s);

  Console console(!progress.is_none(), !progress.is_none());
  if (!progress.is_none()) console.set_sink(python_sink(progress));
  StudyResult result;
  {
    py::gil_scoped_release nogil;
    result = run_study(study, request, console);
  }
  py::dict r;
  r["config_hash"] = study.hash;
  r["config_toml"] = config_file_text(study);
  r["interrupted"] = result.outcome.interrupted;
  r["computed"] = result.outcome.computed;
  r["reused"] = result.outcome.reused;
  r["summary_json"] = result.summary ? py::object(py::str(to_json(*result.summary).dump())) : py::object(py::none());
  if (result.summary) {
    py::list records;
    for (const auto& s : result.outcome.seeds) records.append(py::str(to_json(s).dump()));
    r["seeds_json"] = records;
    r["results_csv"] = results_csv(study.spec, result.outcome.seeds);
  }
  return r;
}

}  // namespace

void bind_study(py::module_& m) {
  m.def("_run_study", &run, py::arg("text"), py::arg("source"), py::arg("seeds"), py::arg("first_seed"),
        py::arg("threads"), py::arg("epoch_scale"), py::arg("out"), py::arg("report"), py::arg("progress"),
        "The chronic_stress study on TOML text (use rewire.run_study).");
  m.def("_dict_to_toml", &dict_to_toml, py::arg("config"), "A config dict as TOML text (as run_study reads it).");
  m.def("_paper_config", [] { return std::string(paper_config()); }, "The built-in paper.toml.");
  m.attr("_PAPER_CONFIG_NAME") = kPaperConfigName;
  m.def("_hardware_threads", [] { return std::max(1u, std::thread::hardware_concurrency()); });
}

}  // namespace rewire_python
