// study.cpp - the study level: rewire._run_study runs the chronic_stress
// program's own flow (make_plan, run) and hands back its results as JSON and
// CSV text; rewire/__init__.py turns them into a StudyResult.
//
// Progress and messages reach Python through the console's sink. Ctrl-C is
// the runner's: during the run its SIGINT handler asks the workers to stop at
// their next epoch, every finished seed stays saved, and the result says
// `interrupted` (the Python side raises KeyboardInterrupt).
#include "bindings.hpp"

#include "config/toml_reader.hpp"
#include "report/report.hpp"
#include "run/run.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace rewire_python {

// A named namespace, not an unnamed one: a using-directive in an unnamed
// namespace reaches the enclosing one, and so every source merged after this
// one in a unity build (chronic_stress::detail against rewire::detail).
namespace study_program {

using namespace chronic_stress;

toml::table to_table(const py::dict& d, const std::string& key);
toml::array to_array(const py::handle& list, const std::string& key);

/// Converts one Python value of a config dict and hands the TOML value to
/// `add`; `key` is its dotted path for messages, as the config's errors spell it.
template <typename Add>
void convert(const py::handle& v, const std::string& key, Add&& add) {
  if (py::isinstance<py::bool_>(v)) return add(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) {  // TOML integers are 64-bit
    const py::int_ i = v.cast<py::int_>();
    if (i < py::int_(std::numeric_limits<std::int64_t>::min()) || i > py::int_(std::numeric_limits<std::int64_t>::max()))
      throw ConfigError("<dict>: " + key + " = " + std::string(py::str(v)) +
                        " does not fit a TOML integer (64-bit signed)");
    return add(i.cast<std::int64_t>());
  }
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
  return chronic_stress::detail::toml_document(to_table(config, ""));  // the program's own writer, as for sweep points
}

/// The console sink: forwards (kind, text) to the Python callable `progress`.
Console::Sink python_sink(const py::object& progress) {
  return [progress](Console::Kind kind, const std::string& text) {
    py::gil_scoped_acquire gil;
    const char* name = kind == Console::Kind::info      ? "info"
                       : kind == Console::Kind::warning ? "warning"
                       : kind == Console::Kind::status  ? "status"
                                                        : "progress";
    try {
      progress(name, text);
    } catch (py::error_already_set& e) {
      e.discard_as_unraisable("rewire.run_study progress callback");  // a broken display must not stop the study
    }
  };
}

/// A count argument of run_study, checked against the program's range and
/// named as Python spells it (TypeError for a non-integer, ValueError out of
/// range: Python's integers are unbounded, so the check comes before any
/// conversion to a C++ type).
std::uint64_t count_argument(const py::handle& v, const char* name, std::uint64_t lo, std::uint64_t hi) {
  if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v))
    throw py::type_error(std::string(name) + " must be an integer, not " +
                         std::string(py::str(v.get_type().attr("__name__"))));
  if (v < py::int_(lo) || v > py::int_(hi))
    throw py::value_error(std::string(name) + " = " + std::string(py::str(v)) + " is outside the allowed range [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v.cast<std::uint64_t>();
}

py::dict run(const std::string& text, const std::string& source, const py::object& seeds,
             const py::object& first_seed, const py::object& threads, double epoch_scale, const std::string& out,
             bool report, const py::object& progress) {
  RunSettings settings;
  settings.config = {source, text};
  settings.seeds = count_argument(seeds, "seeds", 1, kMaxSeeds);
  settings.first_seed = count_argument(first_seed, "first_seed", 0, kMaxFirstSeed);
  settings.threads = unsigned(count_argument(threads, "threads", 1, kMaxThreads));
  settings.epoch_scale = epoch_scale;
  settings.out = out;
  settings.report = report;
  const RunPlan plan = make_plan(settings);  // std::invalid_argument, ConfigError: ValueError
  Console console(progress.is_none() ? ProgressMode::none : ProgressMode::bar, !progress.is_none());
  if (!progress.is_none()) console.set_sink(python_sink(progress));
  RunResult result;
  {
    py::gil_scoped_release nogil;
    result = chronic_stress::run(plan, console);
  }
  int computed = 0, reused = 0;
  for (const auto& outcome : result.studies) {
    computed += outcome.computed;
    reused += outcome.reused;
  }
  py::dict r;
  r["interrupted"] = result.interrupted;
  r["signal"] = result.stop_signal;
  r["computed"] = computed;
  r["reused"] = reused;
  r["sweep"] = plan.sweep();
  return r;
}

/// A finished run's files, checked (load_report_inputs: the summary's
/// configuration hashes to its config_hash, every seed file belongs to it),
/// as text: summary.json, the seed records, results.csv (made from the
/// records by the program's own function) and config.toml (the same text
/// the run wrote, made from the checked configuration).
py::dict read_results(const std::string& dir) {
  ReportInputs in;
  {
    py::gil_scoped_release nogil;
    in = load_report_inputs(dir);
  }
  py::dict r;
  r["summary_json"] = to_json(in.summary).dump();
  py::list records;
  for (const auto& s : in.seeds) records.append(py::str(to_json(s).dump()));
  r["seeds_json"] = records;
  r["results_csv"] = results_csv(in.spec, in.seeds);
  PreparedStudy prepared{in.spec, canonical_toml(in.spec), in.summary.config_hash, in.summary.epoch_scale};
  r["config_toml"] = config_file_text(prepared);
  return r;
}

}  // namespace study_program

void bind_study(py::module_& m) {
  using namespace study_program;
  m.def("_run_study", &study_program::run, py::arg("text"), py::arg("source"), py::arg("seeds"), py::arg("first_seed"),
        py::arg("threads"), py::arg("epoch_scale"), py::arg("out"), py::arg("report"), py::arg("progress"),
        "The chronic_stress study on TOML text (use rewire.run_study).");
  m.def("_read_results", &read_results, py::arg("dir"), "A finished run's checked files (use rewire.load_results).");
  m.def("_dict_to_toml", &dict_to_toml, py::arg("config"), "A config dict as TOML text (as run_study reads it).");
  m.def("_paper_config", [] { return std::string(paper_config()); }, "The built-in paper.toml.");
  m.attr("_PAPER_CONFIG_NAME") = kPaperConfigName;
  m.def("_hardware_threads", [] { return std::max(1u, std::thread::hardware_concurrency()); });
}

}  // namespace rewire_python
