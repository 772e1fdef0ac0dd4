#include "realnode/storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace herd::realnode {
namespace {

// -1 with errno set on failure, like open(2) itself.
int open_retrying(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void UniqueFd::reset() {
  // close() is not retried on EINTR: on Linux the descriptor is released either way.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status io_error_from_errno(std::string_view operation, const std::string& path, int error) {
  return Status::io_error(std::string(operation) + " " + path + ": " +
                          std::system_category().message(error));
}

Result<UniqueFd> open_file(const std::string& path, int flags, mode_t mode) {
  const int fd = open_retrying(path, flags, mode);
  if (fd < 0) return io_error_from_errno("open", path, errno);
  return UniqueFd(fd);
}

Result<std::optional<std::string>> read_whole_file(const std::string& path) {
  const int fd = open_retrying(path, O_RDONLY, 0);
  if (fd < 0 && errno == ENOENT) return std::optional<std::string>();
  if (fd < 0) return io_error_from_errno("open", path, errno);
  const UniqueFd file(fd);
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return io_error_from_errno("stat", path, errno);
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(file.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error_from_errno("read", path, errno);
    if (n == 0) break;  // shrank since fstat: what was read is the file
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return std::optional<std::string>(std::move(bytes));
}

Status write_fully(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error_from_errno("write", path, errno);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status sync_data(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return io_error_from_errno("fdatasync", path, errno);
  return Status::ok();
}

Status sync_everything(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return io_error_from_errno("fsync", path, errno);
  return Status::ok();
}

Status replace_file_atomically(int dir_fd, const std::string& dir, const std::string& name,
                               std::string_view bytes) {
  const std::string final_path = dir + "/" + name;
  const std::string temp_path = final_path + ".tmp";
  {
    HERD_ASSIGN_OR_RETURN(UniqueFd temp, open_file(temp_path, O_WRONLY | O_CREAT | O_TRUNC));
    HERD_RETURN_IF_ERROR(write_fully(temp.get(), bytes, temp_path));
    HERD_RETURN_IF_ERROR(sync_everything(temp.get(), temp_path));
  }
  if (::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    return io_error_from_errno("rename to " + final_path, temp_path, errno);
  }
  return sync_everything(dir_fd, dir);
}

}  // namespace herd::realnode
