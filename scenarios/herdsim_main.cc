// herdsim: replays failure scenarios on the deterministic simulator.
//
// The program edge: it parses the command line, loads the scenario, and turns results into exit
// codes — 0 when everything held, 1 when an invariant or expectation failed, 2 for a bad file
// or flag. `explore` may fork worker processes (--jobs); every run itself is single-threaded and
// deterministic.
#include <gperftools/profiler.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/check.h"
#include "scenarios/runner.h"
#include "scenarios/scenario_parser.h"

namespace {

using herd::scenarios::RunOptions;
using herd::scenarios::RunResult;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage = R"(herd's scenario simulator.

Usage:
  herdsim run FILE [--seed N] [--out DIR] [--trace FILE] [--cpu-profile FILE] [--quiet]
                   [--stop-on-violation]
  herdsim explore FILE --seeds A..B [--jobs N] [--shard I/N] [--out DIR]
  herdsim --help | --version

run       replays one scenario: forms the cluster on the simulated network, plays the timeline,
          checks expectations and invariants, and writes OUT/NAME-SEED.json and .html
          (OUT defaults to reports/out).
explore   runs the scenario once per seed with random faults from its `explore` block and
          prints the failing seeds; rerun one with `herdsim run FILE --seed S`.

Exit status: 0 everything held, 1 an expectation or invariant failed, 2 a bad file or flag.
)";

bool parse_u64(std::string_view text, std::uint64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

int usage_error(const std::string& message) {
  std::cerr << "herdsim: " << message << "; see herdsim --help\n";
  return kExitUsage;
}

int run_command(const std::vector<std::string_view>& args) {
  if (args.empty() || args[0].starts_with("--")) return usage_error("run needs a scenario FILE");
  RunOptions options;
  options.scenario_file = std::string(args[0]);
  std::string profile;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    const auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)name;
      return std::string(args[++i]);
    };
    if (flag == "--seed") {
      const auto v = value(flag);
      std::uint64_t seed = 0;
      if (!v || !parse_u64(*v, seed)) return usage_error("--seed needs a non-negative integer");
      options.seed = seed;
    } else if (flag == "--out") {
      const auto v = value(flag);
      if (!v) return usage_error("--out needs a directory");
      options.out_dir = *v;
    } else if (flag == "--trace") {
      const auto v = value(flag);
      if (!v) return usage_error("--trace needs a file");
      options.trace_file = *v;
    } else if (flag == "--cpu-profile") {
      const auto v = value(flag);
      if (!v) return usage_error("--cpu-profile needs a file");
      profile = *v;
    } else if (flag == "--quiet") {
      options.quiet = true;
    } else if (flag == "--stop-on-violation") {
      options.stop_on_violation = true;
    } else {
      return usage_error("unknown flag '" + std::string(flag) + "' for run");
    }
  }
  herd::Result<herd::scenarios::Scenario> scenario =
      herd::scenarios::load_scenario(options.scenario_file);
  if (!scenario.ok()) {
    std::cerr << "herdsim: " << scenario.status().message() << "\n";
    return kExitUsage;
  }
  herd::set_check_failure_context("scenario=" + scenario->name +
                                  " seed=" + std::to_string(options.seed.value_or(scenario->seed)));
  if (!profile.empty() && ProfilerStart(profile.c_str()) == 0) {
    std::cerr << "herdsim: cannot start the CPU profiler writing '" << profile << "'\n";
    return kExitUsage;
  }
  herd::Result<RunResult> result = herd::scenarios::run_scenario(*scenario, options);
  if (!profile.empty()) ProfilerStop();
  if (!result.ok()) {
    std::cerr << "herdsim: " << result.status().to_string() << "\n";
    return kExitUsage;
  }
  std::printf(
      "%s seed %llu: %s  trace %016llx  %.1f s wall, %.0fx real time\n", scenario->name.c_str(),
      static_cast<unsigned long long>(result->seed), result->passed ? "PASSED" : "FAILED",
      static_cast<unsigned long long>(result->trace_hash), result->wall_seconds,
      herd::Duration(scenario->duration).count() / 1e9 / std::max(result->wall_seconds, 1e-9));
  for (const std::string& failure : result->failures)
    std::printf("  failed: %s\n", failure.c_str());
  if (!result->html_path.empty()) {
    std::printf("report: %s\n        %s\n", result->html_path.c_str(), result->json_path.c_str());
  }
  return result->passed ? 0 : kExitFailed;
}

// One explored seed's outcome, as a line a child process can send to the parent.
std::string describe(std::uint64_t seed, const RunResult& result) {
  std::ostringstream line;
  line << seed << "\t" << (result.passed ? 1 : 0) << "\t";
  for (const auto& [kind, count] : result.faults_by_kind) line << kind << "=" << count << ",";
  line << "\t";
  for (const auto& [kind, count] : result.violations_by_kind) line << kind << "=" << count << ",";
  line << "\t" << (result.failures.empty() ? "" : result.failures.front());
  return line.str();
}

