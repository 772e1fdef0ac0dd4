#include "realnode/executor/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <system_error>

#include "core/runtime/check.h"

namespace herd::realnode {
namespace {

Status spawn_error(const std::string& command, int error, const std::string& detail = {}) {
  std::string message = "cannot run \"" + command + "\": " + std::system_category().message(error);
  if (!detail.empty()) message += " (" + detail + ")";
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return Status::not_found(std::move(message));
    case EACCES:
    case ENOEXEC:
    case EPERM:
    case EISDIR:
    case ETXTBSY:
    case ELOOP:
    case ENAMETOOLONG:
    case E2BIG:
      return Status::failed_precondition(std::move(message));
    case EAGAIN:
    case ENOMEM:
    case EMFILE:
    case ENFILE:
      return Status::resource_exhausted(std::move(message));
    default:
      return Status::io_error(std::move(message));
  }
}

std::string_view search_path_of(const std::vector<std::string>& environment) {
  constexpr std::string_view kPrefix = "PATH=";
  for (const std::string& entry : environment) {
    if (entry.starts_with(kPrefix)) return std::string_view(entry).substr(kPrefix.size());
  }
  return kDefaultSearchPath;
}

// What execvp would run for `command`, searching `search_path` as the child will see it: relative
// entries are relative to the child's working directory. A command with a '/' is not searched;
// the kernel resolves it after the child has changed directory.
Result<std::string> find_executable(const std::string& command, std::string_view search_path,
                                    const std::string& working_dir) {
  if (command.find('/') != std::string::npos) return command;
  int error = ENOENT;
  std::string_view rest = search_path;
  while (!rest.empty()) {
    const std::size_t colon = std::min(rest.find(':'), rest.size());
    const std::string entry(rest.substr(0, colon));
    rest.remove_prefix(std::min(colon + 1, rest.size()));
    if (entry.empty()) continue;
    const std::string candidate =
        (entry.front() == '/' ? entry : working_dir + "/" + entry) + "/" + command;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) != 0) {
      // Like execvp: a directory we may not search makes the final error EACCES, not ENOENT.
      if (errno == EACCES) error = EACCES;
      continue;
    }
    if (!S_ISREG(info.st_mode) || ::access(candidate.c_str(), X_OK) != 0) {
      error = EACCES;
      continue;
    }
    return candidate;
  }
  return spawn_error(command, error,
                     error == ENOENT ? "not found in PATH " + std::string(search_path)
                                     : "found in PATH but not executable");
}

// posix_spawn's attribute and file-action objects, destroyed on every path out.
class SpawnSetup {
 public:
  SpawnSetup() {
    HERD_CHECK(::posix_spawn_file_actions_init(&actions_) == 0) << "posix_spawn_file_actions_init";
    HERD_CHECK(::posix_spawnattr_init(&attributes_) == 0) << "posix_spawnattr_init";
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawnattr_destroy(&attributes_);
    ::posix_spawn_file_actions_destroy(&actions_);
  }

  // 0, or the errno of the first step that failed.
  int prepare(const SpawnRequest& request) {
    sigset_t no_signals;
    sigset_t all_signals;
    sigemptyset(&no_signals);
    sigfillset(&all_signals);
    const short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    for (const int rc : {
             ::posix_spawn_file_actions_adddup2(&actions_, request.stdout_fd, STDOUT_FILENO),
             ::posix_spawn_file_actions_adddup2(&actions_, request.stderr_fd, STDERR_FILENO),
             ::posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
             // Descriptors other code opened without O_CLOEXEC (asio's sockets among them) must
             // not leak: a child holding the node's listening socket would keep its port bound.
             ::posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1),
             ::posix_spawn_file_actions_addchdir_np(&actions_, request.working_dir.c_str()),
             ::posix_spawnattr_setflags(&attributes_, flags),
             ::posix_spawnattr_setpgroup(&attributes_, 0),
             // The node may block or ignore signals (SIGPIPE) for itself; exec would pass both on.
             ::posix_spawnattr_setsigmask(&attributes_, &no_signals),
             ::posix_spawnattr_setsigdefault(&attributes_, &all_signals),
         }) {
      if (rc != 0) return rc;
    }
    return 0;
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attributes() const { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<pid_t> spawn_process(const SpawnRequest& request) {
  HERD_CHECK(!request.argv.empty()) << "spawn_process needs a command";
  const std::string& command = request.argv.front();
  HERD_ASSIGN_OR_RETURN(
      const std::string binary,
      find_executable(command, search_path_of(request.environment), request.working_dir));
  SpawnSetup setup;
  if (const int error = setup.prepare(request); error != 0) {
    return spawn_error(command, error, "preparing posix_spawn");
  }
  const std::vector<char*> argv = c_strings(request.argv);
  const std::vector<char*> envp = c_strings(request.environment);
  pid_t pid = 0;
  const int error = ::posix_spawn(&pid, binary.c_str(), setup.actions(), setup.attributes(),
                                  argv.data(), envp.data());
  if (error != 0) return spawn_error(command, error, binary == command ? "" : binary);
  return pid;
}

}  // namespace herd::realnode
