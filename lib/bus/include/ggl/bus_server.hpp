// The core bus server: serves one service's methods on a Unix socket (docs/bus.md).
#pragma once

#include "ggl/bus_protocol.hpp"
#include "ggl/error.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/object.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ggl::bus {

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// Parameter types that `ggl.describe` advertises and the server checks before a
// handler runs. String and Bytes both accept either wire type (a "buffer").
enum class ParamType { Any, Null, Bool, Int, Float, Number, String, Bytes, List, Map };
std::string_view param_type_name(ParamType type);

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::Any;
    bool required = false;
    std::string help;
};

enum class MethodKind { Call, Subscribe }; // call methods also take notify

// Where a call handler runs: on the event loop (it must not block), or on one of the
// server's worker threads (it may block; other clients are served meanwhile).
enum class Dispatch { Loop, Worker };

struct MethodSpec {
    std::string name;
    std::vector<ParamSpec> params;
    std::string help;
    Dispatch dispatch = Dispatch::Loop;
};

struct ServerOptions {
    size_t max_frame = 0; // 0: GGL_BUS_MAX_FRAME or 4 MiB
    size_t max_connections = 1024; // further clients are refused
    size_t max_backlog = 64u << 20; // unread output after which a client is dropped
    size_t pause_reading_at = 1u << 20; // stop reading a client whose replies pile up
    std::chrono::milliseconds partial_frame_timeout{30000};
    unsigned worker_threads = 4; // started on first use of Dispatch::Worker
};

struct CallState;
struct SubscriptionState;
class ServerCore;

// A call or notify awaiting its answer. Answer once, from any thread. If it is
// destroyed unanswered, the client gets FAILURE rather than waiting forever.
class Call {
public:
    Call(Call&&) noexcept = default;
    Call& operator=(Call&&) noexcept = default;
    ~Call();

    const std::string& method() const;
    const Map& params() const;
    const Object* param(std::string_view name) const;
    const PeerCredentials& peer() const;
    bool is_notify() const;

    void reply(Object result);
    void fail(Error error);
    void fail(ErrorCode code, std::string message) { fail(make_error(code, std::move(message))); }

private:
    friend class ServerCore;
    explicit Call(std::shared_ptr<CallState> state) : state_(std::move(state)) {}
    std::shared_ptr<CallState> state_;
};

// A live subscription. Copyable handle; every member is callable from any thread.
// It is accepted when the subscribe handler returns, unless the handler rejected it.
class Subscription {
public:
    const std::string& method() const;
    const Map& params() const;
    const Object* param(std::string_view name) const;
    const PeerCredentials& peer() const;

    // Only inside the subscribe handler: refuse the subscription with an error reply.
    void reject(Error error);
    // Queues an event; false once the subscription has ended (and the event is dropped).
    bool send(Object event);
    void end();
    void end(Error error);
    bool active() const;
    // Called once on the loop thread when the client cancels or goes away
    // (not when the server ends the subscription itself).
    void on_cancel(std::function<void()> callback);
    // Bytes queued for this client and not yet written to its socket (loop thread only).
    size_t backlog() const;
    // Called once on the loop thread when that queue has been written out.
    void when_drained(std::function<void()> callback);

private:
    friend class ServerCore;
    explicit Subscription(std::shared_ptr<SubscriptionState> state) : state_(std::move(state)) {}
    std::shared_ptr<SubscriptionState> state_;
};

class Server {
public:
    Server(EventLoop& loop, std::string service, std::string version, ServerOptions options = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    using SyncHandler = std::function<Result<Object>(const Call& call)>;
    using AsyncHandler = std::function<void(Call call)>;
    using SubscribeHandler = std::function<void(Subscription subscription)>;

    // A handler that returns its answer.
    void add_call(MethodSpec spec, SyncHandler handler);
    // A handler that answers later through the Call it was given.
    void add_async_call(MethodSpec spec, AsyncHandler handler);
    void add_subscribe(MethodSpec spec, SubscribeHandler handler);

    // Socket activation first (an fd systemd passed, named after the service), else
    // binds $GGL_RUNTIME_DIR/<service> with mode 0660 (group ggcore when it exists).
    Result<void> listen();
    Result<void> listen_path(const std::string& path);
    // Takes ownership of a listening socket.
    Result<void> listen_fd(int fd);
    // Stops accepting, closes every connection and removes a socket file it created.
    void close();

    const std::string& service() const;
    const std::string& socket_path() const;
    size_t connection_count() const;

private:
    std::shared_ptr<ServerCore> core_;
};

} // namespace ggl::bus
