// A non-blocking core-bus client on the event loop.
#include "bus_link.hpp"
#include "socket_send.hpp"

#include "ggl/env.hpp"
#include "ggl/log.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ggl::ipc {

namespace {
constexpr size_t kReadChunk = 64u << 10;
}

BusLink::BusLink(EventLoop& loop, std::string service, std::chrono::milliseconds call_timeout)
    : loop_(loop), service_(std::move(service)), call_timeout_(call_timeout), reader_(env::bus_max_frame()) {
    auto path = env::service_socket_path(service_);
    path_ = path ? *path : service_;
    // Requests queued during a loop turn go out together, in one send, before it waits.
    loop_.add_before_wait([this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.expired() && flush_pending_) flush();
    });
}

BusLink::~BusLink() {
    *alive_ = false;
    if (deadline_timer_ != 0) loop_.cancel_timer(deadline_timer_);
    if (fd_) loop_.remove_fd(fd_.get());
}

Result<void> BusLink::ensure_connected() {
    if (fd_) {
        return {};
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path) {
        return make_error(ErrorCode::Noconn, service_ + ": socket path too long");
    }
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        return make_error(ErrorCode::Noconn, std::string("socket: ") + std::strerror(errno));
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return make_error(ErrorCode::Noconn,
                          service_ + " is not running (cannot connect to " + path_ + ": " + std::strerror(errno) + ")");
    }
    if (auto added = loop_.add_fd(fd.get(), EPOLLIN, [this](uint32_t events) { on_io(events); }); !added) {
        return make_error(ErrorCode::Noconn, added.error().message);
    }
    fd_ = std::move(fd);
    want_write_ = false;
    reader_ = bus::FrameReader(env::bus_max_frame());
    return {};
}

void BusLink::send(bus::Op op, uint64_t id, std::string_view method, Map params) {
    bus::Request request{op, id, std::string(method), std::move(params)};
    if (auto appended = bus::append_request(out_, request, reader_.max_frame()); !appended) {
        fail_pending(id, appended.error());
        return;
    }
    flush_pending_ = true;
}

void BusLink::call(std::string_view method, Map params, ReplyHandler on_reply) {
    uint64_t id = next_id_++;
    Pending pending;
    pending.on_reply = std::move(on_reply);
    pending_.emplace(id, std::move(pending));
    if (auto connected = ensure_connected(); !connected) {
        fail_pending(id, connected.error());
        return;
    }
    deadlines_.push_back({std::chrono::steady_clock::now() + call_timeout_, id});
    if (deadline_timer_ == 0) arm_deadline_timer();
    send(bus::Op::Call, id, method, std::move(params));
}

// One loop timer for every call of the link, rather than one each (a timer costs a few
// allocations, and a busy link makes thousands of calls a second). Calls share one
// timeout, so their deadlines come in the order the calls were made.
void BusLink::arm_deadline_timer() {
    auto delay = std::chrono::ceil<std::chrono::milliseconds>(deadlines_.front().at - std::chrono::steady_clock::now());
    deadline_timer_ = loop_.add_timer(std::max(delay, std::chrono::milliseconds(0)), [this] {
        deadline_timer_ = 0;
        auto now = std::chrono::steady_clock::now();
        while (!deadlines_.empty() && deadlines_.front().at <= now) {
            uint64_t id = deadlines_.front().id;
            deadlines_.pop_front();
            if (pending_.count(id) != 0) {
                fail_pending(id, make_error(ErrorCode::Timeout, service_ + " did not answer in time"));
            }
        }
        forget_answered_deadlines();
        if (!deadlines_.empty()) arm_deadline_timer();
    });
}

// Deadlines of calls already answered, from the front: answers mostly come in order, so
// this keeps the queue as short as the calls in flight. (Behind a call that takes long,
// answered ones wait until it is answered or times out.)
void BusLink::forget_answered_deadlines() {
    while (!deadlines_.empty() && pending_.count(deadlines_.front().id) == 0) {
        deadlines_.pop_front();
    }
}

uint64_t BusLink::subscribe(std::string_view method, Map params, SubscriptionHandlers handlers) {
    uint64_t id = next_id_++;
    Pending pending;
    pending.subscription = true;
    pending.handlers = std::move(handlers);
    pending_.emplace(id, std::move(pending));
    if (auto connected = ensure_connected(); !connected) {
        fail_pending(id, connected.error());
        return id;
    }
    send(bus::Op::Subscribe, id, method, std::move(params));
    return id;
}

void BusLink::cancel(uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
        return;
    }
    pending_.erase(it);
    if (fd_) {
        bus::Request request{bus::Op::Cancel, id, {}, {}};
        if (bus::append_request(out_, request, reader_.max_frame())) {
            flush_pending_ = true;
        }
    }
}