int explore_command(const std::vector<std::string_view>& args) {
  if (args.empty() || args[0].starts_with("--"))
    return usage_error("explore needs a scenario FILE");
  const std::string file(args[0]);
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool have_seeds = false;
  std::uint64_t jobs = 1;
  std::uint64_t shard = 0;
  std::uint64_t shards = 1;
  std::string out = "reports/out";
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (i + 1 >= args.size()) return usage_error("'" + std::string(flag) + "' needs a value");
    const std::string_view v = args[++i];
    if (flag == "--seeds") {
      const std::size_t dots = v.find("..");
      if (dots == std::string_view::npos || !parse_u64(v.substr(0, dots), first) ||
          !parse_u64(v.substr(dots + 2), last) || last < first) {
        return usage_error("--seeds needs A..B with A <= B");
      }
      have_seeds = true;
    } else if (flag == "--jobs") {
      if (!parse_u64(v, jobs) || jobs == 0 || jobs > 64) return usage_error("--jobs needs 1..64");
    } else if (flag == "--shard") {
      const std::size_t slash = v.find('/');
      if (slash == std::string_view::npos || !parse_u64(v.substr(0, slash), shard) ||
          !parse_u64(v.substr(slash + 1), shards) || shards == 0 || shard >= shards) {
        return usage_error("--shard needs I/N with 0 <= I < N");
      }
    } else if (flag == "--out") {
      out = std::string(v);
    } else {
      return usage_error("unknown flag '" + std::string(flag) + "' for explore");
    }
  }
  if (!have_seeds) return usage_error("explore needs --seeds A..B");
  herd::Result<herd::scenarios::Scenario> scenario = herd::scenarios::load_scenario(file);
  if (!scenario.ok()) {
    std::cerr << "herdsim: " << scenario.status().message() << "\n";
    return kExitUsage;
  }
  if (!scenario->explore) {
    std::cerr << "herdsim: " << file << " has no explore block\n";
    return kExitUsage;
  }
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t seed = first; seed <= last; ++seed) {
    if ((seed - first) % shards == shard) seeds.push_back(seed);
  }
  const auto run_seed = [&](std::uint64_t seed) {
    RunOptions options;
    options.seed = seed;
    options.quiet = true;
    options.explore = true;
    options.write_reports = false;
    options.scenario_file = file;
    herd::Result<RunResult> result = herd::scenarios::run_scenario(*scenario, options);
    if (!result.ok()) {
      RunResult failed;
      failed.failures.push_back(result.status().to_string());
      return describe(seed, failed);
    }
    return describe(seed, *result);
  };
  // Workers are child processes, each taking every `jobs`-th seed and writing result lines.
  std::vector<std::string> lines;
  if (jobs <= 1) {
    for (std::uint64_t seed : seeds) lines.push_back(run_seed(seed));
  } else {
    std::vector<std::pair<pid_t, int>> children;
    for (std::uint64_t job = 0; job < jobs; ++job) {
      int fds[2];
      if (pipe(fds) != 0) return usage_error("cannot create a pipe for --jobs");
      const pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        for (std::size_t i = job; i < seeds.size(); i += jobs) {
          const std::string line = run_seed(seeds[i]) + "\n";
          if (write(fds[1], line.data(), line.size()) < 0) _exit(3);
        }
        _exit(0);
      }
      close(fds[1]);
      children.emplace_back(pid, fds[0]);
    }
    for (auto& [pid, fd] : children) {
      std::string text;
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
      close(fd);
      int status = 0;
      waitpid(pid, &status, 0);
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
  }
  std::map<std::string, long> faults;
  std::map<std::string, long> violations;
  int failed = 0;
  const auto tally = [](const std::string& field, std::map<std::string, long>& into) {
    std::istringstream parts(field);
    for (std::string item; std::getline(parts, item, ',');) {
      const std::size_t eq = item.find('=');
      if (eq != std::string::npos) into[item.substr(0, eq)] += std::stol(item.substr(eq + 1));
    }
  };
  for (const std::string& line : lines) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, '\t');) fields.push_back(field);
    while (fields.size() < 5) fields.emplace_back();
    tally(fields[2], faults);
    tally(fields[3], violations);
    if (fields[1] != "1") {
      ++failed;
      std::printf("seed %s FAILED: %s   (replay: herdsim run %s --seed %s)\n", fields[0].c_str(),
                  fields[4].c_str(), file.c_str(), fields[0].c_str());
    }
  }
  std::printf("explored %zu seeds of %s: %d failed\n", lines.size(), scenario->name.c_str(),
              failed);
  std::printf("faults injected:");
  for (const auto& [kind, count] : faults) std::printf(" %s=%ld", kind.c_str(), count);
  std::printf("\nviolations:");
  if (violations.empty()) std::printf(" none");
  for (const auto& [kind, count] : violations) std::printf(" %s=%ld", kind.c_str(), count);
  std::printf("\n");
  (void)out;
  return failed == 0 ? 0 : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "herdsim " << HERD_VERSION << "\n";
    return 0;
  }
  const std::vector<std::string_view> rest(args.begin() + 1, args.end());
  if (args[0] == "run") return run_command(rest);
  if (args[0] == "explore") return explore_command(rest);
  return usage_error("unknown command '" + std::string(args[0]) + "'");
}
