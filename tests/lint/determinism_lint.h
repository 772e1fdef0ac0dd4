// The determinism lint: finds code in core/ and simnet/ that would make a simulation unrepeatable
// (SPEC §3), and includes that break the dependency direction (SPEC §2).
//
// Rules, by name: wall-clock, threads, randomness, unordered, include-direction. A reviewed
// exception is marked on the offending line or the line above with
//   // herd-lint: allow(<rule>) <reason>
// and the reason is mandatory. Comments are ignored when matching. See docs/ARCHITECTURE.md.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace herd::lint {

struct Finding {
  std::string file;
  int line = 0;
  std::string rule;
  std::string text;  // the offending source line, trimmed
};

// Lints one file's contents. `path` is relative to the repository root ("core/raft/raft.cc");
// the include-direction rule applies to files under core/ only.
std::vector<Finding> lint_source(std::string_view path, std::string_view contents);

// Lints every .h and .cc file under `root`/core and `root`/simnet, in sorted path order.
std::vector<Finding> lint_tree(const std::filesystem::path& root);

std::string format_finding(const Finding& finding);

}  // namespace herd::lint