// Removes the request and tells its owner, on a later turn of the loop.
void BusLink::fail_pending(uint64_t id, const Error& error) {
    auto it = pending_.find(id);
    if (it == pending_.end()) {
        return;
    }
    Pending pending = std::move(it->second);
    pending_.erase(it);
    forget_answered_deadlines();
    loop_.post([pending = std::move(pending), error]() mutable {
        if (!pending.subscription) {
            if (pending.on_reply) pending.on_reply(error);
        } else if (pending.accepted) {
            if (pending.handlers.on_end) pending.handlers.on_end(&error);
        } else if (pending.handlers.on_accepted) {
            pending.handlers.on_accepted(error);
        }
    });
}

void BusLink::flush() {
    flush_pending_ = false;
    if (fd_ && !send_queued(fd_.get(), out_, out_sent_)) {
        disconnect(
            make_error(ErrorCode::Noconn, "connection to " + service_ + " lost (write: " + std::strerror(errno) + ")"));
        return;
    }
    if (out_sent_ == out_.size()) {
        out_.clear();
        out_sent_ = 0;
    }
    update_interest();
}

void BusLink::update_interest() {
    if (!fd_) return;
    bool want = out_sent_ < out_.size();
    if (want != want_write_) {
        want_write_ = want;
        (void)loop_.modify_fd(fd_.get(), EPOLLIN | (want ? EPOLLOUT : 0u));
    }
}

void BusLink::on_io(uint32_t events) {
    if (events & EPOLLOUT) {
        flush();
        if (!fd_) return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        return;
    }
    char* area = reader_.write_area(kReadChunk);
    ssize_t n = ::recv(fd_.get(), area, reader_.write_space(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        disconnect(make_error(ErrorCode::Noconn, "connection to " + service_ + " lost"));
        return;
    }
    reader_.commit(static_cast<size_t>(n));
    std::weak_ptr<bool> alive = alive_;
    for (;;) {
        std::string_view body;
        size_t declared = 0;
        auto status = reader_.next(body, declared);
        if (status == bus::FrameReader::Status::NeedMore) break;
        if (status == bus::FrameReader::Status::Oversized) {
            disconnect(make_error(ErrorCode::Range, service_ + " sent a frame of " + std::to_string(declared) +
                                                        " bytes, over the limit"));
            return;
        }
        auto reply = bus::decode_reply(body);
        if (!reply) {
            disconnect(make_error(ErrorCode::Parse, "malformed reply from " + service_ + ": " + reply.error().message));
            return;
        }
        dispatch(std::move(*reply));
        if (alive.expired() || !fd_) return;
    }
}

void BusLink::dispatch(bus::Reply reply) {
    auto it = pending_.find(reply.id);
    if (it == pending_.end()) {
        return; // cancelled, or timed out
    }
    Pending& pending = it->second;
    switch (reply.kind) {
    case bus::ReplyKind::Result:
    case bus::ReplyKind::Error: {
        Pending done = std::move(pending);
        pending_.erase(it);
        forget_answered_deadlines();
        Error error = std::move(reply.error);
        if (done.subscription) {
            if (reply.kind == bus::ReplyKind::Error && done.handlers.on_accepted) {
                done.handlers.on_accepted(error);
            }
        } else if (done.on_reply) {
            if (reply.kind == bus::ReplyKind::Error) {
                done.on_reply(std::move(error));
            } else {
                done.on_reply(std::move(reply.value));
            }
        }
        return;
    }
    case bus::ReplyKind::Accepted:
        if (!pending.accepted) {
            pending.accepted = true;
            auto on_accepted = pending.handlers.on_accepted;
            if (on_accepted) on_accepted(Result<void>{});
        }
        return;
    case bus::ReplyKind::Event: {
        auto on_event = pending.handlers.on_event;
        if (on_event) on_event(reply.value);
        return;
    }
    case bus::ReplyKind::End: {
        Pending done = std::move(pending);
        pending_.erase(it);
        const Error* error = reply.error.code != ErrorCode::Ok ? &reply.error : nullptr;
        if (!done.accepted) {
            if (done.handlers.on_accepted) {
                done.handlers.on_accepted(error ? *error : make_error(ErrorCode::Failure, "subscription ended"));
            }
        } else if (done.handlers.on_end) {
            done.handlers.on_end(error);
        }
        return;
    }
    }
}

void BusLink::disconnect(const Error& error) {
    if (fd_) {
        loop_.remove_fd(fd_.get());
        fd_.reset();
    }
    out_.clear();
    out_sent_ = 0;
    want_write_ = false;
    std::vector<uint64_t> ids;
    ids.reserve(pending_.size());
    for (const auto& [id, pending] : pending_) ids.push_back(id);
    GGL_LOGW("%s", error.message.c_str());
    for (uint64_t id : ids) fail_pending(id, error);
}

} // namespace ggl::ipc
