// A non-blocking core-bus connection on the event loop: calls and subscriptions to one
// service, pipelined by id, so that ggipcd serves every client from one thread.
#pragma once

#include "ggl/bus_protocol.hpp"
#include "ggl/error.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/fd.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace ggl::ipc {

class BusLink {
public:
    using ReplyHandler = std::function<void(Result<Object> result)>;
    struct SubscriptionHandlers {
        std::function<void(Result<void> accepted)> on_accepted;
        // The event is the handler's to take apart (moved from, not copied).
        std::function<void(Object& event)> on_event;
        // After acceptance: the service ended the subscription (error: why, or nullptr).
        std::function<void(const Error* error)> on_end;
    };

    BusLink(EventLoop& loop, std::string service, std::chrono::milliseconds call_timeout = std::chrono::seconds(60));
    ~BusLink();
    BusLink(const BusLink&) = delete;
    BusLink& operator=(const BusLink&) = delete;

    const std::string& service() const { return service_; }

    // Handlers run on the loop, never from inside call()/subscribe() themselves. A service
    // that is not running answers NOCONN naming the service.
    void call(std::string_view method, Map params, ReplyHandler on_reply);
    uint64_t subscribe(std::string_view method, Map params, SubscriptionHandlers handlers);
    // Cancels a subscription; its handlers are not called again.
    void cancel(uint64_t id);

private:
    struct Pending {
        bool subscription = false;
        bool accepted = false;
        ReplyHandler on_reply;
        SubscriptionHandlers handlers;
    };
    struct Deadline {
        std::chrono::steady_clock::time_point at;
        uint64_t id;
    };

    Result<void> ensure_connected();
    void send(bus::Op op, uint64_t id, std::string_view method, Map params);
    void flush();
    void on_io(uint32_t events);
    void dispatch(bus::Reply reply);
    void fail_pending(uint64_t id, const Error& error);
    void disconnect(const Error& error);
    void update_interest();
    void arm_deadline_timer();
    void forget_answered_deadlines();

    EventLoop& loop_;
    std::string service_;
    std::string path_;
    std::chrono::milliseconds call_timeout_;
    UniqueFd fd_;
    bus::FrameReader reader_;
    std::string out_;
    size_t out_sent_ = 0;
    bool want_write_ = false;
    bool flush_pending_ = false; // out_ holds requests not yet offered to the socket
    uint64_t next_id_ = 1;
    std::unordered_map<uint64_t, Pending> pending_;
    std::deque<Deadline> deadlines_; // of calls, in the order made (so in deadline order)
    EventLoop::TimerId deadline_timer_ = 0;
    // Outlives callbacks posted to the loop, which check it before touching this object.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace ggl::ipc
