#include "realnode/executor/process_executor.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "realnode/executor/spawn.h"
#include "realnode/storage/posix_file.h"

namespace herd::realnode {
namespace {

namespace fs = std::filesystem;

constexpr char kRecordName[] = "process";
// As shells report them: 127 when the command is not found, 126 when it cannot be run.
constexpr int kExitCodeNotFound = 127;
constexpr int kExitCodeCannotRun = 126;
constexpr int kExitCodeUnknown = -1;

bool is_running(const RunStatus& status) {
  return status.state == RunState::kStarting || status.state == RunState::kRunning;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string signal_name(int signal) {
  const char* abbreviation = ::sigabbrev_np(signal);
  return abbreviation != nullptr ? "SIG" + std::string(abbreviation)
                                 : "signal " + std::to_string(signal);
}

std::string errno_text(int error) { return std::system_category().message(error); }

bool holds_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

Status validate(std::string_view task_id, const proto::ContainerSpec& spec) {
  // The id names the task's directory, so it must be one plain path component.
  if (task_id.empty() || task_id == "." || task_id == ".." ||
      task_id.find('/') != std::string_view::npos || holds_nul(task_id)) {
    return Status::invalid_argument("task id " + in_quotes(task_id) + " cannot name a directory");
  }
  const std::string task = "task " + std::string(task_id);
  if (spec.command().empty()) {
    std::string message = task + " has no command: the process executor runs commands, not images";
    if (!spec.image().empty()) message += " (image " + in_quotes(spec.image()) + ")";
    return Status::invalid_argument(std::move(message));
  }
  for (const std::string& word : spec.command()) {
    if (holds_nul(word)) return Status::invalid_argument(task + ": a command word holds a NUL");
  }
  for (const std::string& word : spec.args()) {
    if (holds_nul(word)) return Status::invalid_argument(task + ": an argument holds a NUL");
  }
  for (const auto& [name, value] : spec.env()) {
    if (name.empty() || name.find('=') != std::string::npos || holds_nul(name) ||
        holds_nul(value)) {
      return Status::invalid_argument(task + ": environment variable " + in_quotes(name) +
                                      " cannot be passed to a process");
    }
  }
  return Status::ok();
}

std::vector<std::string> environment_of(std::string_view task_id,
                                        const proto::ContainerSpec& spec) {
  std::map<std::string, std::string> variables(spec.env().begin(), spec.env().end());
  if (variables.count("PATH") == 0) {
    const char* path = std::getenv("PATH");
    variables["PATH"] = path != nullptr ? path : std::string(kDefaultSearchPath);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && variables.count("HOME") == 0) {
    variables["HOME"] = home;
  }
  variables["HERD_TASK_ID"] = std::string(task_id);
  std::vector<std::string> environment;
  environment.reserve(variables.size());
  for (const auto& [name, value] : variables) environment.push_back(name + "=" + value);
  return environment;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

bool same_process(pid_t pid, std::uint64_t start_time) {
  const std::optional<ProcStat> stat = read_proc_stat(pid);
  return stat && stat->start_time == start_time;
}

// Ends a child this executor cannot keep track of, so that no process runs without a record.
void kill_and_reap(pid_t pid) {
  (void)::kill(-pid, SIGKILL);
  int ignored = 0;
  while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<std::unique_ptr<ProcessExecutor>> ProcessExecutor::open(boost::asio::io_context& io,
                                                               Logger& logger,
                                                               const std::string& tasks_dir,
                                                               ProcessExecutorOptions options) {
  std::error_code error;
  // Absolute, because children resolve paths after changing into their task directories.
  const fs::path dir = fs::absolute(tasks_dir, error).lexically_normal();
  if (!error) fs::create_directories(dir, error);
  if (error)
    return Status::io_error("create tasks directory " + tasks_dir + ": " + error.message());
  std::string path = dir.string();
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  std::unique_ptr<ProcessExecutor> executor(
      new ProcessExecutor(io, logger, std::move(path), options));
  HERD_RETURN_IF_ERROR(executor->recover());
  return executor;
}

ProcessExecutor::ProcessExecutor(boost::asio::io_context& io, Logger& logger, std::string tasks_dir,
                                 ProcessExecutorOptions options)
    : io_(io),
      logger_(logger),
      tasks_dir_(std::move(tasks_dir)),
      options_(options),
      boot_id_(current_boot_id()),
      alive_(std::make_shared<ProcessExecutor*>(this)) {
  // Before the first spawn, so that no child's SIGCHLD comes before the handler is installed.
  if (!options_.use_pidfd) arm_sigchld();
}

// Closing the pidfds and cancelling the timers and the signal set leaves the processes running.
ProcessExecutor::~ProcessExecutor() = default;

std::string ProcessExecutor::task_dir(std::string_view task_id) const {
  return tasks_dir_ + "/" + std::string(task_id);
}

Status ProcessExecutor::recover() {
  std::error_code error;
  std::vector<std::string> names;
  for (fs::directory_iterator it(tasks_dir_, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code type_error;
    if (it->is_directory(type_error)) names.push_back(it->path().filename().string());
  }
  if (error) return Status::io_error("list tasks directory " + tasks_dir_ + ": " + error.message());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string dir = task_dir(name);
    const std::string record_path = dir + "/" + kRecordName;
    Result<std::optional<std::string>> bytes = read_whole_file(record_path);
    if (!bytes.ok()) {
      logger_.error("executor.record_unreadable",
                    {{"task", name}, {"error", bytes.status().message()}});
      continue;
    }
    if (!bytes->has_value()) {
      // remove() deletes the record first: a directory without one is the rest of a removed task.
      std::error_code remove_error;
      fs::remove_all(dir, remove_error);
      if (remove_error) {
        logger_.warning("executor.leftover_kept",
                        {{"dir", dir}, {"error", remove_error.message()}});
      } else {
        logger_.info("executor.leftover_removed", {{"dir", dir}});
      }
      continue;
    }
    Result<ProcessRecord> record = decode_process_record(**bytes, record_path);
    if (!record.ok()) {
      // Not adopted and not deleted: an operator has to look at what the file and process are.
      logger_.error("executor.record_unreadable",
                    {{"task", name}, {"error", record.status().message()}});
      continue;
    }
    Task& task = tasks_[name];
    task.status.task_id = name;
    task.record = std::move(record).value();
    task.incarnation = ++next_incarnation_;
    if (task.record.outcome) {
      task.status.state = task.record.outcome->state;
      task.status.exit_code = task.record.outcome->exit_code;
      task.status.message = task.record.outcome->message;
      continue;
    }
    adopt(name, task);
  }
  return Status::ok();
}

void ProcessExecutor::adopt(const std::string& task_id, Task& task) {
  const pid_t pid = task.record.pid;
  const bool same_boot = task.record.boot_id == boot_id_;
  task.status.state = RunState::kRunning;
  task.status.message = "running (adopted after a worker restart)";
  if (pid > 0 && same_boot && watch(task_id, task)) {
    logger_.info("executor.adopted", {{"task", task_id}, {"pid", pid}});
    return;
  }
  std::string message = "process " + std::to_string(pid) + " ended while the worker was down";
  if (!same_boot) message += " (the node rebooted)";
  logger_.warning("executor.lost", {{"task", task_id}, {"pid", pid}, {"reason", message}});
  if (task.record.stop_requested) {
    finish(task_id, task, {RunState::kStopped, kExitCodeUnknown, "stopped; " + message}, false);
  } else {
    finish(task_id, task,
           {RunState::kFailed, kExitCodeUnknown, message + "; its exit code is unknown"}, false);
  }
}

Status ProcessExecutor::start(std::string_view task_id, const proto::ContainerSpec& spec) {
  if (tasks_.find(task_id) != tasks_.end()) {
    return Status::already_exists("task " + std::string(task_id) + " is already known");
  }
  HERD_RETURN_IF_ERROR(validate(task_id, spec));
  const std::string id(task_id);
  Task& task = tasks_[id];
  task.status = RunStatus{id, RunState::kStarting, 0, "starting"};
  task.record.spec = spec;
  task.record.boot_id = boot_id_;
  task.incarnation = ++next_incarnation_;
  post_report(task.status);
  launch(id, task);
  return Status::ok();
}

void ProcessExecutor::launch(const std::string& task_id, Task& task) {
  const proto::ContainerSpec& spec = task.record.spec;
  const std::string dir = task_dir(task_id);
  const auto fail = [&](int exit_code, std::string message) {
    logger_.warning("executor.start_failed", {{"task", task_id}, {"error", message}});
    finish(task_id, task, {RunState::kFailed, exit_code, std::move(message)}, true);
  };
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) {
    return fail(kExitCodeCannotRun, "cannot create task directory " + dir + ": " + error.message());
  }
  fs::path working_dir = dir;
  if (!spec.dir().empty()) {
    const fs::path requested(spec.dir());
    working_dir = (requested.is_absolute() ? requested : dir / requested).lexically_normal();
  }
  fs::create_directories(working_dir, error);
  if (error) {
    return fail(kExitCodeCannotRun,
                "cannot create working directory " + working_dir.string() + ": " + error.message());
  }
  Result<UniqueFd> out = open_file(dir + "/stdout.log", O_WRONLY | O_CREAT | O_APPEND);
  if (!out.ok()) return fail(kExitCodeCannotRun, out.status().message());
  Result<UniqueFd> err = open_file(dir + "/stderr.log", O_WRONLY | O_CREAT | O_APPEND);
  if (!err.ok()) return fail(kExitCodeCannotRun, err.status().message());

  SpawnRequest request;
  request.argv.assign(spec.command().begin(), spec.command().end());
  request.argv.insert(request.argv.end(), spec.args().begin(), spec.args().end());
  request.environment = environment_of(task_id, spec);
  request.working_dir = working_dir.string();
  request.stdout_fd = out->get();
  request.stderr_fd = err->get();
  const Result<pid_t> spawned = spawn_process(request);
  if (!spawned.ok()) {
    const bool missing = spawned.status().code() == StatusCode::kNotFound;
    return fail(missing ? kExitCodeNotFound : kExitCodeCannotRun, spawned.status().message());
  }
  const pid_t pid = *spawned;
  task.record.pid = pid;
  // The child is unreaped until its watch says it ended, so its pid and /proc entry stay its own.
  const std::optional<ProcStat> stat = read_proc_stat(pid);
  Status tracked =
      stat ? Status::ok() : Status::io_error("cannot read /proc/" + std::to_string(pid) + "/stat");
  if (tracked.is_ok()) {
    task.record.start_time = stat->start_time;
    tracked = persist(task_id, task);
  }
  if (tracked.is_ok() && !watch(task_id, task)) {
    tracked = Status::io_error("cannot watch process " + std::to_string(pid));
  }
  if (!tracked.is_ok()) {
    // A process without a record or a watch would be lost to the next worker: end it now.
    task.pidfd.reset();
    task.watch = Watch::kNone;
    kill_and_reap(pid);
    return fail(kExitCodeCannotRun,
                "cannot keep track of process " + std::to_string(pid) + ": " + tracked.message());
  }
  task.status.state = RunState::kRunning;
  task.status.message = "running";
  logger_.info("executor.started", {{"task", task_id}, {"pid", pid}, {"command", request.argv[0]}});
  post_report(task.status);
}

Status ProcessExecutor::persist(const std::string& task_id, Task& task) {
  const std::string dir = task_dir(task_id);
  HERD_ASSIGN_OR_RETURN(const UniqueFd dir_fd, open_file(dir, O_RDONLY | O_DIRECTORY));
  return replace_file_atomically(dir_fd.get(), dir, kRecordName,
                                 encode_process_record(task.record));
}

bool ProcessExecutor::watch(const std::string& task_id, Task& task) {
  const pid_t pid = task.record.pid;
  if (options_.use_pidfd) {
    const int fd = pidfd_open(pid);
    if (fd >= 0) {
      // Checked after opening: the pidfd then names the process whose start time matched.
      if (!same_process(pid, task.record.start_time)) {
        ::close(fd);
        return false;
      }
      task.pidfd = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
      task.watch = Watch::kPidfd;
      task.pidfd->async_wait(
          boost::asio::posix::stream_descriptor::wait_read,
          [alive = std::weak_ptr<ProcessExecutor*>(alive_), task_id,
           incarnation = task.incarnation](const boost::system::error_code& error) {
            if (error == boost::asio::error::operation_aborted) return;
            if (auto self = alive.lock()) (*self)->on_pidfd_ready(task_id, incarnation);
          });
      return true;
    }
    if (errno == ESRCH) return false;
    logger_.warning("executor.pidfd_unavailable",
                    {{"task", task_id}, {"pid", pid}, {"error", errno_text(errno)}});
  }
  if (!same_process(pid, task.record.start_time)) return false;
  task.watch = Watch::kSignal;
  arm_sigchld();
  arm_poll();
  return true;
}

void ProcessExecutor::on_pidfd_ready(const std::string& task_id, std::uint64_t incarnation) {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.incarnation != incarnation ||
      !is_running(it->second.status)) {
    return;
  }
  Task& task = it->second;
  if (std::optional<ExitInfo> exit = reap_if_ended(task)) return on_exit(task_id, task, *exit);
  // Readable (or failed) while the process still runs: not expected from a pidfd, so rather
  // than wait for an edge that has passed, fall back to SIGCHLD and polling for this task.
  logger_.warning("executor.pidfd_unreliable", {{"task", task_id}, {"pid", task.record.pid}});
  task.pidfd.reset();
  task.watch = Watch::kSignal;
  arm_sigchld();
  arm_poll();
}

std::optional<ProcessExecutor::ExitInfo> ProcessExecutor::reap_if_ended(Task& task) {
  const pid_t pid = task.record.pid;
  // Without a pidfd the pid may have been reused since; waiting on it could reap a stranger.
  if (!task.pidfd && !same_process(pid, task.record.start_time)) return ExitInfo{};
  const idtype_t id_type = task.pidfd ? static_cast<idtype_t>(P_PIDFD) : P_PID;
  const id_t id =
      task.pidfd ? static_cast<id_t>(task.pidfd->native_handle()) : static_cast<id_t>(pid);
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(id_type, id, &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 && info.si_pid == 0) return std::nullopt;  // our child, still running
  if (rc == 0) {
    // Our child, still a zombie: it holds its process group id, so killing what is left of the
    // group cannot reach a reused one. The task ends with its main process, as a container does.
    (void)::kill(-pid, SIGKILL);
    do {
      rc = ::waitid(id_type, id, &info, WEXITED | WNOHANG);
    } while (rc != 0 && errno == EINTR);
    return ExitInfo{true, info.si_code, info.si_status};
  }
  // Not our child (adopted after a restart): its exit status went to its new parent.
  const std::optional<ProcStat> stat = read_proc_stat(pid);
  if (!stat || stat->start_time != task.record.start_time || stat->zombie) return ExitInfo{};
  return std::nullopt;
}

void ProcessExecutor::on_exit(const std::string& task_id, Task& task, const ExitInfo& exit) {
  ProcessOutcome outcome;
  if (!exit.known) {
    outcome = {RunState::kFailed, kExitCodeUnknown,
               "process " + std::to_string(task.record.pid) +
                   " ended; its exit code is unknown (it was started before the worker "
                   "restarted)"};
  } else if (exit.code == CLD_EXITED) {
    outcome = {exit.status == 0 ? RunState::kExited : RunState::kFailed, exit.status,
               "exit code " + std::to_string(exit.status)};
  } else {
    // 128 + signal, as shells and Docker report a process killed by a signal.
    outcome = {RunState::kFailed, 128 + exit.status,
               "killed by signal " + signal_name(exit.status)};
    if (exit.code == CLD_DUMPED) outcome.message += " (core dumped)";
  }
  if (task.record.stop_requested) {
    outcome.state = RunState::kStopped;
    outcome.message = "stopped: " + outcome.message;
  }
  finish(task_id, task, std::move(outcome), true);
}

void ProcessExecutor::finish(const std::string& task_id, Task& task, ProcessOutcome outcome,
                             bool report) {
  task.status.state = outcome.state;
  task.status.exit_code = outcome.exit_code;
  task.status.message = outcome.message;
  task.record.outcome = std::move(outcome);
  task.pidfd.reset();
  task.kill_timer.reset();
  task.watch = Watch::kNone;
  logger_.info("executor.ended", {{"task", task_id},
                                  {"state", run_state_name(task.status.state)},
                                  {"exit_code", task.status.exit_code},
                                  {"message", task.status.message}});
  // Kept so that a restarted worker reports the same end instead of "ended while down".
  if (const Status recorded = persist(task_id, task); !recorded.is_ok()) {
    logger_.warning("executor.record_write_failed",
                    {{"task", task_id}, {"error", recorded.message()}});
  }
  if (report) post_report(task.status);
}

Status ProcessExecutor::stop(std::string_view task_id, Duration grace) {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end())
    return Status::not_found("task " + std::string(task_id) + " is not known");
  Task& task = it->second;
  if (!is_running(task.status)) return Status::ok();
  const std::string id(task_id);
  if (!task.record.stop_requested) {
    task.record.stop_requested = true;
    if (const Status recorded = persist(id, task); !recorded.is_ok()) {
      logger_.warning("executor.record_write_failed",
                      {{"task", id}, {"error", recorded.message()}});
    }
  }
  if (!task.term_sent) {
    task.term_sent = true;
    logger_.info("executor.stopping", {{"task", id}, {"pid", task.record.pid}, {"grace", grace}});
    signal_task(task, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::max(grace, Duration::zero());
  if (task.kill_timer && task.kill_deadline <= deadline) return Status::ok();
  if (!task.kill_timer) task.kill_timer = std::make_unique<boost::asio::steady_timer>(io_);
  task.kill_deadline = deadline;
  // Moving the expiry cancels the earlier wait, whose handler then sees operation_aborted.
  task.kill_timer->expires_at(deadline);
  task.kill_timer->async_wait([alive = std::weak_ptr<ProcessExecutor*>(alive_), id,
                               incarnation = task.incarnation](const boost::system::error_code& e) {
    if (e == boost::asio::error::operation_aborted) return;
    if (auto self = alive.lock()) (*self)->on_kill_deadline(id, incarnation);
  });
  return Status::ok();
}

void ProcessExecutor::on_kill_deadline(const std::string& task_id, std::uint64_t incarnation) {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.incarnation != incarnation ||
      !is_running(it->second.status)) {
    return;
  }
  logger_.warning("executor.killed", {{"task", task_id}, {"pid", it->second.record.pid}});
  signal_task(it->second, SIGKILL);
}

void ProcessExecutor::signal_task(Task& task, int signal) {
  const pid_t pid = task.record.pid;
  if (::kill(-pid, signal) == 0 || errno != ESRCH) return;
  // The main process left its group (setsid): signal it alone, through the pidfd when there is
  // one, otherwise only after checking that the pid is still the task's.
  if (task.pidfd) {
    (void)::syscall(SYS_pidfd_send_signal, task.pidfd->native_handle(), signal, nullptr, 0U);
  } else if (same_process(pid, task.record.start_time)) {
    (void)::kill(pid, signal);
  }
}

void ProcessExecutor::stop_all(Duration grace) {
  std::vector<std::string> running;
  for (const auto& [id, task] : tasks_) {
    if (is_running(task.status)) running.push_back(id);
  }
  for (const std::string& id : running) (void)stop(id, grace);
}

void ProcessExecutor::kill_all() {
  for (auto& [id, task] : tasks_) {
    if (!is_running(task.status)) continue;
    if (!task.record.stop_requested) {
      task.record.stop_requested = true;
      if (const Status recorded = persist(id, task); !recorded.is_ok()) {
        logger_.warning("executor.record_write_failed",
                        {{"task", id}, {"error", recorded.message()}});
      }
    }
    task.term_sent = true;
    task.kill_timer.reset();
    signal_task(task, SIGKILL);
  }
}

Status ProcessExecutor::remove(std::string_view task_id) {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end())
    return Status::not_found("task " + std::string(task_id) + " is not known");
  if (is_running(it->second.status)) {
    return Status::failed_precondition("task " + std::string(task_id) + " is still running (pid " +
                                       std::to_string(it->second.record.pid) + ")");
  }
  const std::string dir = task_dir(task_id);
  std::error_code error;
  // The record goes first: without it the task is forgotten even if the rest stays behind, and
  // open() deletes such leftovers.
  fs::remove(dir + "/" + kRecordName, error);
  if (error) {
    return Status::io_error("remove " + dir + "/" + kRecordName + ": " + error.message());
  }
  tasks_.erase(it);
  fs::remove_all(dir, error);
  if (error)
    logger_.warning("executor.remove_incomplete", {{"dir", dir}, {"error", error.message()}});
  return Status::ok();
}

std::optional<RunStatus> ProcessExecutor::inspect(std::string_view task_id) const {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second.status;
}

std::vector<std::string> ProcessExecutor::list() const {
  std::vector<std::string> ids;
  ids.reserve(tasks_.size());
  for (const auto& [id, task] : tasks_) ids.push_back(id);
  return ids;
}

std::size_t ProcessExecutor::alive() const {
  return static_cast<std::size_t>(
      std::count_if(tasks_.begin(), tasks_.end(),
                    [](const auto& entry) { return is_running(entry.second.status); }));
}

std::optional<pid_t> ProcessExecutor::pid_of(std::string_view task_id) const {
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.record.pid <= 0) return std::nullopt;
  return it->second.record.pid;
}

void ProcessExecutor::arm_sigchld() {
  if (sigchld_) return;
  try {
    sigchld_ = std::make_unique<boost::asio::signal_set>(io_, SIGCHLD);
  } catch (const boost::system::system_error& error) {
    // Polling still notices every exit, only later.
    logger_.error("executor.sigchld_unavailable", {{"error", error.what()}});
    return;
  }
  wait_for_sigchld();
}

void ProcessExecutor::wait_for_sigchld() {
  sigchld_->async_wait([alive = std::weak_ptr<ProcessExecutor*>(alive_)](
                           const boost::system::error_code& error, int) {
    if (error == boost::asio::error::operation_aborted) return;
    if (auto self = alive.lock()) {
      (*self)->sweep_signal_watched();
      (*self)->wait_for_sigchld();
    }
  });
}

void ProcessExecutor::arm_poll() {
  if (poll_armed_) return;
  poll_armed_ = true;
  if (!poll_timer_) poll_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  poll_timer_->expires_after(options_.poll_interval);
  poll_timer_->async_wait(
      [alive = std::weak_ptr<ProcessExecutor*>(alive_)](const boost::system::error_code& error) {
        if (error == boost::asio::error::operation_aborted) return;
        auto self = alive.lock();
        if (!self) return;
        (*self)->poll_armed_ = false;
        (*self)->sweep_signal_watched();
      });
}

void ProcessExecutor::sweep_signal_watched() {
  bool still_watching = false;
  for (auto& [id, task] : tasks_) {
    if (task.watch != Watch::kSignal || !is_running(task.status)) continue;
    if (std::optional<ExitInfo> exit = reap_if_ended(task)) {
      on_exit(id, task, *exit);
    } else {
      still_watching = true;
    }
  }
  // SIGCHLD can be missed (it is not queued per child, and adopted processes never send it).
  if (still_watching) arm_poll();
}

void ProcessExecutor::post_report(const RunStatus& status) {
  boost::asio::post(io_, [alive = std::weak_ptr<ProcessExecutor*>(alive_), status] {
    auto self = alive.lock();
    if (self && (*self)->listener_ != nullptr) (*self)->listener_->on_run_status(status);
  });
}

}  // namespace herd::realnode
