// The Greengrass IPC server: a Unix socket speaking event-stream RPC, one state machine
// per client connection (CONNECT, then operation streams), on one event loop.
#pragma once

#include "operations.hpp"

#include "ggl/event_loop.hpp"
#include "ggl/event_stream.hpp"
#include "ggl/fd.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ggl::ipc {

struct ServerOptions {
    size_t max_message_size = event_stream::kDefaultMaxMessageSize;
    size_t max_connections = 1024;
    // A client whose unread output exceeds this is not read from until it catches up.
    size_t pause_reading_at = 1u << 20;
    // Stream events beyond this much unread output are dropped (and counted).
    size_t max_backlog = 8u << 20;
    // A client that has not sent CONNECT by then is disconnected.
    std::chrono::milliseconds connect_timeout{10000};
};

class Connection;

class IpcServer {
public:
    IpcServer(EventLoop& loop, const OperationTable& operations, Services& services, ServerOptions options = {});
    ~IpcServer();
    IpcServer(const IpcServer&) = delete;
    IpcServer& operator=(const IpcServer&) = delete;

    // Binds path (replacing a stale socket file) with mode 0666: any local process may
    // connect; what it may do comes from the token it presents.
    Result<void> listen(const std::string& path);
    void close();
    size_t connection_count() const { return connections_.size(); }
    const std::string& socket_path() const { return path_; }

private:
    friend class Connection;
    void on_accept();
    void remove(int fd);
    void flush_dirty();

    EventLoop& loop_;
    const OperationTable& operations_;
    Services& services_;
    ServerOptions options_;
    UniqueFd listen_fd_;
    std::string path_;
    std::unordered_map<int, std::shared_ptr<Connection>> connections_;
    // Connections with output queued this loop turn, flushed before the loop waits.
    std::vector<std::shared_ptr<Connection>> dirty_;
    // Expires with the server: the loop's before-wait hook checks it.
    std::shared_ptr<IpcServer*> self_ = std::make_shared<IpcServer*>(this);
};

} // namespace ggl::ipc
