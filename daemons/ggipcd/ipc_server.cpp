// The IPC server: accepting clients, the CONNECT handshake, operation streams, and a
// bounded, non-blocking output queue per client.
#include "ipc_server.hpp"
#include "socket_send.hpp"

#include "ggl/json.hpp"
#include "ggl/log.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ggl::ipc {

namespace {
constexpr size_t kReadChunk = 64u << 10;
// Reads per wake-up of one client, so a busy client does not starve the others.
constexpr size_t kReadBudget = 256u << 10;
// Until CONNECT succeeded, frames are small: an unauthenticated client cannot make the
// server buffer megabytes.
constexpr size_t kMaxMessageBeforeConnect = 64u << 10;
} // namespace

class StreamImpl;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(IpcServer& server, UniqueFd fd)
        : server_(server), fd_(std::move(fd)),
          decoder_(std::min(server.options_.max_message_size, kMaxMessageBeforeConnect)) {}

    Result<void> start();
    // False when the message was dropped (droppable and the client is too far behind) or
    // the connection is closed.
    bool queue(const event_stream::Message& message, bool droppable);
    void forget_stream(int32_t id) { streams_.erase(id); }
    void close_now(const char* why);
    // Sends what queue() appended (the server calls it once per loop turn).
    void flush();
    bool needs_flush() const { return dirty_; }
    int fd() const { return fd_.get(); }
    const std::string& component() const { return component_; }

private:
    void on_io(uint32_t events);
    void read_input();
    void handle(event_stream::Message message);
    void handle_connect(const event_stream::Message& message);
    void handle_application(const RpcHeaders& headers, event_stream::Message message);
    void protocol_error(const std::string& why);
    void close_after_flush();
    void update_interest();
    size_t backlog() const { return out_.size() - out_sent_; }

    IpcServer& server_;
    UniqueFd fd_;
    event_stream::StreamDecoder decoder_;
    std::string out_;
    size_t out_sent_ = 0;
    uint32_t interest_ = EPOLLIN;
    bool authenticated_ = false;
    bool closing_ = false;
    bool closed_ = false;
    bool dirty_ = false; // on the server's list of connections to flush
    std::string component_;
    int32_t last_stream_id_ = 0;
    uint64_t dropped_ = 0;
    std::unordered_map<int32_t, std::shared_ptr<StreamImpl>> streams_;
};

class StreamImpl final : public Stream {
public:
    StreamImpl(std::weak_ptr<Connection> connection, int32_t id, std::string operation)
        : connection_(std::move(connection)), id_(id), response_shape_(operation + "Response") {}

    void respond(const Object& body) override {
        if (!open_) return;
        send(shape_message(id_, kTerminateStream, response_shape_, body), false);
        finish();
    }
    void accept(const Object& body) override {
        if (!open_) return;
        send(shape_message(id_, 0, response_shape_, body), false);
    }
    bool send_event(std::string_view shape, const Object& body) override {
        if (!open_) return false;
        return send(shape_message(id_, 0, shape, body), true);
    }
    void fail(const IpcError& error) override {
        if (!open_) return;
        send(error_message(id_, error), false);
        finish();
    }
    void end() override {
        if (!open_) return;
        event_stream::Message message = rpc_message(kApplicationMessage, kTerminateStream, id_);
        send(message, false);
        finish();
    }
    bool open() const override { return open_; }
    void on_close(std::function<void()> callback) override { on_close_ = std::move(callback); }

    // The client ended the stream, or the connection went away.
    void closed_by_peer() {
        if (!open_) return;
        open_ = false;
        if (auto callback = std::move(on_close_)) callback();
    }

private:
    bool send(const event_stream::Message& message, bool droppable) {
        auto connection = connection_.lock();
        return connection && connection->queue(message, droppable);
    }
    void finish() {
        open_ = false;
        on_close_ = nullptr;
        if (auto connection = connection_.lock()) connection->forget_stream(id_);
    }

    std::weak_ptr<Connection> connection_;
    int32_t id_;
    std::string response_shape_;
    bool open_ = true;
    std::function<void()> on_close_;
};

