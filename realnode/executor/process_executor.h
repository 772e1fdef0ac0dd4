// ProcessExecutor: realnode's Executor, each task a child process in its own process group.
//
// A task runs `command + args` with the spec's environment (plus the worker's PATH and HOME
// unless the spec sets them, and HERD_TASK_ID), in <tasks dir>/<task id>/ (or the spec's dir:
// absolute, or relative to that), stdout and stderr appended to stdout.log and stderr.log in the
// task dir. Exits are noticed through a pidfd per process (Linux >= 5.3), else through SIGCHLD
// and polling; a pid whose start time is not the task's is never waited for or signalled. Every
// task has a durable record (process_record.h) so that after a worker restart open() adopts the
// processes still running and knows the others as ended. Tasks outlive the executor, as
// containers outlive a live-restore daemon: the destructor kills nothing; stop_all()/kill_all()
// do. Every call is made on the io_context's one thread, and listener callbacks are posted to it,
// never made inside a call.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/executor.h"
#include "core/runtime/logger.h"
#include "core/runtime/result.h"
#include "realnode/executor/process_record.h"

namespace herd::realnode {

struct ProcessExecutorOptions {
  // false watches exits with SIGCHLD and polling, as happens anyway where pidfd_open fails.
  bool use_pidfd = true;
  // Without pidfds, how often processes that are not this worker's children (adopted after a
  // restart) are checked, since their exit sends this worker no SIGCHLD.
  Duration poll_interval = seconds(1);
};

class ProcessExecutor final : public Executor {
 public:
  // Creates `tasks_dir` if needed and recovers the records in it: a task whose process still
  // runs (same pid, start time and boot) is adopted as running; one whose process is gone is
  // known as ended (kStopped if a stop had been asked, else kFailed with an unknown exit code,
  // -1). Neither is reported to the listener: list() and inspect() say what there is. A task
  // directory without a record (left by an interrupted remove()) is deleted. One executor per
  // tasks directory at a time.
  static Result<std::unique_ptr<ProcessExecutor>> open(boost::asio::io_context& io, Logger& logger,
                                                       const std::string& tasks_dir,
                                                       ProcessExecutorOptions options = {});

  ProcessExecutor(const ProcessExecutor&) = delete;
  ProcessExecutor& operator=(const ProcessExecutor&) = delete;
  // Leaves every process running; a stop() in progress will not send its SIGKILL.
  ~ProcessExecutor() override;

  void set_listener(ExecutorListener* listener) override { listener_ = listener; }
  // invalid_argument for an empty command (this executor runs commands, not images), a task id
  // that is not a plain file name, NUL bytes, or an env name that is empty or holds '='. A
  // process that cannot be started (no such binary, not executable, no working directory) is
  // reported kFailed, with exit code 127 when the binary is missing and 126 otherwise.
  Status start(std::string_view task_id, const proto::ContainerSpec& spec) override;
  // SIGTERM to the task's process group, SIGKILL after `grace` if it still runs. Asked again, the
  // earlier SIGKILL deadline wins. The task then ends kStopped, however it exits.
  Status stop(std::string_view task_id, Duration grace) override;
  // Forgets an ended task and deletes its task directory, logs included, as `docker rm` does; an
  // absolute spec dir outside it is left alone.
  Status remove(std::string_view task_id) override;
  std::optional<RunStatus> inspect(std::string_view task_id) const override;
  std::vector<std::string> list() const override;

  // stop() for every task still running.
  void stop_all(Duration grace);
  // SIGKILL to every running task's process group now; they end kStopped.
  void kill_all();

  // Tasks still running.
  std::size_t alive() const;
  // The pid (and process group id) of the task's process; nullopt for an unknown task or one
  // whose process never started.
  std::optional<pid_t> pid_of(std::string_view task_id) const;
  // <tasks dir>/<task id>, where its record and logs are.
  std::string task_dir(std::string_view task_id) const;

 private:
  enum class Watch : std::uint8_t { kNone, kPidfd, kSignal };

  struct Task {
    RunStatus status;
    ProcessRecord record;           // as last written to disk
    std::uint64_t incarnation = 0;  // tells a stale asio completion from one for this task
    Watch watch = Watch::kNone;
    std::unique_ptr<boost::asio::posix::stream_descriptor> pidfd;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
    std::chrono::steady_clock::time_point kill_deadline;
    bool term_sent = false;
  };

  struct ExitInfo {
    bool known = false;  // false: it ended, but its status went to its parent, not to us
    int code = 0;        // CLD_EXITED, CLD_KILLED or CLD_DUMPED
    int status = 0;      // exit code or signal number
  };

  ProcessExecutor(boost::asio::io_context& io, Logger& logger, std::string tasks_dir,
                  ProcessExecutorOptions options);

  Status recover();
  void adopt(const std::string& task_id, Task& task);
  void launch(const std::string& task_id, Task& task);
  Status persist(const std::string& task_id, Task& task);
  // Starts watching the task's process for its exit; false when the pid no longer names it.
  bool watch(const std::string& task_id, Task& task);
  void on_pidfd_ready(const std::string& task_id, std::uint64_t incarnation);
  void arm_sigchld();
  void wait_for_sigchld();
  void arm_poll();
  void sweep_signal_watched();
  // How the process ended (reaped if it was our child), or nullopt while it runs.
  std::optional<ExitInfo> reap_if_ended(Task& task);
  void on_exit(const std::string& task_id, Task& task, const ExitInfo& exit);
  // Records the end durably and, when `report`, tells the listener (later, on the io thread).
  void finish(const std::string& task_id, Task& task, ProcessOutcome outcome, bool report);
  void on_kill_deadline(const std::string& task_id, std::uint64_t incarnation);
  void signal_task(Task& task, int signal);
  void post_report(const RunStatus& status);

  boost::asio::io_context& io_;
  Logger& logger_;
  std::string tasks_dir_;
  ProcessExecutorOptions options_;
  std::string boot_id_;
  ExecutorListener* listener_ = nullptr;
  std::map<std::string, Task, std::less<>> tasks_;
  std::uint64_t next_incarnation_ = 0;
  std::unique_ptr<boost::asio::signal_set> sigchld_;
  std::unique_ptr<boost::asio::steady_timer> poll_timer_;
  bool poll_armed_ = false;
  // Posted reports and asio completions hold a weak reference and do nothing once it is gone.
  std::shared_ptr<ProcessExecutor*> alive_;
};

}  // namespace herd::realnode
