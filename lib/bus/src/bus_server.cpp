// The core bus server: connections, frames, dispatch, subscriptions, describe.
#include "ggl/bus_server.hpp"

#include "ggl/env.hpp"
#include "ggl/log.hpp"
#include "ggl/service_manager.hpp"
#include "ggl/unix_group.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace ggl::bus {

namespace {

constexpr size_t kReadChunk = 64u << 10;

bool param_matches(ParamType type, const Object& value) {
    switch (type) {
    case ParamType::Any: return true;
    case ParamType::Null: return value.is_null();
    case ParamType::Bool: return value.is_bool();
    case ParamType::Int: return value.is_i64();
    case ParamType::Float: return value.is_f64();
    case ParamType::Number: return value.is_i64() || value.is_f64();
    case ParamType::String:
    case ParamType::Bytes: return value.is_buffer();
    case ParamType::List: return value.is_list();
    case ParamType::Map: return value.is_map();
    }
    return false;
}

Error errno_error(ErrorCode code, const std::string& what, int err) {
    return make_error(code, what + ": " + std::strerror(err));
}

} // namespace

std::string_view param_type_name(ParamType type) {
    switch (type) {
    case ParamType::Any: return "any";
    case ParamType::Null: return "null";
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::Number: return "number";
    case ParamType::String: return "string";
    case ParamType::Bytes: return "bytes";
    case ParamType::List: return "list";
    case ParamType::Map: return "map";
    }
    return "any";
}

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
    std::vector<Object> early_events;    // sent while the handler ran, before "accepted"
    std::optional<Error> early_end;      // end() while the handler ran (code Ok: plain end)
    bool cancelled = false;              // by the client, or because it went away
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

// Runs blocking handlers off the loop. Threads start on first use.
class WorkerPool {
public:
    explicit WorkerPool(unsigned threads) : size_(threads == 0 ? 1 : threads) {}
    ~WorkerPool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto& thread : threads_) {
            thread.join();
        }
    }

    void submit(std::function<void()> task) {
        {
            std::lock_guard lock(mutex_);
            tasks_.push_back(std::move(task));
            if (threads_.size() < size_ && idle_ == 0) {
                threads_.emplace_back([this] { work(); });
            }
        }
        ready_.notify_one();
    }

private:
    void work() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ++idle_;
            ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            --idle_;
            if (tasks_.empty()) {
                return;  // stopping
            }
            auto task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            task();
            lock.lock();
        }
    }

    unsigned size_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    std::vector<std::thread> threads_;
    unsigned idle_ = 0;
    bool stopping_ = false;
};

