#include "core/agent/synthetic_executor.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/runtime/manual_clock.h"

namespace herd::agent {
namespace {

struct Recorder final : ExecutorListener {
  void on_run_status(const RunStatus& status) override { seen.push_back(status); }
  std::vector<RunStatus> seen;
};

proto::ContainerSpec spec(Duration latency, double fail = 0.0, Duration run_for = Duration(0),
                          int exit_code = 0) {
  proto::ContainerSpec container;
  container.set_image("alpine");
  container.mutable_simulated()->set_start_latency_ns(latency.count());
  container.mutable_simulated()->set_fail_probability(fail);
  container.mutable_simulated()->set_run_for_ns(run_for.count());
  container.mutable_simulated()->set_exit_code(exit_code);
  return container;
}

class SyntheticExecutorTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  Rng rng_{3};
  SyntheticExecutor executor_{clock_, rng_};
  Recorder recorder_;
  void SetUp() override { executor_.set_listener(&recorder_); }
};

TEST_F(SyntheticExecutorTest, StartsAfterTheLatencyAndRunsUntilStopped) {
  ASSERT_TRUE(executor_.start("t1", spec(seconds(2))).is_ok());
  EXPECT_EQ(executor_.inspect("t1")->state, RunState::kStarting);
  clock_.advance(milliseconds(1999));
  EXPECT_EQ(executor_.inspect("t1")->state, RunState::kStarting);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(executor_.inspect("t1")->state, RunState::kRunning);
  EXPECT_EQ(executor_.alive(), 1U);
  EXPECT_EQ(executor_.remove("t1").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(executor_.stop("t1", seconds(10)).is_ok());
  clock_.advance(seconds(1));
  EXPECT_EQ(executor_.inspect("t1")->state, RunState::kStopped);
  ASSERT_EQ(recorder_.seen.size(), 3U);
  EXPECT_TRUE(executor_.remove("t1").is_ok());
  EXPECT_FALSE(executor_.inspect("t1").has_value());
}

TEST_F(SyntheticExecutorTest, RunForEndsWithTheExitCode) {
  ASSERT_TRUE(executor_.start("ok", spec(seconds(1), 0.0, seconds(5), 0)).is_ok());
  ASSERT_TRUE(executor_.start("bad", spec(seconds(1), 0.0, seconds(5), 3)).is_ok());
  clock_.advance(seconds(6));
  EXPECT_EQ(executor_.inspect("ok")->state, RunState::kExited);
  EXPECT_EQ(executor_.inspect("bad")->state, RunState::kFailed);
  EXPECT_EQ(executor_.inspect("bad")->exit_code, 3);
  EXPECT_EQ(executor_.list(), (std::vector<std::string>{"bad", "ok"}));
}

TEST_F(SyntheticExecutorTest, FailureOddsComeFromTheSeed) {
  const auto failures = [](std::uint64_t seed) {
    ManualClock clock;
    Rng rng(seed);
    SyntheticExecutor executor(clock, rng);
    for (int i = 0; i < 200; ++i)
      (void)executor.start("t" + std::to_string(i), spec(seconds(1), 0.3));
    clock.advance(seconds(2));
    std::vector<int> failed;
    for (int i = 0; i < 200; ++i) {
      if (executor.inspect("t" + std::to_string(i))->state == RunState::kFailed)
        failed.push_back(i);
    }
    return failed;
  };
  const std::vector<int> first = failures(9);
  EXPECT_EQ(first, failures(9));
  EXPECT_GT(first.size(), 35U);
  EXPECT_LT(first.size(), 85U);
  EXPECT_NE(first, failures(10));
}

TEST_F(SyntheticExecutorTest, RefusesDuplicatesAndUnknownTasks) {
  ASSERT_TRUE(executor_.start("t1", spec(seconds(1))).is_ok());
  EXPECT_EQ(executor_.start("t1", spec(seconds(1))).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(executor_.stop("nope", seconds(1)).code(), StatusCode::kNotFound);
  EXPECT_EQ(executor_.remove("nope").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace herd::agent
