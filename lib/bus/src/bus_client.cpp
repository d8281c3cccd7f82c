// The core bus client: blocking requests with deadlines over one persistent connection.
#include "ggl/bus_client.hpp"

#include "ggl/env.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace ggl::bus {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = 64u << 10;

timeval to_timeval(milliseconds ms) {
    timeval tv{};
    if (ms.count() > 0) {
        tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    }
    return tv;
}

Clock::time_point deadline_after(milliseconds timeout) {
    if (timeout.count() < 0) {
        return Clock::time_point::max();
    }
    return Clock::now() + timeout;
}

} // namespace

Client::Client(std::string path, ClientOptions options)
    : path_(std::move(path)), options_(options),
      reader_(options.max_frame == 0 ? env::bus_max_frame() : options.max_frame) {
    if (options_.max_frame == 0) {
        options_.max_frame = reader_.max_frame();
    }
}

Client Client::for_service(std::string_view service, ClientOptions options) {
    auto path = env::service_socket_path(service);
    // An invalid name yields a path that cannot exist; connect() then names the problem.
    return Client(path ? *path : std::string(service), options);
}

Client Client::for_path(std::string path, ClientOptions options) { return Client(std::move(path), options); }

Result<void> Client::connect() {
    if (fd_) {
        return {};
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.empty() || path_.find('/') == std::string::npos || path_.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::Noconn, "cannot connect to \"" + path_ + "\": not a valid socket path");
    }
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return make_error(ErrorCode::Noconn, std::string("socket: ") + std::strerror(errno));
    }
    int rc;
    do {
        rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        return make_error(ErrorCode::Noconn, "cannot connect to " + path_ + ": " + std::strerror(errno));
    }
    timeval tv = to_timeval(options_.timeout);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    receive_timeout_ = options_.timeout;
    fd_ = std::move(fd);
    return {};
}

void Client::disconnect() {
    fd_.reset();
    out_.clear();
    out_sent_ = 0;
    reader_ = FrameReader(options_.max_frame);
    stashed_.clear();
    in_flight_ = 0;
}

Error Client::connection_lost(const char* what, int err) {
    disconnect();
    std::string message = "connection to " + path_ + " lost";
    if (what) {
        message += std::string(" (") + what + (err ? std::string(": ") + std::strerror(err) : "") + ")";
    }
    return make_error(ErrorCode::Noconn, message);
}

Result<uint64_t> Client::send(Op op, std::string_view method, Map params) {
    Request request{op, next_id_++, std::string(method), std::move(params)};
    if (auto ok = append_request(out_, request, options_.max_frame); !ok) {
        return std::move(ok).error();
    }
    if (op != Op::Notify) {
        ++in_flight_;
    }
    return request.id;
}

Result<void> Client::cancel(uint64_t subscription_id) {
    Request request{Op::Cancel, subscription_id, {}, {}};
    return append_request(out_, request, options_.max_frame);
}

Result<void> Client::flush() {
    if (out_sent_ == out_.size()) {
        return {};
    }
    if (auto ok = connect(); !ok) {
        out_.clear();
        out_sent_ = 0;
        in_flight_ = 0;
        return ok;
    }
    return write_all(deadline_after(options_.timeout));
}

Result<void> Client::write_all(Clock::time_point deadline) {
    while (out_sent_ < out_.size()) {
        ssize_t n = ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if ((errno == EAGAIN || errno == EWOULDBLOCK) && Clock::now() < deadline) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                disconnect();
                return make_error(ErrorCode::Timeout, path_ + " did not read the request in time");
            }
            return connection_lost("write", errno);
        }
        out_sent_ += static_cast<size_t>(n);
    }
    out_.clear();
    out_sent_ = 0;
    return {};
}

Result<Reply> Client::read_reply(Clock::time_point deadline) {
    for (;;) {
        std::string_view body;
        size_t declared = 0;
        auto status = reader_.next(body, declared);
        if (status == FrameReader::Status::Oversized) {
            disconnect();
            return make_error(ErrorCode::Range, "reply frame of " + std::to_string(declared) +
                                                    " bytes exceeds the limit of " +
                                                    std::to_string(options_.max_frame) + " bytes");
        }
        if (status == FrameReader::Status::Frame) {
            auto reply = decode_reply(body);
            if (!reply) {
                disconnect();
                Error error = std::move(reply).error();
                error.message = "malformed reply from " + path_ + ": " + error.message;
                return error;
            }
            if (reply->kind == ReplyKind::Result || reply->kind == ReplyKind::Error || reply->kind == ReplyKind::End) {
                if (in_flight_ > 0) {
                    --in_flight_;
                }
            }
            return reply;
        }
        // Keep each blocking read within the deadline without a syscall per read.
        milliseconds wait{-1};
        if (deadline != Clock::time_point::max()) {
            auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                disconnect();
                return make_error(ErrorCode::Timeout, "no reply from " + path_ + " in time");
            }
            wait = left;
        }
        bool reset = wait.count() < 0 ? receive_timeout_.count() > 0
                                      : (receive_timeout_.count() <= 0 || wait < receive_timeout_ * 9 / 10 ||
                                         wait > receive_timeout_);
        if (reset) {
            timeval tv = to_timeval(wait);
            ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            receive_timeout_ = wait.count() < 0 ? milliseconds{0} : wait;
        }
        char* area = reader_.write_area(kReadChunk);
        ssize_t n = ::recv(fd_.get(), area, reader_.write_space(), 0);
        if (n > 0) {
            reader_.commit(static_cast<size_t>(n));
            continue;
        }
        if (n == 0) {
            return connection_lost("closed by the server", 0);
        }
        if (errno == EINTR) {
            return make_error(ErrorCode::Retry, "interrupted");
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            continue; // the deadline check above decides
        }
        return connection_lost("read", errno);
    }
}

