#include "ggl/service_manager.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace ggl::service_manager {
namespace {

constexpr int kFirstPassedFd = 3; // SD_LISTEN_FDS_START
constexpr long kMostPassedFds = 4096;

bool parse_long(const char* text, long& value) {
    if (!text || !*text) {
        return false;
    }
    char* end = nullptr;
    errno = 0;
    value = std::strtol(text, &end, 10);
    return errno == 0 && end && *end == '\0';
}

std::vector<PassedSocket> read_passed_sockets() {
    std::vector<PassedSocket> sockets;
    long pid = 0;
    long count = 0;
    if (parse_long(::getenv("LISTEN_PID"), pid) && pid == ::getpid() && parse_long(::getenv("LISTEN_FDS"), count) &&
        count > 0 && count <= kMostPassedFds) {
        std::vector<std::string> names;
        const char* given = ::getenv("LISTEN_FDNAMES");
        for (std::string_view rest = given ? given : ""; !rest.empty();) {
            size_t colon = rest.find(':');
            names.emplace_back(rest.substr(0, colon));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
        for (long i = 0; i < count; ++i) {
            int fd = kFirstPassedFd + static_cast<int>(i);
            int flags = ::fcntl(fd, F_GETFD);
            if (flags >= 0) {
                ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
            }
            size_t index = static_cast<size_t>(i);
            sockets.push_back({fd, index < names.size() && !names[index].empty() ? names[index] : "unknown"});
        }
    }
    // The variables stay: unsetenv could race a getenv on a thread already started (the
    // store's writer), and a child cannot take the sockets as its own, LISTEN_PID is ours.
    return sockets;
}

} // namespace

const std::vector<PassedSocket>& passed_sockets() {
    static const std::vector<PassedSocket> sockets = read_passed_sockets();
    return sockets;
}

bool is_listening_unix_stream(int fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) {
        return false;
    }
    sockaddr_un address{};
    socklen_t size = sizeof address;
    int type = 0;
    socklen_t type_size = sizeof type;
    int accepting = 0;
    socklen_t accepting_size = sizeof accepting;
    return ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0 && address.sun_family == AF_UNIX &&
           ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_size) == 0 && type == SOCK_STREAM &&
           ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &accepting_size) == 0 && accepting != 0;
}

bool notify(std::string_view state) {
    const char* target = ::getenv("NOTIFY_SOCKET");
    if (!target || !*target) {
        return false;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    size_t length = std::strlen(target);
    if ((target[0] != '/' && target[0] != '@') || length >= sizeof address.sun_path) {
        return false;
    }
    std::memcpy(address.sun_path, target, length);
    if (target[0] == '@') {
        address.sun_path[0] = '\0';
    }
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
    // STOPPING=1 never waits on a manager whose queue is full: the daemon is on its way
    // out, and the manager learns that when it exits anyway.
    int flags = MSG_NOSIGNAL | (state.starts_with("STOPPING=") ? MSG_DONTWAIT : 0);
    ssize_t sent = ::sendto(fd, state.data(), state.size(), flags, reinterpret_cast<sockaddr*>(&address), size);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

} // namespace ggl::service_manager
