// tests/check.cpp - chronic_stress_check: the CTest checker of chronic_stress output.
//
//   chronic_stress_check outputs DIR [--paper-trajectory]
//       every file of docs/results-schema.md exists, parses and is consistent:
//       config.toml re-parses to the summary's config and hash, every seed
//       file is valid for it, the summary's statistics and results.csv are
//       exactly what the seed files give; with --paper-trajectory, the
//       longitudinal sparsity of every seed equals the published one to 0.1.
//   chronic_stress_check config PAPER_TOML
//       the built-in default configuration is PAPER_TOML, and canonical TOML
//       reads back to itself.
//   chronic_stress_check same DIR1 DIR2
//       two runs are identical apart from timing fields (wall_seconds,
//       threads, per-seed seconds).
//   chronic_stress_check interrupt REPORT_EXE DIR FAKE_GNUPLOT
//       Ctrl-C while the report renders a figure is not swallowed: runs
//       REPORT_EXE --out DIR with FAKE_GNUPLOT as gnuplot (it creates the file
//       named by $CHRONIC_STRESS_TEST_MARK, then sleeps; on SIGINT it creates
//       MARK.int), sends SIGINT to the report process alone once the mark
//       exists, and expects: the report ends by SIGINT within seconds, the
//       signal reached gnuplot, no temporary file and no report.md remain.
//   chronic_stress_check expect [--relative TOL] FILE POINTER=VALUE...
//       the JSON FILE holds VALUE (a JSON literal) at each JSON POINTER;
//       numbers agree to 1e-9 max(1, |VALUE|), or with --relative to
//       TOL |VALUE| (values from R: a p-value of 1e-11 is checked to its
//       own digits, not to 1e-9), arrays element by element (for values a
//       test worked out independently of the program).
// Exit status 0 if every check passes, 1 otherwise (each failure printed).
#include "config/config.hpp"
#include "results/results.hpp"

#include <rewire/io/files.hpp>
#include <rewire/version.hpp>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace chronic_stress;

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  }
}

bool is_stats(const json& s, std::size_t n) {
  if (!s.is_object() || s.value("n", json()) != n) return false;
  for (const char* k : {"mean", "sd", "min", "max"})
    if (!s.value(k, json()).is_number()) return false;
  const double eps = 1e-9;
  return s["sd"].get<double>() >= 0 && s["min"].get<double>() <= s["mean"].get<double>() + eps &&
         s["mean"].get<double>() <= s["max"].get<double>() + eps;
}

// Published sparsity by cycle 0..8 (docs/protocol.md, "Reference values not
// printed in the paper"), percent.
const std::map<std::string, std::vector<double>> kPaperTrajectory{
    {"ketamine", {47.5, 52.7, 57.5, 61.7, 65.6, 69.0, 72.1, 74.9, 77.4}},
    {"ssri", {95.0, 95.5, 95.9, 96.4, 96.7, 97.0, 97.3, 97.6, 97.8}},
    {"neurosteroid", {95.0, 95.5, 95.9, 96.4, 96.7, 97.0, 97.3, 97.6, 97.8}}};

// Every arm has exactly its metrics and, with follow-up, one value per cycle
// and the relapse cycles the raw accuracies give.
void check_arms(const rewire::protocol::StudySpec& spec, const json& summary, const std::vector<SeedRecord>& seeds) {
  const std::size_t n = seeds.size(), points = std::size_t(spec.longitudinal.cycles) + 1;
  for (const auto& arm : spec.arms) {
    const json& a = summary.at("arms").at(arm.name);
    const std::vector<std::string> want = rewire::protocol::arm_metric_names(spec, arm);
    for (const auto& m : want) check(is_stats(a.value(m, json()), n), "arms." + arm.name + "." + m + " statistics");
    check(a.size() == want.size(), "arms." + arm.name + " has exactly the expected metrics");
    if (!arm.follow_up) {
      check(!summary.at("longitudinal").contains(arm.name), "no longitudinal for " + arm.name);
      continue;
    }
    const json& L = summary.at("longitudinal").at(arm.name);
    for (const char* series : {"accuracy", "sparsity"})
      for (const char* k : {"mean", "sd", "min", "max", "n"})
        check(L.at(series).at(k).is_array() && L.at(series).at(k).size() == points,
              "longitudinal." + arm.name + "." + series + "." + k + " has one value per cycle");
    check(is_stats(L.at("total_drop"), n), "longitudinal." + arm.name + ".total_drop statistics");
    check(L.at("relapse_cycles").is_array() && L.at("relapse_cycles").size() == n, arm.name + " relapse_cycles per seed");
    std::size_t relapsed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& acc = seeds[i].arms.at(arm.name).longitudinal->accuracy;
      json first = nullptr;  // the first cycle below the threshold, from the raw values
      for (std::size_t c = 0; c < points && first.is_null(); ++c)
        if (acc[c].value() < spec.longitudinal.threshold) first = c;
      check(L.at("relapse_cycles").at(i) == first, arm.name + " relapse cycle of seed index " + std::to_string(i));
      relapsed += !first.is_null();
    }
    check(L.at("relapsed") == relapsed, arm.name + " relapsed count");
  }
}

