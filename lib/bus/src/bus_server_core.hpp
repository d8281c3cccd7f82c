// The bus server's inside, shared by its files: the state of a call, a subscription and a
// client's connection, and ServerCore, which owns them on the event loop.
#pragma once

#include "ggl/bus_server.hpp"
#include "ggl/env.hpp"
#include "ggl/fd.hpp"

#include "worker_pool.hpp"

#include <sys/types.h>

#include <atomic>
#include <optional>
#include <unordered_map>

namespace ggl::bus {

struct Connection;

struct CallState {
    std::weak_ptr<ServerCore> core;
    std::weak_ptr<Connection> connection;
    EventLoop* loop = nullptr;
    uint64_t id = 0;
    bool notify = false;
    std::string method;
    Map params;
    PeerCredentials peer;
    std::atomic<bool> answered{false};
};

struct SubscriptionState {
    std::weak_ptr<ServerCore> core;
    std::weak_ptr<Connection> connection;
    EventLoop* loop = nullptr;
    uint64_t id = 0;
    std::string method;
    Map params;
    PeerCredentials peer;
    std::atomic<bool> active{true};
    // Loop-thread state.
    bool in_handler = true;
    std::optional<Error> rejected;
    std::vector<Object> early_events; // sent while the handler ran, before "accepted"
    std::optional<Error> early_end; // end() while the handler ran (code Ok: plain end)
    bool cancelled = false; // by the client, or because it went away
    std::function<void()> on_cancel;
};

struct Connection {
    UniqueFd fd;
    PeerCredentials peer;
    FrameReader reader;
    std::string out;
    size_t out_sent = 0;
    bool dirty = false;
    bool reading_paused = false;
    bool writing_blocked = false;
    bool closed = false;
    EventLoop::TimerId partial_timer = 0;
    std::unordered_map<uint64_t, std::shared_ptr<SubscriptionState>> subscriptions;
    std::vector<std::function<void()>> drain_waiters;

    explicit Connection(size_t max_frame) : reader(max_frame) {}
    size_t backlog() const { return out.size() - out_sent; }
};

class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
    ServerCore(EventLoop& loop, std::string service, std::string version, ServerOptions options)
        : loop_(loop), service_(std::move(service)), version_(std::move(version)), options_(options),
          workers_(options.worker_threads) {
        if (options_.max_frame == 0) {
            options_.max_frame = env::bus_max_frame();
        }
    }

    void start() {
        std::weak_ptr<ServerCore> weak = shared_from_this();
        loop_.add_output_flush([weak] {
            if (auto core = weak.lock()) {
                core->flush_dirty();
            }
        });
    }

    struct Method {
        MethodSpec spec;
        MethodKind kind;
        Server::AsyncHandler call;
        Server::SubscribeHandler subscribe;
    };

    void add_method(Method method) {
        std::string name = method.spec.name;
        methods_[name] = std::move(method);
        method_order_.push_back(std::move(name));
    }

    Result<void> listen_fd(int fd, bool owns_path);
    Result<void> listen_path(const std::string& path);
    void close();

    // Answers (loop thread).
    void answer(const std::shared_ptr<CallState>& state, const Result<Object>& outcome);
    void sub_send(const std::shared_ptr<SubscriptionState>& state, Object event);
    void sub_end(const std::shared_ptr<SubscriptionState>& state, const Error* error);
    void sub_when_drained(const std::shared_ptr<SubscriptionState>& state, std::function<void()> callback);

    EventLoop& loop() { return loop_; }
    const std::string& service() const { return service_; }
    const std::string& socket_path() const { return socket_path_; }
    size_t connection_count() const { return connections_.size(); }

private:
    void on_accept();
    void on_io(const std::shared_ptr<Connection>& conn, uint32_t events);
    void read_from(const std::shared_ptr<Connection>& conn);
    void handle_frame(const std::shared_ptr<Connection>& conn, std::string_view body);
    void handle_request(const std::shared_ptr<Connection>& conn, Request request);
    void start_subscription(const std::shared_ptr<Connection>& conn, const Method& method, Request request);
    void finish_subscribe_handler(const std::shared_ptr<Connection>& conn,
                                  const std::shared_ptr<SubscriptionState>& state);
    void cancel_subscription(const std::shared_ptr<Connection>& conn, uint64_t id);
    Object describe() const;
    void mark_dirty(const std::shared_ptr<Connection>& conn);
    void flush_dirty();
    void flush(const std::shared_ptr<Connection>& conn);
    void update_interest(const std::shared_ptr<Connection>& conn);
    void close_connection(const std::shared_ptr<Connection>& conn, const char* reason);

    EventLoop& loop_;
    std::string service_;
    std::string version_;
    ServerOptions options_;
    WorkerPool workers_;
    std::unordered_map<std::string, Method> methods_;
    std::vector<std::string> method_order_;
    UniqueFd listen_fd_;
    std::string socket_path_;
    bool owns_socket_file_ = false;
    ino_t socket_inode_ = 0;
    std::unordered_map<int, std::shared_ptr<Connection>> connections_;
    std::vector<std::shared_ptr<Connection>> dirty_;
};

} // namespace ggl::bus
