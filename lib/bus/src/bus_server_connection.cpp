// A bus client's connection: accepting it, reading its frames, buffering its output
// (backpressure: reading pauses while replies pile up) and closing it.
#include "ggl/log.hpp"

#include "bus_server_core.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ggl::bus {

namespace {

constexpr size_t kReadChunk = 64u << 10;

} // namespace

// ---- ServerCore: connections ----

void ServerCore::on_accept() {
    for (;;) {
        int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                GGL_LOGW("%s: accept failed: %s", service_.c_str(), std::strerror(errno));
            }
            return;
        }
        UniqueFd client(fd);
        if (connections_.size() >= options_.max_connections) {
            GGL_LOGW("%s: refusing a client: %zu connections already open", service_.c_str(), connections_.size());
            continue;
        }
        auto conn = std::make_shared<Connection>(options_.max_frame);
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            conn->peer = PeerCredentials{cred.pid, cred.uid, cred.gid};
        }
        conn->fd = std::move(client);
        std::weak_ptr<ServerCore> weak_core = shared_from_this();
        std::weak_ptr<Connection> weak_conn = conn;
        auto added = loop_.add_fd(fd, EPOLLIN, [weak_core, weak_conn](uint32_t events) {
            auto core = weak_core.lock();
            auto c = weak_conn.lock();
            if (core && c) {
                core->on_io(c, events);
            }
        });
        if (!added) {
            GGL_LOGW("%s: cannot watch a client: %s", service_.c_str(), added.error().message.c_str());
            continue;
        }
        connections_[fd] = std::move(conn);
        GGL_LOGT("%s: client pid %d connected", service_.c_str(), static_cast<int>(cred.pid));
    }
}

void ServerCore::on_io(const std::shared_ptr<Connection>& conn, uint32_t events) {
    if (events & EPOLLOUT) {
        flush(conn);
        if (conn->closed) {
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        read_from(conn);
    }
}

void ServerCore::read_from(const std::shared_ptr<Connection>& conn) {
    char* area = conn->reader.write_area(kReadChunk);
    ssize_t n = ::recv(conn->fd.get(), area, conn->reader.write_space(), 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }
        close_connection(conn, nullptr);
        return;
    }
    if (n == 0) {
        close_connection(conn, nullptr);
        return;
    }
    conn->reader.commit(static_cast<size_t>(n));
    std::string_view body;
    size_t declared = 0;
    for (;;) {
        auto status = conn->reader.next(body, declared);
        if (status == FrameReader::Status::NeedMore) {
            break;
        }
        if (status == FrameReader::Status::Oversized) {
            // The stream cannot be resynchronised: answer, then hang up.
            append_error(conn->out, 0,
                         make_error(ErrorCode::Range, "frame of " + std::to_string(declared) +
                                                          " bytes exceeds the limit of " +
                                                          std::to_string(options_.max_frame) + " bytes"));
            GGL_LOGW("%s: client pid %d sent a %zu-byte frame (limit %zu); closing", service_.c_str(),
                     static_cast<int>(conn->peer.pid), declared, options_.max_frame);
            flush(conn);
            close_connection(conn, nullptr);
            return;
        }
        handle_frame(conn, body);
        if (conn->closed) {
            return;
        }
    }
    if (conn->reader.pending() > 0) {
        if (conn->partial_timer == 0) {
            std::weak_ptr<ServerCore> weak_core = shared_from_this();
            std::weak_ptr<Connection> weak_conn = conn;
            conn->partial_timer = loop_.add_timer(options_.partial_frame_timeout, [weak_core, weak_conn] {
                auto core = weak_core.lock();
                auto c = weak_conn.lock();
                if (core && c) {
                    c->partial_timer = 0;
                    GGL_LOGW("%s: client pid %d left a frame unfinished; closing", core->service_.c_str(),
                             static_cast<int>(c->peer.pid));
                    core->close_connection(c, nullptr);
                }
            });
        }
    } else if (conn->partial_timer != 0) {
        loop_.cancel_timer(conn->partial_timer);
        conn->partial_timer = 0;
    }
    if (!conn->reading_paused && conn->backlog() > options_.pause_reading_at) {
        conn->reading_paused = true;
        update_interest(conn);
    }
}
void ServerCore::mark_dirty(const std::shared_ptr<Connection>& conn) {
    if (!conn->dirty) {
        conn->dirty = true;
        dirty_.push_back(conn);
    }
}

void ServerCore::flush_dirty() {
    // Drain waiters run inside flush() and may queue more output: keep going until
    // nothing is dirty, or the loop would block with output unsent.
    while (!dirty_.empty()) {
        auto batch = std::move(dirty_);
        dirty_.clear();
        for (auto& conn : batch) {
            conn->dirty = false;
            if (!conn->closed) {
                flush(conn);
            }
        }
    }
}

void ServerCore::flush(const std::shared_ptr<Connection>& conn) {
    while (conn->out_sent < conn->out.size()) {
        ssize_t n = ::send(conn->fd.get(), conn->out.data() + conn->out_sent, conn->out.size() - conn->out_sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            close_connection(conn, nullptr);
            return;
        }
        conn->out_sent += static_cast<size_t>(n);
    }
    bool drained = conn->out_sent == conn->out.size();
    if (drained) {
        conn->out.clear();
        conn->out_sent = 0;
        if (conn->out.capacity() > (4u << 20)) {
            conn->out.shrink_to_fit();
        }
    } else if (conn->out_sent > (1u << 20)) {
        conn->out.erase(0, conn->out_sent);
        conn->out_sent = 0;
    }
    bool was_blocked = conn->writing_blocked;
    bool was_paused = conn->reading_paused;
    conn->writing_blocked = !drained;
    if (conn->reading_paused && conn->backlog() <= options_.pause_reading_at / 2) {
        conn->reading_paused = false;
    }
    if (was_blocked != conn->writing_blocked || was_paused != conn->reading_paused) {
        update_interest(conn);
    }
    if (drained && !conn->drain_waiters.empty()) {
        auto waiters = std::move(conn->drain_waiters);
        conn->drain_waiters.clear();
        for (auto& waiter : waiters) {
            waiter();
        }
    }
}

void ServerCore::update_interest(const std::shared_ptr<Connection>& conn) {
    uint32_t events =
        (conn->reading_paused ? 0u : uint32_t{EPOLLIN}) | (conn->writing_blocked ? uint32_t{EPOLLOUT} : 0u);
    (void)loop_.modify_fd(conn->fd.get(), events);
}

void ServerCore::close_connection(const std::shared_ptr<Connection>& conn, const char* reason) {
    if (conn->closed) {
        return;
    }
    conn->closed = true;
    if (reason) {
        GGL_LOGW("%s: closing client pid %d: %s", service_.c_str(), static_cast<int>(conn->peer.pid), reason);
    }
    if (conn->partial_timer != 0) {
        loop_.cancel_timer(conn->partial_timer);
        conn->partial_timer = 0;
    }
    int fd = conn->fd.get();
    loop_.remove_fd(fd);
    auto subscriptions = std::move(conn->subscriptions);
    conn->subscriptions.clear();
    conn->drain_waiters.clear();
    connections_.erase(fd);
    conn->fd.reset();
    for (auto& [id, state] : subscriptions) {
        state->active = false;
        state->cancelled = true;
        if (state->on_cancel) {
            auto callback = std::move(state->on_cancel);
            callback();
        }
    }
}

} // namespace ggl::bus
