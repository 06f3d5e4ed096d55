// oracle_check.cpp - compares rewire/stats with a fresh output of
// tests/r/oracle.R (CTest test stats_r_oracle, through run_oracle.sh).
//
//   stats_oracle_check FRESH [COMMITTED]
//
// Prints one line per case (values compared, largest relative difference)
// and every disagreement. With COMMITTED (tests/r/reference.txt), also
// checks that the committed file is what oracle.R writes today: the same
// cases, the same data and the same statuses, so a changed script with a
// stale reference file fails here. Exit 0 if everything agrees, 1 if not.
#include "oracle_cases.hpp"

#include <cmath>
#include <cstdio>
#include <exception>

namespace {

// Two lists of numbers are the same when they have the same values, NaN
// (R's NA) matching NaN.
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

bool same_data(const oracle::Case& a, const oracle::Case& b) {
  if (a.data.size() != b.data.size()) return false;
  for (std::size_t i = 0; i < a.data.size(); ++i)
    if (a.data[i].first != b.data[i].first || !same_values(a.data[i].second, b.data[i].second)) return false;
  return true;
}

// The committed reference must hold the same cases and inputs as the fresh
// output (R's results are compared with rewire, case by case, instead).
int compare_files(const std::vector<oracle::Case>& fresh, const std::vector<oracle::Case>& committed) {
  if (fresh.size() != committed.size()) {
    std::printf("FAIL: oracle.R writes %zu cases, the committed reference holds %zu\n", fresh.size(),
                committed.size());
    return 1;
  }
  int failures = 0;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const auto& a = fresh[i];
    const auto& b = committed[i];
    if (a.kind != b.kind || a.name != b.name || !same_data(a, b) || a.status != b.status) {
      std::printf("FAIL: case %s %s differs from the committed reference (rerun oracle.R)\n", a.kind.c_str(),
                  a.name.c_str());
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s FRESH [COMMITTED]\n", argv[0]);
    return 2;
  }
  try {
    const auto cases = oracle::read_cases_file(argv[1]);
    int failures = 0, values = 0;
    for (const auto& c : cases) {
      const oracle::Comparison cmp = oracle::check(c);
      values += cmp.values;
      std::printf("%-4s %-9s %-30s %3d values, largest relative difference %.2e\n",
                  cmp.mismatches.empty() ? "ok" : "FAIL", c.kind.c_str(), c.name.c_str(), cmp.values, cmp.worst);
      for (const auto& m : cmp.mismatches) std::printf("     %s\n", m.c_str());
      failures += !cmp.mismatches.empty();
    }
    std::printf("%zu cases, %d values compared, %d cases disagree\n", cases.size(), values, failures);
    if (cases.empty() || values == 0) return 1;
    if (argc == 3 && compare_files(cases, oracle::read_cases_file(argv[2])) != 0) return 1;
    return failures == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
}
