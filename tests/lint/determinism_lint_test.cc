#include "tests/lint/determinism_lint.h"

#include <gtest/gtest.h>

#include <string>

namespace herd::lint {
namespace {

std::vector<std::string> rules_hit(std::string_view path, std::string_view source) {
  std::vector<std::string> hit;
  for (const Finding& f : lint_source(path, source)) hit.push_back(f.rule);
  return hit;
}

using Rules = std::vector<std::string>;

// The real tree: core/ and simnet/ must be clean. This is the check that guards every commit.
TEST(DeterminismLintTest, CoreAndSimnetAreClean) {
  const std::vector<Finding> findings = lint_tree(HERD_SOURCE_DIR);
  std::string report;
  for (const Finding& f : findings) report += format_finding(f) + "\n";
  EXPECT_TRUE(findings.empty()) << report;
}

TEST(DeterminismLintTest, FlagsWallClock) {
  EXPECT_EQ(rules_hit("core/a.cc", "auto t = std::chrono::steady_clock::now();"),
            Rules{"wall-clock"});
  EXPECT_EQ(rules_hit("core/a.cc", "auto t = std::chrono::system_clock::now();"),
            Rules{"wall-clock"});
  EXPECT_EQ(rules_hit("simnet/a.cc", "gettimeofday(&tv, nullptr);"), Rules{"wall-clock"});
  EXPECT_EQ(rules_hit("core/a.cc", "long t = time(nullptr);"), Rules{"wall-clock"});
  EXPECT_TRUE(rules_hit("core/a.cc", "Duration election_time(Term t);").empty());
}

TEST(DeterminismLintTest, FlagsThreads) {
  EXPECT_EQ(rules_hit("core/a.cc", "std::thread worker([] {});"), Rules{"threads"});
  EXPECT_EQ(rules_hit("core/a.h", "#include <mutex>"), Rules{"threads"});
  EXPECT_EQ(rules_hit("simnet/a.cc", "pthread_create(&t, nullptr, f, nullptr);"), Rules{"threads"});
}

TEST(DeterminismLintTest, FlagsUnseededRandomness) {
  EXPECT_EQ(rules_hit("core/a.cc", "int x = rand() % 6;"), Rules{"randomness"});
  EXPECT_EQ(rules_hit("core/a.cc", "srand(4);"), Rules{"randomness"});
  EXPECT_EQ(rules_hit("core/a.cc", "std::random_device rd;"), Rules{"randomness"});
  EXPECT_EQ(rules_hit("core/a.cc", "std::uniform_int_distribution<int> d(0, 9);"),
            Rules{"randomness"});
  EXPECT_TRUE(rules_hit("core/a.cc", "rng.between(1, 6); operand(3);").empty());
}

TEST(DeterminismLintTest, FlagsUnorderedContainers) {
  EXPECT_EQ(rules_hit("core/a.h", "std::unordered_map<NodeId, Peer> peers_;"), Rules{"unordered"});
}

TEST(DeterminismLintTest, FlagsIncludesAgainstTheDependencyDirection) {
  EXPECT_EQ(rules_hit("core/raft/a.cc", "#include \"simnet/event_loop.h\""),
            Rules{"include-direction"});
  EXPECT_EQ(rules_hit("core/a.cc", "#include \"realnode/tcp_transport.h\""),
            Rules{"include-direction"});
  EXPECT_TRUE(rules_hit("simnet/a.cc", "#include \"core/raft/raw_node.h\"").empty());
}

TEST(DeterminismLintTest, IgnoresComments) {
  EXPECT_TRUE(rules_hit("core/a.cc", "// never use std::thread here\nint x;").empty());
  EXPECT_TRUE(rules_hit("core/a.cc", "/* rand() is\n forbidden: std::mutex */ int y;").empty());
}

TEST(DeterminismLintTest, AllowMarkerNeedsTheRightRuleAndAReason) {
  EXPECT_TRUE(rules_hit("core/a.cc",
                        "// herd-lint: allow(unordered) lookup only, never iterated\n"
                        "std::unordered_map<std::string, int> index_;")
                  .empty());
  EXPECT_TRUE(rules_hit("core/a.cc",
                        "std::unordered_set<int> s;  // herd-lint: allow(unordered) lookup only")
                  .empty());
  EXPECT_EQ(
      rules_hit("core/a.cc", "// herd-lint: allow(threads) wrong rule\nstd::unordered_set<int> s;"),
      Rules{"unordered"});
  EXPECT_EQ(rules_hit("core/a.cc", "std::unordered_set<int> s;  // herd-lint: allow(unordered)"),
            Rules{"allow-without-reason"});
}

TEST(DeterminismLintTest, ReportsFileAndLine) {
  const std::vector<Finding> findings = lint_source("core/x.cc", "int a;\nint b;\nsrand(1);\n");
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(format_finding(findings[0]), "core/x.cc:3: [randomness] srand(1);");
}

}  // namespace
}  // namespace herd::lint
