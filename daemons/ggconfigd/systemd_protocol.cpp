// The three libsystemd calls ggconfigd makes (readiness, socket activation), written
// against systemd's documented, stable protocols (sd_notify(3), sd_listen_fds(3)).
//
// Why here: linking libsystemd maps it and its compression and crypto libraries (lz4,
// zstd, lzma, gcrypt, gpg-error, cap) into the daemon, about 700 KiB of PSS for three
// calls, which alone would break ggconfigd's memory budget (< 1.5 MiB PSS idle). The lean
// build of ggconfigd defines these functions itself and links with --as-needed, so
// libsystemd is not loaded; the library code that calls them (the bus server) is
// unchanged. Only the behaviour those callers rely on is provided.
// Declares them, so that a signature that drifted from libsystemd's fails to compile.
#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START

void unset_listen_environment() {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
}

bool parse_int(const char* text, long& value) {
    if (!text || !*text) {
        return false;
    }
    char* end = nullptr;
    errno = 0;
    value = std::strtol(text, &end, 10);
    return errno == 0 && end && *end == '\0';
}

} // namespace

extern "C" {

int sd_listen_fds_with_names(int unset_environment, char*** names) {
    long pid = 0;
    long count = 0;
    int result = 0;
    if (!parse_int(::getenv("LISTEN_PID"), pid) || pid != ::getpid() ||
        !parse_int(::getenv("LISTEN_FDS"), count) || count <= 0 || count > 4096) {
        result = 0;
    } else {
        result = static_cast<int>(count);
        for (int fd = kListenFdsStart; fd < kListenFdsStart + result; ++fd) {
            int flags = ::fcntl(fd, F_GETFD);
            if (flags >= 0) {
                ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
            }
        }
    }
    if (names) {
        *names = nullptr;
        if (result > 0) {
            // A NULL-terminated array of malloc'd strings, as libsystemd returns it; a
            // missing or short LISTEN_FDNAMES names the rest "unknown".
            auto* list = static_cast<char**>(std::calloc(static_cast<size_t>(result) + 1, sizeof(char*)));
            if (!list) {
                return -ENOMEM;
            }
            const char* given = ::getenv("LISTEN_FDNAMES");
            std::vector<std::string> parts;
            for (std::string_view rest = given ? given : ""; !rest.empty();) {
                size_t colon = rest.find(':');
                parts.emplace_back(rest.substr(0, colon));
                rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
            }
            for (int i = 0; i < result; ++i) {
                size_t index = static_cast<size_t>(i);
                bool named = index < parts.size() && !parts[index].empty();
                list[i] = ::strdup(named ? parts[index].c_str() : "unknown");
            }
            *names = list;
        }
    }
    if (unset_environment) {
        unset_listen_environment();
    }
    return result;
}

int sd_is_socket_unix(int fd, int type, int listening, const char* path, size_t length) {
    struct stat info{};
    if (::fstat(fd, &info) != 0) {
        return -errno;
    }
    if (!S_ISSOCK(info.st_mode)) {
        return 0;
    }
    sockaddr_un address{};
    socklen_t size = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        return -errno;
    }
    if (address.sun_family != AF_UNIX) {
        return 0;
    }
    if (type != 0) {
        int actual = 0;
        socklen_t actual_size = sizeof actual;
        if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &actual, &actual_size) != 0) {
            return -errno;
        }
        if (actual != type) {
            return 0;
        }
    }
    if (listening >= 0) {
        int accepting = 0;
        socklen_t accepting_size = sizeof accepting;
        if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &accepting_size) != 0) {
            return -errno;
        }
        if ((accepting != 0) != (listening != 0)) {
            return 0;
        }
    }
    if (path) {
        if (length == 0) {
            length = std::strlen(path);
        }
        size_t offset = offsetof(sockaddr_un, sun_path);
        size_t have = size > offset ? size - offset : 0;
        std::string_view actual(address.sun_path, std::min(have, sizeof address.sun_path));
        while (!actual.empty() && actual.back() == '\0') {
            actual.remove_suffix(1);
        }
        if (actual != std::string_view(path, length)) {
            return 0;
        }
    }
    return 1;
}

// READY=1 and friends as one datagram to $NOTIFY_SOCKET (a path, or '@' for the
// abstract namespace). Without NOTIFY_SOCKET (started from a shell) it does nothing.
int sd_notify(int unset_environment, const char* state) {
    const char* target = ::getenv("NOTIFY_SOCKET");
    int result = 0;
    if (target && *target && state) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        size_t length = std::strlen(target);
        if ((target[0] != '/' && target[0] != '@') || length >= sizeof address.sun_path) {
            result = -EINVAL;
        } else {
            std::memcpy(address.sun_path, target, length);
            if (target[0] == '@') {
                address.sun_path[0] = '\0';
            }
            int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                result = -errno;
            } else {
                socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
                ssize_t sent = ::sendto(fd, state, std::strlen(state), MSG_NOSIGNAL,
                                        reinterpret_cast<sockaddr*>(&address), size);
                result = sent < 0 ? -errno : 1;
                ::close(fd);
            }
        }
    }
    if (unset_environment) {
        ::unsetenv("NOTIFY_SOCKET");
    }
    return result;
}

} // extern "C"
