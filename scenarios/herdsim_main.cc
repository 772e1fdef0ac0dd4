// herdsim: replays failure scenarios on the deterministic simulator.
//
// This entry point parses the command line and dispatches to the subcommands that exist; it is
// the program edge, so it is the only place that prints usage and chooses exit codes
// (0 everything held, 1 an invariant or expectation failed, 2 a bad file or flag).
#include <iostream>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitUsage = 2;

constexpr std::string_view kUsage = R"(herd's scenario simulator.

Usage:
  herdsim --help       show this text
  herdsim --version    print the version

herdsim runs a herd cluster (Raft-replicated managers, scheduler, dispatcher and worker agents)
inside one process on a deterministic simulated network, replays a scenario's workload and
faults from a seed, checks invariants and writes a report. The subcommands `run`, `explore` and
`shrink` arrive with the scenario runner; see docs/ARCHITECTURE.md for the plan.
)";

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
  std::cerr << "herdsim: unknown command or flag '" << args[0] << "'; see herdsim --help\n";
  return kExitUsage;
}