class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
    ServerCore(EventLoop& loop, std::string service, std::string version, ServerOptions options)
        : loop_(loop), service_(std::move(service)), version_(std::move(version)),
          options_(options), workers_(options.worker_threads) {
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

// ---- Call ----

Call::~Call() {
    if (state_ && !state_->notify && !state_->answered.load()) {
        fail(ErrorCode::Failure, "the handler of " + state_->method + " did not answer");
    }
}

const std::string& Call::method() const { return state_->method; }
const Map& Call::params() const { return state_->params; }
const Object* Call::param(std::string_view name) const { return state_->params.find(name); }
const PeerCredentials& Call::peer() const { return state_->peer; }
bool Call::is_notify() const { return state_->notify; }

namespace {
void deliver_answer(const std::shared_ptr<CallState>& state, Result<Object> outcome) {
    if (state->answered.exchange(true) || state->notify) {
        if (state->notify && !outcome) {
            GGL_LOGW("notify %s failed: %s", state->method.c_str(), outcome.error().to_string().c_str());
        }
        return;
    }
    if (state->loop->in_loop_thread()) {
        if (auto core = state->core.lock()) {
            core->answer(state, outcome);
        }
        return;
    }
    state->loop->post([state, outcome = std::move(outcome)] {
        if (auto core = state->core.lock()) {
            core->answer(state, outcome);
        }
    });
}
} // namespace

void Call::reply(Object result) { deliver_answer(state_, Result<Object>(std::move(result))); }
void Call::fail(Error error) { deliver_answer(state_, Result<Object>(std::move(error))); }

// ---- Subscription ----

const std::string& Subscription::method() const { return state_->method; }
const Map& Subscription::params() const { return state_->params; }
const Object* Subscription::param(std::string_view name) const { return state_->params.find(name); }
const PeerCredentials& Subscription::peer() const { return state_->peer; }
bool Subscription::active() const { return state_->active.load(); }

namespace {
template <typename Fn>
void on_loop(const std::shared_ptr<SubscriptionState>& state, Fn&& fn) {
    if (state->loop->in_loop_thread()) {
        if (auto core = state->core.lock()) {
            fn(*core);
        }
        return;
    }
    state->loop->post([state, fn = std::forward<Fn>(fn)]() mutable {
        if (auto core = state->core.lock()) {
            fn(*core);
        }
    });
}
} // namespace

void Subscription::reject(Error error) {
    if (!state_->in_handler || !state_->loop->in_loop_thread()) {
        GGL_LOGE("Subscription::reject called outside the subscribe handler of %s", state_->method.c_str());
        end(std::move(error));
        return;
    }
    if (state_->active.exchange(false)) {
        state_->rejected = std::move(error);
    }
}

bool Subscription::send(Object event) {
    if (!state_->active.load()) {
        return false;
    }
    auto state = state_;
    on_loop(state, [state, event = std::move(event)](ServerCore& core) mutable {
        core.sub_send(state, std::move(event));
    });
    return true;
}

void Subscription::end() {
    if (!state_->active.exchange(false)) {
        return;
    }
    auto state = state_;
    on_loop(state, [state](ServerCore& core) { core.sub_end(state, nullptr); });
}

void Subscription::end(Error error) {
    if (!state_->active.exchange(false)) {
        return;
    }
    auto state = state_;
    on_loop(state, [state, error = std::move(error)](ServerCore& core) { core.sub_end(state, &error); });
}

void Subscription::on_cancel(std::function<void()> callback) {
    auto state = state_;
    on_loop(state, [state, callback = std::move(callback)](ServerCore&) mutable {
        if (state->cancelled) {
            callback();  // the client left before the callback was set
        } else if (state->active.load() || state->in_handler) {
            state->on_cancel = std::move(callback);
        }
    });
}

size_t Subscription::backlog() const {
    // Read on the loop thread only; elsewhere an estimate is all anyone could use.
    if (auto conn = state_->connection.lock()) {
        return conn->backlog();
    }
    return 0;
}

void Subscription::when_drained(std::function<void()> callback) {
    auto state = state_;
    on_loop(state, [state, callback = std::move(callback)](ServerCore& core) mutable {
        core.sub_when_drained(state, std::move(callback));
    });
}

// ---- ServerCore ----

Result<void> ServerCore::listen_path(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::Invalid, "socket path \"" + path + "\" is empty or longer than " +
                                                  std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    // Make the directory (one level, as /run/greengrass is) if it is missing.
    auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            return errno_error(ErrorCode::Failure, "cannot create " + dir, errno);
        }
    }

    // A live server answers a connect; a stale file left by a crash does not.
    {
        UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            return make_error(ErrorCode::Busy, path + " is already served by another process");
        }
    }
    // Bind and listen under a temporary name, then rename into place: the socket
    // appears only once it accepts connections, and a stale one is replaced atomically.
    std::string staging = path + ".new-" + std::to_string(::getpid());
    sockaddr_un staging_addr{};
    staging_addr.sun_family = AF_UNIX;
    if (staging.size() >= sizeof staging_addr.sun_path) {
        staging = path;  // no room for a suffix: bind in place
        ::unlink(path.c_str());
    }
    std::memcpy(staging_addr.sun_path, staging.c_str(), staging.size() + 1);
    ::unlink(staging.c_str());
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        return errno_error(ErrorCode::Failure, "socket", errno);
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&staging_addr), sizeof staging_addr) != 0) {
        return errno_error(ErrorCode::Failure, "cannot bind " + staging, errno);
    }
    ::chmod(staging.c_str(), 0660);
    // Not getgrnam: it would load NSS modules (libnss_systemd) into every daemon for good.
    if (auto gid = unix_group::lookup_gid("ggcore")) {
        if (::chown(staging.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
            GGL_LOGD("cannot give %s to group ggcore: %s", path.c_str(), std::strerror(errno));
        }
    }
    if (::listen(fd.get(), SOMAXCONN) != 0) {
        int err = errno;
        ::unlink(staging.c_str());
        return errno_error(ErrorCode::Failure, "listen on " + path, err);
    }
    if (staging != path && ::rename(staging.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(staging.c_str());
        return errno_error(ErrorCode::Failure, "cannot move socket into place at " + path, err);
    }
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) {
        socket_inode_ = st.st_ino;
    }
    socket_path_ = path;
    if (auto ok = listen_fd(fd.release(), true); !ok) {
        return ok;
    }
    return {};
}

