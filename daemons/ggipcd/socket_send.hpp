// Offering queued bytes to a non-blocking stream socket: what BusLink and Connection share.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace ggl::ipc {

// Sends out[sent, out.size()) until all of it is sent or the socket would block, advancing
// sent. False when a send failed (or sent nothing); errno says why.
inline bool send_queued(int fd, const std::string& out, size_t& sent) {
    while (sent < out.size()) {
        ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return false;
    }
    return true;
}

} // namespace ggl::ipc
