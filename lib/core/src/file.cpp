// Whole-file reads and crash-safe whole-file writes.
#include "ggl/file.hpp"

#include "ggl/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ggl::file {
namespace {

Error errno_error(const std::string& what, int err) {
    return make_error(err == ENOENT ? ErrorCode::Noentry : ErrorCode::Failure, what + ": " + std::strerror(err));
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

Result<std::string> read(const std::string& path) { return read(path, SIZE_MAX); }

Result<std::string> read(const std::string& path, size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno_error(path, errno);
    }
    UniqueFd owned(fd);
    return read_fd(fd, path, max_bytes);
}

Result<std::string> read_fd(int fd, const std::string& name, size_t max_bytes) {
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno_error(name + ": read", errno);
        }
        if (got == 0) {
            return content;
        }
        if (static_cast<size_t>(got) > max_bytes - content.size()) {
            constexpr size_t kMiB = size_t{1} << 20;
            std::string bound = max_bytes % kMiB == 0 ? std::to_string(max_bytes / kMiB) + " MiB"
                                                      : std::to_string(max_bytes) + " bytes";
            return make_error(ErrorCode::Range, name + ": larger than " + bound);
        }
        content.append(buffer, static_cast<size_t>(got));
    }
}

std::string directory_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> make_directories(const std::string& dir, mode_t mode) {
    if (dir.empty()) {
        return {};
    }
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0) {
        return S_ISDIR(info.st_mode) ? Result<void>{} : make_error(ErrorCode::Failure, dir + ": not a directory");
    }
    size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        if (auto parent = make_directories(dir.substr(0, slash), mode); !parent) {
            return parent;
        }
    }
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
        return make_error(ErrorCode::Failure, dir + ": cannot create directory: " + std::strerror(errno));
    }
    return {};
}

Result<void> sync_directory(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno_error(path, errno);
    }
    UniqueFd owned(fd);
    if (::fsync(fd) != 0) {
        return errno_error(path + ": fsync", errno);
    }
    return {};
}

Result<void> write_atomically(const std::string& path, std::string_view content, mode_t mode) {
    std::string temporary = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return errno_error(temporary, errno);
    }
    UniqueFd owned(fd);
    auto fail = [&](const std::string& what) -> Result<void> {
        int err = errno;
        ::unlink(temporary.c_str());
        return errno_error(temporary + ": " + what, err);
    };
    size_t done = 0;
    while (done < content.size()) {
        ssize_t wrote = ::write(fd, content.data() + done, content.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail("write");
        }
        done += static_cast<size_t>(wrote);
    }
    if (::fchmod(fd, mode) != 0) {
        return fail("chmod");
    }
    if (::fsync(fd) != 0) {
        return fail("fsync");
    }
    owned = UniqueFd();
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        return fail("rename to " + path);
    }
    return sync_directory(parent_of(path));
}

Error path_error(const std::string& what, const std::string& path, int error) {
    return errno_error(what + " " + path, error);
}

} // namespace ggl::file
