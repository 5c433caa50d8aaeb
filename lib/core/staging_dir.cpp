// core::StagingDir (declared in core/file.hpp beside TempFile, its single-file kin).
#include "core/file.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::core {

StagingDir::StagingDir(const std::string &target) {
  auto parent = parent_dir(target);
  make_dirs(parent);
  remove_stale_temp_files(parent);
  auto slash = target.find_last_of('/');
  auto base = slash == std::string::npos ? target : target.substr(slash + 1);
  for (int attempt = 0;; ++attempt) {
    auto suffix = random_suffix();
    // Made under a name the sweep does not take (kNewMarker) and locked before it
    // gets its marker name, as TempFile::create does for files.
    std::string fresh = parent + "/." + base + std::string(kNewMarker) + suffix;
    std::string path = parent + "/." + base + std::string(kTempMarker) + suffix;
    if (::mkdir(fresh.c_str(), 0700) != 0) {
      if (errno == EEXIST && attempt < 100) continue;
      throw_errno(errno, "cannot create a staging directory next to '" + target + "'");
    }
    int fd = ::open(fresh.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0 ||
        ::rename(fresh.c_str(), path.c_str()) != 0) {
      int err = errno;
      if (fd >= 0) ::close(fd);
      ::rmdir(fresh.c_str());
      throw_errno(err, "cannot create a staging directory next to '" + target + "'");
    }
    lock_.reset(fd);
    path_ = std::move(path);
    return;
  }
}

StagingDir::~StagingDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec); // symlinks inside are removed, not followed
}

void StagingDir::release() noexcept {
  path_.clear();
  lock_.reset();
}

} // namespace berth::core
