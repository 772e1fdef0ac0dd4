// The scenario runner: replays a scenario on simnet, checks expectations and the always-on
// invariants while it runs, and writes the report (JSON and HTML).
//
// The cluster forms during the first simulated seconds; timeline actions run at their times
// (control requests go through the leader and are retried across failovers); faults are applied
// to the simulation; every simulated second the runner samples the leader's store and every
// manager's Raft state for the report's series and checks the invariants. With `explore` it also
// injects random faults drawn from the scenario's explore block. The same scenario and seed give
// the same trace hash on any machine.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/invariants.h"
#include "scenarios/scenario.h"

namespace herd::scenarios {

struct RunOptions {
  std::optional<std::uint64_t> seed;  // overrides the scenario's
  std::string out_dir = "reports/out";
  bool write_reports = true;
  std::string trace_file;  // JSON-lines trace of messages and faults
  bool quiet = false;      // no progress line on stderr
  bool stop_on_violation = false;
  bool explore = false;       // inject the explore block's random faults
  std::string scenario_file;  // for the report
  // Test-only: called once, halfway through, to inject a violation and prove it is reported.
  std::function<void(InvariantChecker&)> test_hook;
};

struct RunResult {
  bool passed = false;
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  std::vector<std::string> failures;  // one line per failed check
  std::map<std::string, int> faults_by_kind;
  std::map<std::string, std::size_t> violations_by_kind;
  nlohmann::json report;
  std::string json_path;
  std::string html_path;
  double wall_seconds = 0;
};

Result<RunResult> run_scenario(const Scenario& scenario, const RunOptions& options);

}  // namespace herd::scenarios