Result<void> ServerCore::listen_fd(int fd, bool owns_path) {
    listen_fd_.reset(fd);
    owns_socket_file_ = owns_path;
    std::weak_ptr<ServerCore> weak = shared_from_this();
    return loop_.add_fd(fd, EPOLLIN, [weak](uint32_t) {
        if (auto core = weak.lock()) {
            core->on_accept();
        }
    });
}

void ServerCore::close() {
    if (listen_fd_) {
        loop_.remove_fd(listen_fd_.get());
        listen_fd_.reset();
        struct stat st{};
        if (owns_socket_file_ && ::stat(socket_path_.c_str(), &st) == 0 && st.st_ino == socket_inode_) {
            ::unlink(socket_path_.c_str());
        }
    }
    auto connections = connections_;
    for (auto& [fd, conn] : connections) {
        close_connection(conn, nullptr);
    }
}

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
            GGL_LOGW("%s: refusing a client: %zu connections already open", service_.c_str(),
                     connections_.size());
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

void ServerCore::handle_frame(const std::shared_ptr<Connection>& conn, std::string_view body) {
    uint64_t id = 0;
    auto request = decode_request(body, id);
    if (!request) {
        GGL_LOGD("%s: bad request from pid %d: %s", service_.c_str(), static_cast<int>(conn->peer.pid),
                 request.error().message.c_str());
        append_error(conn->out, id, request.error());
        mark_dirty(conn);
        return;
    }
    handle_request(conn, std::move(*request));
}

void ServerCore::handle_request(const std::shared_ptr<Connection>& conn, Request request) {
    if (request.op == Op::Cancel) {
        cancel_subscription(conn, request.id);
        return;
    }
    auto reply_error = [&](Error error) {
        if (request.op == Op::Notify) {
            GGL_LOGW("%s: notify %s from pid %d: %s", service_.c_str(), request.method.c_str(),
                     static_cast<int>(conn->peer.pid), error.to_string().c_str());
            return;
        }
        append_error(conn->out, request.id, error);
        mark_dirty(conn);
    };
    if (request.method == "ggl.describe") {
        if (request.op == Op::Subscribe) {
            reply_error(make_error(ErrorCode::Invalid, "ggl.describe is a call, not a subscription"));
        } else if (request.op == Op::Call) {
            if (auto ok = append_result(conn->out, request.id, describe(), options_.max_frame); !ok) {
                append_error(conn->out, request.id, ok.error());
            }
            mark_dirty(conn);
        }
        return;
    }
    auto it = methods_.find(request.method);
    if (it == methods_.end()) {
        reply_error(make_error(ErrorCode::Noentry,
                               "no method \"" + request.method.substr(0, 128) + "\" on " + service_));
        return;
    }
    const Method& method = it->second;
    for (const auto& param : method.spec.params) {
        const Object* value = request.params.find(param.name);
        if (value == nullptr) {
            if (param.required) {
                reply_error(make_error(ErrorCode::Invalid, request.method + ": missing required param \"" +
                                                               param.name + "\""));
                return;
            }
            continue;
        }
        if (!param_matches(param.type, *value)) {
            reply_error(make_error(ErrorCode::Invalid,
                                   request.method + ": param \"" + param.name + "\" must be " +
                                       std::string(param_type_name(param.type)) + ", not " +
                                       std::string(type_name(value->type()))));
            return;
        }
    }
    if (method.kind == MethodKind::Subscribe) {
        if (request.op != Op::Subscribe) {
            reply_error(make_error(ErrorCode::Invalid, request.method + " is a subscription; use subscribe"));
            return;
        }
        start_subscription(conn, method, std::move(request));
        return;
    }
    if (request.op == Op::Subscribe) {
        reply_error(make_error(ErrorCode::Invalid, request.method + " is a call, not a subscription"));
        return;
    }
    auto state = std::make_shared<CallState>();
    state->core = weak_from_this();
    state->connection = conn;
    state->loop = &loop_;
    state->id = request.id;
    state->notify = request.op == Op::Notify;
    state->method = std::move(request.method);
    state->params = std::move(request.params);
    state->peer = conn->peer;
    if (method.spec.dispatch == Dispatch::Worker) {
        auto handler = method.call;
        workers_.submit([handler, state] { handler(Call(state)); });
    } else {
        method.call(Call(state));
    }
}