void check_outputs(const fs::path& dir, bool paper_trajectory) {
  for (const char* f : {"summary.json", "results.csv", "config.toml", "report.md"})
    check(fs::is_regular_file(dir / f), std::string(f) + " exists");
  // A finished run without --keep-checkpoints leaves no checkpoint behind,
  // not even the empty directory that held them.
  check(!fs::exists(dir / "checkpoints"), "no checkpoints/ after a finished run");
  const json summary = read_json_file(dir / "summary.json");
  check(summary.value("schema", json()) == kSummarySchema, "summary schema");
  check(summary.value("library_version", json()) == rewire::version, "summary library_version");
  check(summary.value("epoch_scale", json()).is_number(), "summary epoch_scale");
  check(summary.value("threads", json()).is_number_integer() && summary.at("threads").get<int>() >= 1, "summary threads");
  check(summary.value("wall_seconds", json()).is_number() && summary.at("wall_seconds").get<double>() >= 0,
        "summary wall_seconds");
  for (const char* k : {"arms", "longitudinal", "diverged", "config"})
    check(summary.value(k, json()).is_object(), std::string("summary has object ") + k);
  check(summary.value("seeds", json()).is_array() && !summary.at("seeds").empty(), "summary seeds");

  // config.toml reads back to the very config and hash of the summary.
  const std::string toml = rewire::io::read_file(dir / "config.toml");
  const auto spec = parse_config(toml, (dir / "config.toml").string());
  const std::string hash = config_hash(spec);
  check(summary.value("config_hash", json()) == hash, "config.toml hashes to summary.config_hash " + hash);
  check(json::parse(config_to_json(spec).dump()) == summary.at("config"), "summary.config equals config.toml");

  std::vector<SeedRecord> seeds;
  for (const auto& s : summary.at("seeds")) {
    const auto seed = s.get<std::uint64_t>();
    std::string why;
    const auto record = read_seed_file(seed_path(dir, seed), seed, hash, rewire::version, spec, why);
    check(record.has_value(), "seed file " + std::to_string(seed) + " is valid: " + why);
    if (record) seeds.push_back(*record);
    // A cohort's seed holds its own draws (none without a cohort).
    if (record) check(record->cohort == cohort_patient(spec, seed).values, "seed " + std::to_string(seed) + "'s cohort values");
  }
  check(summary_mismatch(summary_from_json(summary), spec).empty(), "the summary fits its configuration");
  if (failures) return;  // the rest would only repeat the problem

  check_arms(spec, summary, seeds);
  // The statistics are exactly what the seed files give (timing aside).
  RunInfo info{hash, summary.at("config"), summary.at("epoch_scale").get<double>(), summary.at("threads").get<unsigned>(),
               summary.at("wall_seconds").get<double>()};
  check(to_json(summarize(spec, seeds, info)) == summary, "summary.json equals the summary of its seed files");
  const std::string csv = rewire::io::read_file(dir / "results.csv");
  check(csv.rfind("seed,arm,metric,cycle,value,baseline.", 0) == 0, "results.csv header");
  check(csv == results_csv(spec, seeds), "results.csv equals the rows of the seed files");

  const std::size_t n = seeds.size(), points = std::size_t(spec.longitudinal.cycles) + 1;
  if (paper_trajectory)
    for (const auto& [arm, published] : kPaperTrajectory) {
      check(published.size() == points, arm + ": the paper has 8 cycles");
      for (std::size_t i = 0; i < n && published.size() == points; ++i)
        for (std::size_t c = 0; c < points; ++c) {
          const double ours = seeds[i].arms.at(arm).longitudinal->sparsity.at(c).value();
          char what[160];
          std::snprintf(what, sizeof what, "%s seed index %zu cycle %zu sparsity %.3f vs published %.1f",
                        arm.c_str(), i, c, ours, published[c]);
          check(std::abs(ours - published[c]) <= 0.1, what);
        }
    }
}

void check_config(const fs::path& paper_toml) {
  const auto file = parse_config(rewire::io::read_file(paper_toml), paper_toml.string());
  const auto builtin = parse_config(paper_config(), kPaperConfigName);
  check(canonical_toml(file) == canonical_toml(builtin), "the built-in config equals " + paper_toml.string());
  for (double scale : {1.0, 0.05}) {
    auto spec = file;
    rewire::protocol::scale_epochs(spec, scale);
    const std::string text = canonical_toml(spec);
    check(canonical_toml(parse_config(text, "canonical")) == text, "canonical TOML reads back to itself");
  }
  check(config_hash(file) == fnv1a64_hex(canonical_toml(file)) && config_hash(file).size() == 16, "hash format");
  check(fnv1a64_hex("") == "cbf29ce484222325" && fnv1a64_hex("a") == "af63dc4c8601ec8c", "FNV-1a 64 test vectors");
}

