#include "realnode/executor/process_record.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "core/codec/proto_codec.h"
#include "realnode/executor/spawn.h"

namespace herd::realnode {
namespace {

namespace fs = std::filesystem;

ProcessRecord sample_record() {
  ProcessRecord record;
  record.pid = 4242;
  record.start_time = 123456789012ULL;
  record.boot_id = "0f1e2d3c-boot";
  record.stop_requested = true;
  record.spec.add_command("sleep");
  record.spec.add_args("30");
  (*record.spec.mutable_env())["A"] = "b";
  record.spec.set_dir("work");
  return record;
}

void expect_same(const ProcessRecord& a, const ProcessRecord& b) {
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.boot_id, b.boot_id);
  EXPECT_EQ(a.stop_requested, b.stop_requested);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(codec::encode_message(a.spec), codec::encode_message(b.spec));
}

TEST(ProcessRecordTest, RoundTripsWithAndWithoutAnOutcome) {
  ProcessRecord running = sample_record();
  Result<ProcessRecord> decoded = decode_process_record(encode_process_record(running), "p");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  expect_same(*decoded, running);

  ProcessRecord ended = sample_record();
  ended.outcome = ProcessOutcome{RunState::kFailed, -1, "exit code is unknown"};
  decoded = decode_process_record(encode_process_record(ended), "p");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  expect_same(*decoded, ended);
}

TEST(ProcessRecordTest, DamageIsCorruptionNamingTheFile) {
  const std::string bytes = encode_process_record(sample_record());
  for (std::size_t i = 0; i < bytes.size(); i += 7) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    const Result<ProcessRecord> decoded = decode_process_record(damaged, "/x/t1/process");
    ASSERT_FALSE(decoded.ok()) << "flipped byte " << i;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    EXPECT_NE(decoded.status().message().find("/x/t1/process"), std::string::npos);
  }
  EXPECT_FALSE(decode_process_record(bytes.substr(0, bytes.size() - 1), "p").ok());
  EXPECT_FALSE(decode_process_record(bytes + "x", "p").ok());
  EXPECT_FALSE(decode_process_record("", "p").ok());
}

TEST(ProcessRecordTest, ProcStatReadsStartTimeEvenThroughOddCommandNames) {
  const std::optional<ProcStat> self = read_proc_stat(::getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_GT(self->start_time, 0u);
  EXPECT_FALSE(self->zombie);
  EXPECT_EQ(read_proc_stat(::getpid())->start_time, self->start_time);
  EXPECT_FALSE(read_proc_stat(999999999).has_value());

  // The command name is copied into /proc/<pid>/stat as is, spaces and parentheses included.
  const fs::path dir = fs::temp_directory_path() / ("herd-proc-stat-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path odd = dir / "a) b (c";
  fs::create_symlink("/bin/sleep", odd);
  SpawnRequest request;
  request.argv = {odd.string(), "30"};
  request.working_dir = dir.string();
  request.stdout_fd = STDOUT_FILENO;
  request.stderr_fd = STDERR_FILENO;
  const Result<pid_t> pid = spawn_process(request);
  ASSERT_TRUE(pid.ok()) << pid.status();
  const std::optional<ProcStat> child = read_proc_stat(*pid);
  ::kill(*pid, SIGKILL);
  int status = 0;
  ::waitpid(*pid, &status, 0);
  fs::remove_all(dir);
  ASSERT_TRUE(child.has_value());
  EXPECT_GE(child->start_time, self->start_time);
}

TEST(ProcessRecordTest, BootIdIsStable) {
  EXPECT_FALSE(current_boot_id().empty());
  EXPECT_EQ(current_boot_id(), current_boot_id());
}

}  // namespace
}  // namespace herd::realnode