Result<Reply> Client::receive(milliseconds timeout) {
    if (!stashed_.empty()) {
        Reply reply = std::move(stashed_.front());
        stashed_.pop_front();
        return reply;
    }
    // A reply already read is handed out before queued requests are written, so a
    // pipelining caller sends its next requests in one batch, not one write each.
    if (fd_ && reader_.has_frame()) {
        return read_reply(deadline_after(timeout));
    }
    if (auto ok = flush(); !ok) {
        return std::move(ok).error();
    }
    if (!fd_) {
        return make_error(ErrorCode::Noconn, "not connected to " + path_);
    }
    return read_reply(deadline_after(timeout));
}

Result<bool> Client::wait_readable(milliseconds timeout) {
    if (!stashed_.empty() || (fd_ && reader_.has_frame())) {
        return true;
    }
    if (auto ok = flush(); !ok) {
        return std::move(ok).error();
    }
    if (!fd_) {
        return make_error(ErrorCode::Noconn, "not connected to " + path_);
    }
    pollfd watched{fd_.get(), POLLIN, 0};
    int ready =
        ::poll(&watched, 1, timeout.count() < 0 ? -1 : static_cast<int>(std::min<int64_t>(timeout.count(), INT32_MAX)));
    if (ready < 0) {
        if (errno == EINTR) {
            return false;
        }
        return make_error(ErrorCode::Failure, "poll on " + path_ + ": " + std::strerror(errno));
    }
    return ready > 0;
}

Result<Object> Client::call(std::string_view method, Map params) {
    return call(method, std::move(params), options_.timeout);
}

Result<Object> Client::call(std::string_view method, Map params, milliseconds timeout) {
    auto deadline = deadline_after(timeout);
    auto id = send(Op::Call, method, std::move(params));
    if (!id) {
        return std::move(id).error();
    }
    if (auto flushed = flush_or_resend(); !flushed) {
        return std::move(flushed).error();
    }
    // Replies for other requests that arrive first are kept for receive().
    for (auto it = stashed_.begin(); it != stashed_.end(); ++it) {
        if (it->id == *id && (it->kind == ReplyKind::Result || it->kind == ReplyKind::Error)) {
            Reply reply = std::move(*it);
            stashed_.erase(it);
            if (reply.kind == ReplyKind::Error) {
                return std::move(reply.error);
            }
            return std::move(reply.value);
        }
    }
    for (;;) {
        auto reply = read_reply(deadline);
        if (!reply) {
            return std::move(reply).error();
        }
        if (reply->id != *id || reply->kind == ReplyKind::Event || reply->kind == ReplyKind::Accepted ||
            reply->kind == ReplyKind::End) {
            stashed_.push_back(std::move(*reply));
            continue;
        }
        if (reply->kind == ReplyKind::Error) {
            return std::move(reply->error);
        }
        return std::move(reply->value);
    }
}

Result<void> Client::notify(std::string_view method, Map params) {
    if (auto id = send(Op::Notify, method, std::move(params)); !id) {
        return std::move(id).error();
    }
    return flush_or_resend();
}

Result<void> Client::flush_or_resend() {
    // A request the old connection refused outright never reached anyone: send it
    // once more on a new connection. One already delivered is never repeated.
    bool idle = connected() && out_sent_ == 0 && in_flight_ <= 1;
    std::string pending = idle ? out_ : std::string();
    size_t pending_in_flight = in_flight_;
    auto flushed = flush();
    if (flushed || !idle || flushed.error().code != ErrorCode::Noconn) {
        return flushed;
    }
    out_ = std::move(pending);
    in_flight_ = pending_in_flight;
    return flush();
}

Result<void> Client::subscribe(std::string_view method, Map params,
                               const std::function<bool(const Object& event)>& on_event,
                               std::optional<milliseconds> idle_timeout) {
    auto id = send(Op::Subscribe, method, std::move(params));
    if (!id) {
        return std::move(id).error();
    }
    if (auto ok = flush(); !ok) {
        return ok;
    }
    bool accepted = false;
    bool cancelled = false;
    for (;;) {
        milliseconds wait = accepted ? idle_timeout.value_or(milliseconds{-1}) : options_.timeout;
        if (cancelled) {
            wait = options_.timeout;
        }
        Result<Reply> reply = read_reply(deadline_after(wait));
        if (!reply) {
            return std::move(reply).error();
        }
        if (reply->id != *id) {
            stashed_.push_back(std::move(*reply));
            continue;
        }
        switch (reply->kind) {
        case ReplyKind::Accepted: accepted = true; break;
        case ReplyKind::Error: return std::move(reply->error);
        case ReplyKind::Event:
            if (!cancelled && !on_event(reply->value)) {
                cancelled = true;
                if (auto ok = cancel(*id); !ok) {
                    return ok;
                }
                if (auto ok = flush(); !ok) {
                    return ok;
                }
            }
            break;
        case ReplyKind::End:
            if (reply->error.code != ErrorCode::Ok) {
                return std::move(reply->error);
            }
            return {};
        case ReplyKind::Result: break;
        }
    }
}

} // namespace ggl::bus