void check_same(const fs::path& a, const fs::path& b) {
  json sa = read_json_file(a / "summary.json"), sb = read_json_file(b / "summary.json");
  for (json* s : {&sa, &sb}) {
    s->erase("wall_seconds");
    s->erase("threads");
  }
  const json diff = json::diff(sa, sb);
  check(diff.empty(), "summary.json identical apart from timing; differences: " + diff.dump().substr(0, 600));
  for (const auto& s : sa["seeds"]) {
    json da = read_json_file(seed_path(a, s.get<std::uint64_t>())), db = read_json_file(seed_path(b, s.get<std::uint64_t>()));
    for (json* d : {&da, &db}) {
      d->erase("seconds");
      d->erase("checksum");  // covers the seconds
    }
    check(da == db, "seed " + s.dump() + " identical apart from seconds: " + json::diff(da, db).dump().substr(0, 600));
  }
  check(rewire::io::read_file(a / "results.csv") == rewire::io::read_file(b / "results.csv"), "results.csv identical");
}

// Numbers within 1e-9 max(1, |want|) (the expected values are decimal
// approximations of exact fractions and square roots), or `relative` |want|
// when it is > 0; anything else exactly.
bool near(const json& got, const json& want, double relative) {
  if (want.is_number()) {
    if (!got.is_number()) return false;
    const double w = want.get<double>(), error = std::abs(got.get<double>() - w);
    return relative > 0 ? error <= relative * std::abs(w) : error <= 1e-9 * std::max(1.0, std::abs(w));
  }
  if (want.is_array()) {
    if (!got.is_array() || got.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i)
      if (!near(got[i], want[i], relative)) return false;
    return true;
  }
  return got == want;
}

void check_expect(const fs::path& file, const std::vector<std::string>& expectations, double relative) {
  const json doc = read_json_file(file);
  for (const auto& e : expectations) {
    const auto eq = e.find('=');
    if (eq == std::string::npos) throw std::runtime_error("expectation '" + e + "' is not POINTER=VALUE");
    const json::json_pointer pointer(e.substr(0, eq));
    const json want = json::parse(e.substr(eq + 1));
    const json got = doc.contains(pointer) ? doc.at(pointer) : json("<missing>");
    check(near(got, want, relative), file.filename().string() + e.substr(0, eq) + " = " + got.dump() + ", expected " + want.dump());
  }
}

bool wait_until(const std::function<bool()>& done, double seconds) {
  for (int i = 0; i < int(seconds * 20); ++i) {
    if (done()) return true;
    usleep(50000);
  }
  return done();
}

void check_interrupt(const std::string& report, const fs::path& dir, const std::string& fake_gnuplot) {
  const fs::path mark = dir / "gnuplot-started";
  fs::remove(mark);
  fs::remove(dir / "report.md");
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("CHRONIC_STRESS_GNUPLOT", fake_gnuplot.c_str(), 1);
    setenv("CHRONIC_STRESS_TEST_MARK", mark.c_str(), 1);
    execl(report.c_str(), report.c_str(), "--out", dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  check(pid > 0, "fork");
  if (pid <= 0) return;
  const bool started = wait_until([&] { return fs::exists(mark); }, 30);
  check(started, "the fake gnuplot started");
  if (started) kill(pid, SIGINT);  // the report process alone, not its group
  int status = 0;
  const bool ended = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 10);
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  check(ended, "chronic_stress_report ended within 10 s of SIGINT (it must not swallow it)");
  check(ended && WIFSIGNALED(status) && WTERMSIG(status) == SIGINT,
        "chronic_stress_report ended by SIGINT (status " + std::to_string(status) + ")");
  check(wait_until([&] { return fs::exists(mark.string() + ".int"); }, 5), "SIGINT was forwarded to gnuplot");
  check(!fs::exists(dir / "report.md"), "no report.md after an interrupt");
  for (const auto& e : fs::directory_iterator(dir / "figures"))
    check(e.path().extension() != ".tmp" && e.path().filename().string()[0] != '.',
          "no temporary file left: " + e.path().string());
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() >= 2 && args[0] == "outputs" && args.size() <= 3) {
      check_outputs(args[1], args.size() == 3 && args[2] == "--paper-trajectory");
    } else if (args.size() == 2 && args[0] == "config") {
      check_config(args[1]);
    } else if (args.size() == 3 && args[0] == "same") {
      check_same(args[1], args[2]);
    } else if (args.size() == 4 && args[0] == "interrupt") {
      check_interrupt(args[1], args[2], args[3]);
    } else if (args.size() >= 5 && args[0] == "expect" && args[1] == "--relative") {
      check_expect(args[3], std::vector<std::string>(args.begin() + 4, args.end()), std::stod(args[2]));
    } else if (args.size() >= 3 && args[0] == "expect") {
      check_expect(args[1], std::vector<std::string>(args.begin() + 2, args.end()), 0.0);
    } else {
      std::fprintf(stderr, "usage: chronic_stress_check outputs DIR [--paper-trajectory] | config PAPER_TOML | same DIR1 DIR2 | "
                           "interrupt REPORT_EXE DIR FAKE_GNUPLOT | expect [--relative TOL] FILE POINTER=VALUE...\n");
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL: %s\n", e.what());
    return 1;
  }
  if (failures) std::fprintf(stderr, "%d check(s) failed\n", failures);
  else std::printf("all checks passed\n");
  return failures ? 1 : 0;
}