Result<void> Connection::start() {
    std::weak_ptr<Connection> weak = weak_from_this();
    if (auto added = server_.loop_.add_fd(fd_.get(), EPOLLIN,
                                          [weak](uint32_t events) {
                                              if (auto self = weak.lock()) self->on_io(events);
                                          });
        !added) {
        return added;
    }
    server_.loop_.add_timer(server_.options_.connect_timeout, [weak] {
        auto self = weak.lock();
        if (self && !self->authenticated_ && !self->closed_) {
            GGL_LOGW("IPC client on fd %d sent no CONNECT in time; disconnecting", self->fd());
            self->close_now("no CONNECT");
        }
    });
    return {};
}

void Connection::on_io(uint32_t events) {
    auto self = shared_from_this();
    if (events & EPOLLOUT) {
        flush();
        if (closed_) return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (!(interest_ & EPOLLIN) && !(events & (EPOLLHUP | EPOLLERR))) return;
        read_input();
    }
}

void Connection::read_input() {
    // One read buffer for every client: an idle connection keeps only the bytes of a
    // frame that has not fully arrived.
    static char scratch[kReadChunk];
    size_t budget = kReadBudget;
    while (!closed_ && !closing_ && budget > 0) {
        ssize_t n = ::recv(fd_.get(), scratch, sizeof scratch, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_now("read failed");
            return;
        }
        if (n == 0) {
            close_now("closed by the client");
            return;
        }
        decoder_.feed(std::string_view(scratch, static_cast<size_t>(n)));
        budget = static_cast<size_t>(n) >= budget ? 0 : budget - static_cast<size_t>(n);
        event_stream::Message message;
        for (;;) {
            auto status = decoder_.next(message);
            if (status == event_stream::StreamDecoder::Status::NeedMore) break;
            if (status == event_stream::StreamDecoder::Status::Failed) {
                protocol_error("malformed frame: " + decoder_.error().message);
                return;
            }
            handle(std::move(message));
            if (closed_ || closing_) return;
        }
        // A client that does not read its answers is not read from either.
        if (backlog() >= server_.options_.pause_reading_at) break;
    }
}

void Connection::handle(event_stream::Message message) {
    auto headers = rpc_headers(message);
    if (!headers) {
        protocol_error(headers.error().message);
        return;
    }
    if (!authenticated_) {
        if (headers->message_type != kConnect) {
            protocol_error("expected CONNECT (message type 4) first, got message type " +
                           std::to_string(headers->message_type));
            return;
        }
        handle_connect(message);
        return;
    }
    switch (headers->message_type) {
    case kPing: queue(rpc_message(kPingResponse, 0, 0), false); return;
    case kPingResponse: return;
    case kApplicationMessage:
    case kApplicationError: handle_application(*headers, std::move(message)); return;
    case kConnect: protocol_error("CONNECT on a connection already connected"); return;
    default: protocol_error("unexpected message type " + std::to_string(headers->message_type)); return;
    }
}

void Connection::handle_connect(const event_stream::Message& message) {
    auto reject = [this](const std::string& why) {
        GGL_LOGW("IPC connection refused: %s", why.c_str());
        queue(rpc_message(kConnectAck, 0, 0), false);
        close_after_flush();
    };
    const event_stream::Header* version = message.find(":version");
    if (version == nullptr || version->type != event_stream::HeaderType::String) {
        reject("CONNECT without a :version string header");
        return;
    }
    if (version->bytes != kProtocolVersion) {
        reject("CONNECT with protocol version \"" + version->bytes + "\", expected \"0.1.0\"");
        return;
    }
    auto payload = from_json(message.payload.empty() ? std::string_view("{}") : std::string_view(message.payload));
    if (!payload || !payload->is_map()) {
        reject("CONNECT payload is not a JSON object");
        return;
    }
    const Object* token = payload->as_map().find("authToken");
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
        reject("CONNECT payload has no authToken");
        return;
    }
    auto component = server_.services_.tokens->component_of(token->as_string());
    if (!component) {
        reject("authToken is not the SVCUID of any deployed component");
        return;
    }
    authenticated_ = true;
    component_ = std::move(*component);
    decoder_.set_max_message_size(server_.options_.max_message_size);
    GGL_LOGI("IPC client connected as %s", component_.c_str());
    queue(rpc_message(kConnectAck, kConnectionAccepted, 0), false);
}