void ServerCore::start_subscription(const std::shared_ptr<Connection>& conn, const Method& method,
                                    Request request) {
    if (conn->subscriptions.count(request.id) != 0) {
        append_error(conn->out, request.id,
                     make_error(ErrorCode::Invalid,
                                "id " + std::to_string(request.id) + " is already an active subscription"));
        mark_dirty(conn);
        return;
    }
    auto state = std::make_shared<SubscriptionState>();
    state->core = weak_from_this();
    state->connection = conn;
    state->loop = &loop_;
    state->id = request.id;
    state->method = std::move(request.method);
    state->params = std::move(request.params);
    state->peer = conn->peer;
    conn->subscriptions[state->id] = state;
    method.subscribe(Subscription(state));
    finish_subscribe_handler(conn, state);
}

void ServerCore::finish_subscribe_handler(const std::shared_ptr<Connection>& conn,
                                          const std::shared_ptr<SubscriptionState>& state) {
    state->in_handler = false;
    if (conn->closed) {
        return;
    }
    if (state->rejected) {
        conn->subscriptions.erase(state->id);
        append_error(conn->out, state->id, *state->rejected);
        mark_dirty(conn);
        return;
    }
    append_accepted(conn->out, state->id);
    auto early = std::move(state->early_events);
    for (auto& event : early) {
        if (auto ok = append_event(conn->out, state->id, event, options_.max_frame); !ok) {
            state->active = false;
            state->early_end = ok.error();
            break;
        }
    }
    if (state->early_end) {
        conn->subscriptions.erase(state->id);
        append_end(conn->out, state->id, state->early_end->code == ErrorCode::Ok ? nullptr : &*state->early_end);
    }
    mark_dirty(conn);
}

void ServerCore::sub_send(const std::shared_ptr<SubscriptionState>& state, Object event) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (state->in_handler) {
        state->early_events.push_back(std::move(event));
        return;
    }
    if (conn->subscriptions.count(state->id) == 0) {
        return;  // ended meanwhile
    }
    if (auto ok = append_event(conn->out, state->id, event, options_.max_frame); !ok) {
        GGL_LOGE("%s: ending subscription %s: %s", service_.c_str(), state->method.c_str(),
                 ok.error().message.c_str());
        state->active = false;
        conn->subscriptions.erase(state->id);
        append_end(conn->out, state->id, &ok.error());
    }
    mark_dirty(conn);
    if (conn->backlog() > options_.max_backlog) {
        GGL_LOGW("%s: client pid %d does not read its events (%zu bytes queued); closing", service_.c_str(),
                 static_cast<int>(conn->peer.pid), conn->backlog());
        close_connection(conn, nullptr);
    }
}

void ServerCore::sub_end(const std::shared_ptr<SubscriptionState>& state, const Error* error) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (state->in_handler) {
        state->early_end = error ? *error : Error{ErrorCode::Ok, "", false};
        return;
    }
    if (conn->subscriptions.erase(state->id) == 0) {
        return;
    }
    append_end(conn->out, state->id, error);
    mark_dirty(conn);
}

void ServerCore::sub_when_drained(const std::shared_ptr<SubscriptionState>& state,
                                  std::function<void()> callback) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (conn->backlog() == 0 && !conn->dirty) {
        loop_.post(std::move(callback));
        return;
    }
    conn->drain_waiters.push_back(std::move(callback));
}

void ServerCore::cancel_subscription(const std::shared_ptr<Connection>& conn, uint64_t id) {
    auto it = conn->subscriptions.find(id);
    if (it == conn->subscriptions.end()) {
        GGL_LOGD("%s: cancel of unknown subscription %llu", service_.c_str(), static_cast<unsigned long long>(id));
        return;
    }
    auto state = it->second;
    conn->subscriptions.erase(it);
    state->active = false;
    state->cancelled = true;
    append_end(conn->out, id, nullptr);
    mark_dirty(conn);
    if (state->on_cancel) {
        auto callback = std::move(state->on_cancel);
        callback();
    }
}

