// Thin POSIX file helpers for realnode's storage: an owning file descriptor, whole-file reads,
// writes that survive short writes and EINTR, fsync of files and directories, and the
// write-temp/fsync/rename/fsync-dir sequence that replaces a small file atomically.
//
// Every failure is a Status io_error whose message names the operation, the file and the errno
// text ("fdatasync /var/herd/wal-...log: Input/output error"); nothing here throws. All
// descriptors are opened O_CLOEXEC so that processes the node starts never inherit them (an
// inherited LOCK descriptor would keep the state directory locked after the node died).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/runtime/result.h"
#include "core/runtime/status.h"

namespace herd::realnode {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// "<operation> <path>: <errno text>".
Status io_error_from_errno(std::string_view operation, const std::string& path, int error);

Result<UniqueFd> open_file(const std::string& path, int flags, mode_t mode = 0644);

// The whole file, or nullopt when it does not exist.
Result<std::optional<std::string>> read_whole_file(const std::string& path);

Status write_fully(int fd, std::string_view bytes, const std::string& path);
Status sync_data(int fd, const std::string& path);
Status sync_everything(int fd, const std::string& path);

// Writes `bytes` to `<dir>/<name>.tmp`, fsyncs it, renames it over `<dir>/<name>` and fsyncs the
// directory: after a crash the file holds either its old or its new content, never a mix.
Status replace_file_atomically(int dir_fd, const std::string& dir, const std::string& name,
                               std::string_view bytes);

}  // namespace herd::realnode
