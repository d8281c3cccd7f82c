// The core bus client: a persistent connection to one service, with pipelining.
#pragma once

#include "ggl/bus_protocol.hpp"
#include "ggl/error.hpp"
#include "ggl/fd.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace ggl::bus {

struct ClientOptions {
    std::chrono::milliseconds timeout{10000}; // for connect and for each call
    size_t max_frame = 0; // 0: GGL_BUS_MAX_FRAME or 4 MiB
};

// Not thread-safe: one thread owns a Client. Connects on first use and again after
// the connection was lost; a request already sent when the server went away fails
// with NOCONN, a request that could not be written at all is sent on a new connection.
class Client {
public:
    // The service's socket under $GGL_RUNTIME_DIR.
    static Client for_service(std::string_view service, ClientOptions options = {});
    static Client for_path(std::string path, ClientOptions options = {});

    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) noexcept = default;

    Result<void> connect();
    void disconnect();
    bool connected() const { return fd_.valid(); }
    // The connected socket (-1 when not connected), for a caller that must wake a wait in
    // it from another thread: shutdown(2) on a dup() of it makes the wait return.
    int native_handle() const { return fd_.get(); }
    const std::string& path() const { return path_; }
    const ClientOptions& options() const { return options_; }

    Result<Object> call(std::string_view method, Map params);
    Result<Object> call(std::string_view method, Map params, std::chrono::milliseconds timeout);
    Result<void> notify(std::string_view method, Map params);
    // Streams events to on_event until the server ends the subscription, on_event
    // returns false (the subscription is then cancelled), or idle_timeout passes
    // without an event (TIMEOUT). A server that ends it with an error returns that
    // error; a signal interrupting the wait returns RETRY.
    Result<void> subscribe(std::string_view method, Map params,
                           const std::function<bool(const Object& event)>& on_event,
                           std::optional<std::chrono::milliseconds> idle_timeout = std::nullopt);

    // Pipelining: queue requests, then flush and receive replies in any order.
    Result<uint64_t> send(Op op, std::string_view method, Map params);
    Result<void> cancel(uint64_t subscription_id);
    Result<void> flush();
    // Flushes, then waits up to timeout (negative: no limit) for the next reply or
    // event. A signal that interrupts the wait returns RETRY, so a caller can check
    // its own flags (Ctrl-C) and wait again.
    Result<Reply> receive(std::chrono::milliseconds timeout);
    // Waits up to timeout for something to receive (a reply already read, or input on
    // the socket) without consuming it. Unlike receive(), running out of time is not an
    // error and keeps the connection: for a caller that streams events and keeps timers
    // of its own. EINTR returns false, so the caller can check its own flags.
    Result<bool> wait_readable(std::chrono::milliseconds timeout);
    // Requests sent whose final reply has not arrived.
    size_t in_flight() const { return in_flight_; }

private:
    Client(std::string path, ClientOptions options);
    Result<void> flush_or_resend();
    Result<void> write_all(std::chrono::steady_clock::time_point deadline);
    Result<Reply> read_reply(std::chrono::steady_clock::time_point deadline);
    Error connection_lost(const char* what, int err);

    std::string path_;
    ClientOptions options_;
    UniqueFd fd_;
    std::string out_;
    size_t out_sent_ = 0;
    FrameReader reader_{kDefaultMaxFrame};
    std::deque<Reply> stashed_; // replies read while waiting for another id
    uint64_t next_id_ = 1;
    size_t in_flight_ = 0;
    std::chrono::milliseconds receive_timeout_{0}; // SO_RCVTIMEO in force; 0: none
};

} // namespace ggl::bus
