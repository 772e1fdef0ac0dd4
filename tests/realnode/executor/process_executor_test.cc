#include "realnode/executor/process_executor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/runtime/manual_clock.h"

namespace herd::realnode {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

class RecordingListener final : public ExecutorListener {
 public:
  void on_run_status(const RunStatus& status) override { reports.push_back(status); }

  std::vector<RunState> states(const std::string& task_id) const {
    std::vector<RunState> out;
    for (const RunStatus& report : reports)
      if (report.task_id == task_id) out.push_back(report.state);
    return out;
  }

  std::optional<RunStatus> last(const std::string& task_id) const {
    for (auto it = reports.rbegin(); it != reports.rend(); ++it)
      if (it->task_id == task_id) return *it;
    return std::nullopt;
  }

  bool reached(const std::string& task_id, RunState state) const {
    for (const RunStatus& report : reports)
      if (report.task_id == task_id && report.state == state) return true;
    return false;
  }

  bool ended(const std::string& task_id) const {
    const std::optional<RunStatus> status = last(task_id);
    return status && status->state != RunState::kStarting && status->state != RunState::kRunning;
  }

  std::vector<RunStatus> reports;
};

proto::ContainerSpec command(std::vector<std::string> words) {
  proto::ContainerSpec spec;
  for (std::string& word : words) spec.add_command(std::move(word));
  return spec;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool process_gone(pid_t pid) {
  const std::optional<ProcStat> stat = read_proc_stat(pid);
  return !stat || stat->zombie;
}

// The suite runs once watching exits through pidfds and once through SIGCHLD and polling.
class ProcessExecutorTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                          "/herd-process-executor-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    tasks_dir_ = (root_ / "tasks").string();
  }

  void TearDown() override {
    if (executor_) {
      executor_->kill_all();
      EXPECT_TRUE(run_until([&] { return executor_->alive() == 0; }));
      executor_.reset();
    }
    // Processes the test left behind on purpose (the executor's destructor kills nothing).
    for (const pid_t pid : strays_) {
      (void)::kill(-pid, SIGKILL);
      (void)::kill(pid, SIGKILL);
      int ignored = 0;
      (void)::waitpid(pid, &ignored, 0);
    }
    fs::remove_all(root_);
  }

  ProcessExecutorOptions options() const {
    ProcessExecutorOptions options;
    options.use_pidfd = GetParam();
    options.poll_interval = std::chrono::milliseconds(50);
    return options;
  }

  void open() {
    Result<std::unique_ptr<ProcessExecutor>> opened =
        ProcessExecutor::open(io_, logger_, tasks_dir_, options());
    ASSERT_TRUE(opened.ok()) << opened.status();
    executor_ = std::move(opened).value();
    executor_->set_listener(&listener_);
  }