void Connection::handle_application(const RpcHeaders& headers, event_stream::Message message) {
    int32_t id = headers.stream_id;
    if (id <= 0) {
        protocol_error("application message on stream id " + std::to_string(id) + " (stream ids start at 1)");
        return;
    }
    if (auto it = streams_.find(id); it != streams_.end()) {
        if (headers.flags & kTerminateStream) {
            auto stream = it->second;
            streams_.erase(it);
            stream->closed_by_peer();
        } else {
            GGL_LOGD("%s: message on open stream %d ignored (no operation takes client stream messages)",
                     component_.c_str(), id);
        }
        return;
    }
    if ((headers.flags & kTerminateStream) || id <= last_stream_id_) {
        return; // for a stream that has already ended on our side
    }
    last_stream_id_ = id;
    const event_stream::Header* operation_header = message.find("operation");
    std::string name = operation_header != nullptr && operation_header->type == event_stream::HeaderType::String
                           ? operation_header->bytes
                           : std::string();
    auto stream = std::make_shared<StreamImpl>(weak_from_this(), id, name);
    if (name.empty()) {
        stream->fail(service_error("the first message of a stream needs an operation header (string)"));
        return;
    }
    const Operation* operation = server_.operations_.find(name);
    if (operation == nullptr) {
        GGL_LOGI("%s called unsupported operation %s", component_.c_str(), name.c_str());
        stream->fail(service_error("Operation " + name + " is not supported by Greengrass"));
        return;
    }
    auto body = from_json(message.payload.empty() ? std::string_view("{}") : std::string_view(message.payload));
    if (!body || !body->is_map()) {
        stream->fail(invalid_arguments("the request of " + name + " must be a JSON object" +
                                       (body ? std::string() : ": " + body.error().message)));
        return;
    }
    streams_[id] = stream;
    GGL_LOGD("%s: %s on stream %d", component_.c_str(), name.c_str(), id);
    auto run = [operation,
                request = Request{name, component_, std::move(body->as_map()), stream, server_.services_}]() mutable {
        if (!request.stream->open()) return; // the client went away meanwhile
        operation->handler(request);
    };
    if (operation->service_id.empty()) {
        run();
    } else {
        server_.services_.access.when_ready(component_, std::move(run));
    }
}

void Connection::protocol_error(const std::string& why) {
    GGL_LOGW("IPC protocol error from %s: %s; disconnecting",
             component_.empty() ? "an unauthenticated client" : component_.c_str(), why.c_str());
    event_stream::Message message = rpc_message(kProtocolError, 0, 0);
    message.headers.push_back(event_stream::Header::string(":content-type", "application/json"));
    message.payload = to_json(Object(Map{{"message", why}}));
    queue(message, false);
    close_after_flush();
}

bool Connection::queue(const event_stream::Message& message, bool droppable) {
    if (closed_) return false;
    if (droppable && backlog() >= server_.options_.max_backlog) {
        ++dropped_;
        // Powers of two: the first drop and then ever fewer lines for a client that stays behind.
        if ((dropped_ & (dropped_ - 1)) == 0) {
            GGL_LOGW("%s reads too slowly: %llu stream events dropped so far", component_.c_str(),
                     static_cast<unsigned long long>(dropped_));
        }
        return false;
    }
    if (auto appended = event_stream::append_message(out_, message, server_.options_.max_message_size); !appended) {
        GGL_LOGW("answer to %s not sent: %s", component_.c_str(), appended.error().message.c_str());
        return false;
    }
    // Sent before the loop next waits, with whatever else this turn queued: one send for
    // a batch of answers and events rather than one per frame.
    if (!dirty_) {
        dirty_ = true;
        server_.dirty_.push_back(shared_from_this());
    }
    return true;
}