void ServerCore::answer(const std::shared_ptr<CallState>& state, const Result<Object>& outcome) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        GGL_LOGD("%s: %s answered after its client left", service_.c_str(), state->method.c_str());
        return;
    }
    if (outcome) {
        if (auto ok = append_result(conn->out, state->id, *outcome, options_.max_frame); !ok) {
            GGL_LOGE("%s: %s: %s", service_.c_str(), state->method.c_str(), ok.error().message.c_str());
            append_error(conn->out, state->id, ok.error());
        }
    } else {
        append_error(conn->out, state->id, outcome.error());
    }
    mark_dirty(conn);
}

Object ServerCore::describe() const {
    List methods;
    auto describe_method = [](const std::string& name, const char* kind, const std::vector<ParamSpec>& params,
                              const std::string& help) {
        List param_list;
        for (const auto& param : params) {
            param_list.emplace_back(Map{{"name", param.name},
                                        {"type", std::string(param_type_name(param.type))},
                                        {"required", param.required},
                                        {"help", param.help}});
        }
        return Object{Map{{"name", name}, {"kind", kind}, {"params", std::move(param_list)}, {"help", help}}};
    };
    methods.push_back(describe_method("ggl.describe", "call", {}, "This description of the service."));
    for (const auto& name : method_order_) {
        const Method& method = methods_.at(name);
        methods.push_back(describe_method(name, method.kind == MethodKind::Call ? "call" : "subscribe",
                                          method.spec.params, method.spec.help));
    }
    return Map{{"service", service_}, {"version", version_}, {"methods", std::move(methods)}};
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
    uint32_t events = (conn->reading_paused ? 0u : uint32_t{EPOLLIN}) | (conn->writing_blocked ? uint32_t{EPOLLOUT} : 0u);
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

// ---- Server ----

Server::Server(EventLoop& loop, std::string service, std::string version, ServerOptions options)
    : core_(std::make_shared<ServerCore>(loop, std::move(service), std::move(version), options)) {
    core_->start();
}

Server::~Server() {
    core_->close();
}

void Server::add_call(MethodSpec spec, SyncHandler handler) {
    add_async_call(std::move(spec), [handler = std::move(handler)](Call call) {
        auto outcome = handler(call);
        if (outcome) {
            call.reply(std::move(*outcome));
        } else {
            call.fail(std::move(outcome).error());
        }
    });
}

void Server::add_async_call(MethodSpec spec, AsyncHandler handler) {
    core_->add_method(ServerCore::Method{std::move(spec), MethodKind::Call, std::move(handler), {}});
}

void Server::add_subscribe(MethodSpec spec, SubscribeHandler handler) {
    core_->add_method(ServerCore::Method{std::move(spec), MethodKind::Subscribe, {}, std::move(handler)});
}

Result<void> Server::listen() {
    int found = -1;
    for (const auto& passed : service_manager::passed_sockets()) {
        if (passed.name == core_->service()) {
            found = passed.fd;
        }
    }
    if (found >= 0) {
        if (!service_manager::is_listening_unix_stream(found)) {
            return make_error(ErrorCode::Invalid, "socket-activation fd \"" + core_->service() +
                                                      "\" is not a listening Unix stream socket");
        }
        int flags = fcntl(found, F_GETFL);
        fcntl(found, F_SETFL, flags | O_NONBLOCK);
        GGL_LOGD("%s: using the socket systemd passed (fd %d)", core_->service().c_str(), found);
        return core_->listen_fd(found, false);
    }
    auto path = env::service_socket_path(core_->service());
    if (!path) {
        return std::move(path).error();
    }
    return core_->listen_path(*path);
}

Result<void> Server::listen_path(const std::string& path) { return core_->listen_path(path); }
Result<void> Server::listen_fd(int fd) { return core_->listen_fd(fd, false); }
void Server::close() { core_->close(); }
const std::string& Server::service() const { return core_->service(); }
const std::string& Server::socket_path() const { return core_->socket_path(); }
size_t Server::connection_count() const { return core_->connection_count(); }

} // namespace ggl::bus