  // Runs the io_context until `done` or the deadline; false on the deadline.
  bool run_until(const std::function<bool()>& done, Duration limit = std::chrono::seconds(3)) {
    const auto deadline = steady_clock::now() + limit;
    while (!done()) {
      if (steady_clock::now() >= deadline) return false;
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  void start(const std::string& task_id, const proto::ContainerSpec& spec) {
    const std::size_t reports_before = listener_.reports.size();
    ASSERT_TRUE(executor_->start(task_id, spec).is_ok());
    EXPECT_EQ(listener_.reports.size(), reports_before) << "a report was made inside start()";
  }

  void start_running(const std::string& task_id, const proto::ContainerSpec& spec) {
    start(task_id, spec);
    ASSERT_TRUE(run_until([&] { return listener_.reached(task_id, RunState::kRunning); }));
  }

  RunStatus wait_for_end(const std::string& task_id) {
    EXPECT_TRUE(run_until([&] { return listener_.ended(task_id); })) << task_id << " never ended";
    return listener_.last(task_id).value_or(RunStatus{});
  }

  fs::path task_path(const std::string& task_id) const { return fs::path(tasks_dir_) / task_id; }

  fs::path root_;
  std::string tasks_dir_;
  boost::asio::io_context io_;
  ManualClock clock_;
  Logger logger_{clock_, "w1", nullptr};
  RecordingListener listener_;
  std::unique_ptr<ProcessExecutor> executor_;
  std::vector<pid_t> strays_;
};

INSTANTIATE_TEST_SUITE_P(ExitWatch, ProcessExecutorTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Pidfd" : "Sigchld";
                         });

TEST_P(ProcessExecutorTest, StopEndsARunningTaskAndRemoveForgetsIt) {
  open();
  start_running("t1", command({"sleep", "30"}));
  EXPECT_EQ(executor_->inspect("t1")->state, RunState::kRunning);
  ASSERT_TRUE(executor_->pid_of("t1").has_value());
  EXPECT_EQ(executor_->remove("t1").code(), StatusCode::kFailedPrecondition);

  const auto asked = steady_clock::now();
  ASSERT_TRUE(executor_->stop("t1", std::chrono::seconds(10)).is_ok());
  const RunStatus end = wait_for_end("t1");
  EXPECT_LT(steady_clock::now() - asked, std::chrono::seconds(2)) << "SIGTERM was not enough";
  EXPECT_EQ(end.state, RunState::kStopped);
  EXPECT_EQ(end.exit_code, 128 + SIGTERM);
  EXPECT_EQ(listener_.states("t1"),
            (std::vector<RunState>{RunState::kStarting, RunState::kRunning, RunState::kStopped}));
  EXPECT_EQ(executor_->inspect("t1")->state, RunState::kStopped);

  // Ended: stop is a no-op without a report.
  ASSERT_TRUE(executor_->stop("t1", std::chrono::seconds(1)).is_ok());
  run_until([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(listener_.states("t1").size(), 3u);

  ASSERT_TRUE(fs::exists(task_path("t1")));
  ASSERT_TRUE(executor_->remove("t1").is_ok());
  EXPECT_FALSE(executor_->inspect("t1").has_value());
  EXPECT_TRUE(executor_->list().empty());
  EXPECT_FALSE(fs::exists(task_path("t1")));
}

TEST_P(ProcessExecutorTest, ExitCodesDecideExitedOrFailed) {
  open();
  start("zero", command({"true"}));
  start("three", command({"sh", "-c", "exit 3"}));
  start("signal", command({"sh", "-c", "kill -KILL $$"}));
  const RunStatus zero = wait_for_end("zero");
  const RunStatus three = wait_for_end("three");
  const RunStatus signal = wait_for_end("signal");

  EXPECT_EQ(zero.state, RunState::kExited);
  EXPECT_EQ(zero.exit_code, 0);
  EXPECT_EQ(three.state, RunState::kFailed);
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.message, "exit code 3");
  EXPECT_EQ(signal.state, RunState::kFailed);
  EXPECT_EQ(signal.exit_code, 128 + SIGKILL);
  EXPECT_EQ(signal.message, "killed by signal SIGKILL");
  EXPECT_EQ(listener_.states("three"),
            (std::vector<RunState>{RunState::kStarting, RunState::kRunning, RunState::kFailed}));
  EXPECT_EQ(executor_->list(), (std::vector<std::string>{"signal", "three", "zero"}));
}

TEST_P(ProcessExecutorTest, ATaskIgnoringSigtermIsKilledAfterTheGrace) {
  open();
  start_running("stubborn",
                command({"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"}));
  // Only once the trap is set does stopping it prove anything.
  ASSERT_TRUE(run_until(
      [&] { return read_text(task_path("stubborn") / "stdout.log").find("ready") == 0; }));

  const auto asked = steady_clock::now();
  ASSERT_TRUE(executor_->stop("stubborn", std::chrono::milliseconds(300)).is_ok());
  // Asking again with a longer grace does not postpone the kill.
  ASSERT_TRUE(executor_->stop("stubborn", std::chrono::seconds(30)).is_ok());
  const RunStatus end = wait_for_end("stubborn");
  const auto took = steady_clock::now() - asked;

  EXPECT_EQ(end.state, RunState::kStopped);
  EXPECT_EQ(end.message, "stopped: killed by signal SIGKILL");
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST_P(ProcessExecutorTest, WhatTheTaskLeftInItsGroupDiesWithIt) {
  open();
  start("parent", command({"sh", "-c", "sleep 30 & echo $! > child.pid"}));
  EXPECT_EQ(wait_for_end("parent").state, RunState::kExited);
  const pid_t child = std::stoi(read_text(task_path("parent") / "child.pid"));
  strays_.push_back(child);
  EXPECT_TRUE(run_until([&] { return process_gone(child); }));
}

TEST_P(ProcessExecutorTest, AMissingOrUnrunnableBinaryFailsNamingIt) {
  open();
  start("missing", command({"herd-no-such-binary", "--flag"}));
  const RunStatus missing = wait_for_end("missing");
  EXPECT_EQ(missing.state, RunState::kFailed);
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.message.find("\"herd-no-such-binary\""), std::string::npos) << missing.message;
  EXPECT_NE(missing.message.find("No such file or directory"), std::string::npos);
  EXPECT_EQ(listener_.states("missing"),
            (std::vector<RunState>{RunState::kStarting, RunState::kFailed}));

  start("absolute", command({"/nonexistent/herd-tool"}));
  const RunStatus absolute = wait_for_end("absolute");
  EXPECT_EQ(absolute.exit_code, 127);
  EXPECT_NE(absolute.message.find("/nonexistent/herd-tool"), std::string::npos);

  const fs::path script = root_ / "not-executable.sh";
  std::ofstream(script) << "#!/bin/sh\nexit 0\n";
  ::chmod(script.c_str(), 0644);
  start("unrunnable", command({script.string()}));
  const RunStatus unrunnable = wait_for_end("unrunnable");
  EXPECT_EQ(unrunnable.state, RunState::kFailed);
  EXPECT_EQ(unrunnable.exit_code, 126);
  EXPECT_NE(unrunnable.message.find("Permission denied"), std::string::npos) << unrunnable.message;

  // The command is looked up in the child's PATH, not the worker's.
  proto::ContainerSpec own_path = command({"sh", "-c", "true"});
  (*own_path.mutable_env())["PATH"] = (root_ / "empty-bin").string();
  start("own-path", own_path);
  const RunStatus own = wait_for_end("own-path");
  EXPECT_EQ(own.exit_code, 127);
  EXPECT_NE(own.message.find("not found in PATH"), std::string::npos) << own.message;
}

TEST_P(ProcessExecutorTest, InvalidSpecsAreRefusedWithoutReports) {
  open();
  proto::ContainerSpec image_only;
  image_only.set_image("nginx:1.25");
  const Status no_command = executor_->start("t1", image_only);
  EXPECT_EQ(no_command.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_command.message().find("runs commands, not images"), std::string::npos);

  proto::ContainerSpec bad_env = command({"true"});
  (*bad_env.mutable_env())["A=B"] = "c";
  EXPECT_EQ(executor_->start("t1", bad_env).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(executor_->start("../escape", command({"true"})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(executor_->stop("unknown", seconds(1)).code(), StatusCode::kNotFound);
  EXPECT_EQ(executor_->remove("unknown").code(), StatusCode::kNotFound);

  start_running("t1", command({"sleep", "30"}));
  EXPECT_EQ(executor_->start("t1", command({"true"})).code(), StatusCode::kAlreadyExists);
  run_until([] { return false; }, std::chrono::milliseconds(20));
  EXPECT_EQ(listener_.states("t1"),
            (std::vector<RunState>{RunState::kStarting, RunState::kRunning}));
}

TEST_P(ProcessExecutorTest, EnvironmentWorkingDirectoryAndOutputLandWhereExpected) {
  const char* worker_home = std::getenv("HOME");
  const std::string saved_home = worker_home != nullptr ? worker_home : "";
  ::setenv("HOME", "/herd-home", 1);
  open();
  proto::ContainerSpec spec = command({"sh"});
  spec.add_args("-c");
  spec.add_args("echo \"$GREETING $HERD_TASK_ID $HOME\"; pwd; echo oops >&2");
  (*spec.mutable_env())["GREETING"] = "hello";
  (*spec.mutable_env())["HERD_TASK_ID"] = "spoofed";
  spec.set_dir("work/sub");
  start("t1", spec);
  EXPECT_EQ(wait_for_end("t1").state, RunState::kExited);
  EXPECT_EQ(read_text(task_path("t1") / "stdout.log"),
            "hello t1 /herd-home\n" + (task_path("t1") / "work/sub").string() + "\n");
  EXPECT_EQ(read_text(task_path("t1") / "stderr.log"), "oops\n");
  if (worker_home != nullptr) {
    ::setenv("HOME", saved_home.c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }

  const fs::path absolute = root_ / "elsewhere";
  proto::ContainerSpec elsewhere = command({"sh", "-c", "pwd; echo $HOME"});
  elsewhere.set_dir(absolute.string());
  (*elsewhere.mutable_env())["HOME"] = "/spec-home";
  start("t2", elsewhere);
  EXPECT_EQ(wait_for_end("t2").state, RunState::kExited);
  EXPECT_EQ(read_text(task_path("t2") / "stdout.log"), absolute.string() + "\n/spec-home\n");

  // remove() deletes the task directory but not an absolute working directory outside it.
  ASSERT_TRUE(executor_->remove("t2").is_ok());
  EXPECT_FALSE(fs::exists(task_path("t2")));
  EXPECT_TRUE(fs::exists(absolute));
}

TEST_P(ProcessExecutorTest, ARestartedExecutorAdoptsItsRunningProcess) {
  open();
  start_running("t1", command({"sleep", "30"}));
  const pid_t pid = *executor_->pid_of("t1");
  strays_.push_back(pid);
  executor_.reset();  // a worker restart: the task keeps running
  ASSERT_FALSE(process_gone(pid));

  open();
  EXPECT_EQ(executor_->list(), std::vector<std::string>{"t1"});
  EXPECT_EQ(executor_->inspect("t1")->state, RunState::kRunning);
  EXPECT_EQ(executor_->pid_of("t1"), pid);
  EXPECT_EQ(executor_->alive(), 1u);

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const RunStatus end = wait_for_end("t1");
  EXPECT_EQ(end.state, RunState::kFailed);
  EXPECT_EQ(executor_->alive(), 0u);
}

TEST_P(ProcessExecutorTest, AdoptsAProcessThatIsNotItsChild) {
  // Another process plays the worker that started the task and then went away.
  const pid_t worker = ::fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    boost::asio::io_context io;
    Result<std::unique_ptr<ProcessExecutor>> other = ProcessExecutor::open(io, logger_, tasks_dir_);
    const bool started = other.ok() && (*other)->start("t1", command({"sleep", "30"})).is_ok() &&
                         (*other)->alive() == 1;
    ::_exit(started ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(worker, &status, 0), worker);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  open();
  ASSERT_EQ(executor_->inspect("t1")->state, RunState::kRunning);
  const pid_t pid = *executor_->pid_of("t1");
  strays_.push_back(pid);
  ASSERT_NE(::waitpid(pid, &status, WNOHANG), pid) << "the task should not be our child";

  ASSERT_TRUE(executor_->stop("t1", std::chrono::seconds(5)).is_ok());
  const RunStatus end = wait_for_end("t1");
  EXPECT_EQ(end.state, RunState::kStopped);
  EXPECT_EQ(end.exit_code, -1);
  EXPECT_NE(end.message.find("exit code is unknown"), std::string::npos) << end.message;
  EXPECT_TRUE(process_gone(pid));
}

TEST_P(ProcessExecutorTest, TasksThatEndedWhileTheWorkerWasDownAreKnownAsEnded) {
  open();
  start_running("crashed", command({"sleep", "30"}));
  start_running("stopping", command({"sleep", "30"}));
  start("finished", command({"sh", "-c", "exit 3"}));
  wait_for_end("finished");
  const pid_t crashed = *executor_->pid_of("crashed");
  const pid_t stopping = *executor_->pid_of("stopping");
  // The SIGTERM is sent, but the worker goes down before it hears of the exit.
  ASSERT_TRUE(executor_->stop("stopping", std::chrono::seconds(10)).is_ok());
  executor_.reset();
  ASSERT_EQ(::kill(crashed, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(crashed, &status, 0), crashed);
  ASSERT_EQ(::waitpid(stopping, &status, 0), stopping);

  listener_.reports.clear();
  open();
  EXPECT_EQ(executor_->list(), (std::vector<std::string>{"crashed", "finished", "stopping"}));
  const RunStatus lost = *executor_->inspect("crashed");
  EXPECT_EQ(lost.state, RunState::kFailed);
  EXPECT_EQ(lost.exit_code, -1);
  EXPECT_NE(lost.message.find("ended while the worker was down"), std::string::npos);
  EXPECT_EQ(executor_->inspect("stopping")->state, RunState::kStopped);
  // An end seen before the restart is remembered as it was.
  EXPECT_EQ(executor_->inspect("finished")->message, "exit code 3");
  EXPECT_EQ(executor_->alive(), 0u);
  run_until([] { return false; }, std::chrono::milliseconds(20));
  EXPECT_TRUE(listener_.reports.empty());
  EXPECT_TRUE(executor_->remove("crashed").is_ok());
}

TEST_P(ProcessExecutorTest, ARecordWhosePidNowNamesAnotherProcessIsNotAdopted) {
  const std::optional<ProcStat> self = read_proc_stat(::getpid());
  ASSERT_TRUE(self.has_value());
  ProcessRecord record;
  record.pid = ::getpid();
  record.start_time = self->start_time + 1;
  record.boot_id = current_boot_id();
  record.spec = command({"sleep", "30"});
  fs::create_directories(task_path("stale"));
  std::ofstream(task_path("stale") / "process", std::ios::binary) << encode_process_record(record);
  // A directory without a record is what an interrupted remove() leaves; a damaged record is
  // neither adopted nor deleted.
  fs::create_directories(task_path("leftover"));
  fs::create_directories(task_path("damaged"));
  std::ofstream(task_path("damaged") / "process") << "not a record";

  open();
  EXPECT_EQ(executor_->list(), std::vector<std::string>{"stale"});
  EXPECT_EQ(executor_->inspect("stale")->state, RunState::kFailed);
  EXPECT_EQ(executor_->alive(), 0u);
  // Nothing is signalled: this test process, whose pid the record names, is still here.
  EXPECT_TRUE(executor_->stop("stale", Duration::zero()).is_ok());
  EXPECT_FALSE(fs::exists(task_path("leftover")));
  EXPECT_TRUE(fs::exists(task_path("damaged") / "process"));
}

TEST_P(ProcessExecutorTest, StopAllStopsEveryRunningTask) {
  open();
  start_running("a", command({"sleep", "30"}));
  start_running("b", command({"sleep", "30"}));
  start("done", command({"true"}));
  wait_for_end("done");
  executor_->stop_all(std::chrono::seconds(5));
  EXPECT_EQ(wait_for_end("a").state, RunState::kStopped);
  EXPECT_EQ(wait_for_end("b").state, RunState::kStopped);
  EXPECT_EQ(executor_->inspect("done")->state, RunState::kExited);
}

TEST_P(ProcessExecutorTest, NothingIsReportedOnceTheExecutorIsGone) {
  open();
  start("t1", command({"true"}));
  const pid_t pid = *executor_->pid_of("t1");
  strays_.push_back(pid);
  executor_.reset();  // with kStarting and kRunning still queued
  run_until([] { return false; }, std::chrono::milliseconds(20));
  EXPECT_TRUE(listener_.reports.empty());
}

}  // namespace
}  // namespace herd::realnode