void Connection::flush() {
    dirty_ = false;
    if (!closed_ && !send_queued(fd_.get(), out_, out_sent_)) {
        close_now("write failed");
        return;
    }
    if (closed_) return;
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
        if (out_.capacity() > (16u << 10)) std::string().swap(out_);
        if (closing_) {
            close_now("closed after an error");
            return;
        }
    } else if (out_sent_ > (1u << 20) && out_sent_ * 2 > out_.size()) {
        out_.erase(0, out_sent_);
        out_sent_ = 0;
    }
    update_interest();
}

void Connection::update_interest() {
    uint32_t wanted = 0;
    if (!closing_ && backlog() < server_.options_.pause_reading_at) wanted |= EPOLLIN;
    if (backlog() > 0) wanted |= EPOLLOUT;
    if (wanted != interest_) {
        interest_ = wanted;
        (void)server_.loop_.modify_fd(fd_.get(), wanted);
    }
}

void Connection::close_after_flush() {
    closing_ = true;
    flush();
}

void Connection::close_now(const char* why) {
    if (closed_) return;
    closed_ = true;
    GGL_LOGD("IPC connection %s (%s) closed: %s", component_.c_str(), std::to_string(fd_.get()).c_str(), why);
    server_.loop_.remove_fd(fd_.get());
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, stream] : streams) stream->closed_by_peer();
    server_.remove(fd_.get()); // the caller holds a reference; the fd closes with it
}

IpcServer::IpcServer(EventLoop& loop, const OperationTable& operations, Services& services, ServerOptions options)
    : loop_(loop), operations_(operations), services_(services), options_(options) {
    loop_.add_before_wait([alive = std::weak_ptr<IpcServer*>(self_)] {
        if (auto server = alive.lock()) {
            (*server)->flush_dirty();
        }
    });
}

void IpcServer::flush_dirty() {
    while (!dirty_.empty()) {
        auto batch = std::move(dirty_);
        dirty_.clear();
        for (auto& connection : batch) {
            if (connection->needs_flush()) connection->flush();
        }
    }
}

IpcServer::~IpcServer() { close(); }

Result<void> IpcServer::listen(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::Invalid, "IPC socket path \"" + path + "\" is empty or too long");
    }
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return make_error(ErrorCode::Invalid, path + " exists and is not a socket");
        }
        ::unlink(path.c_str()); // stale, from a previous run
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        return make_error(ErrorCode::Failure, std::string("socket: ") + std::strerror(errno));
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return make_error(ErrorCode::Failure, "bind " + path + ": " + std::strerror(errno));
    }
    // Trust comes from the token, not from who may open the socket.
    if (::chmod(path.c_str(), 0666) != 0) {
        return make_error(ErrorCode::Failure, "chmod " + path + ": " + std::strerror(errno));
    }
    if (::listen(fd.get(), SOMAXCONN) != 0) {
        return make_error(ErrorCode::Failure, "listen " + path + ": " + std::strerror(errno));
    }
    if (auto added = loop_.add_fd(fd.get(), EPOLLIN, [this](uint32_t) { on_accept(); }); !added) {
        return added;
    }
    listen_fd_ = std::move(fd);
    path_ = path;
    return {};
}

void IpcServer::on_accept() {
    for (;;) {
        int client = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                GGL_LOGW("accept on %s: %s", path_.c_str(), std::strerror(errno));
            }
            return;
        }
        UniqueFd fd(client);
        if (connections_.size() >= options_.max_connections) {
            GGL_LOGW("IPC client refused: %zu connections already (the limit)", connections_.size());
            continue;
        }
        auto connection = std::make_shared<Connection>(*this, std::move(fd));
        if (auto started = connection->start(); !started) {
            GGL_LOGW("cannot watch an IPC client: %s", started.error().message.c_str());
            continue;
        }
        connections_[client] = std::move(connection);
    }
}

void IpcServer::remove(int fd) { connections_.erase(fd); }

void IpcServer::close() {
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [fd, connection] : connections) connection->close_now("server stopping");
    if (listen_fd_) {
        loop_.remove_fd(listen_fd_.get());
        listen_fd_.reset();
        ::unlink(path_.c_str());
    }
}

} // namespace ggl::ipc
