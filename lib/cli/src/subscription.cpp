// Streaming a bus subscription with a clean cancel on Ctrl-C or when enough was seen.
#include "ggl/cli/subscription.hpp"

#include "ggl/log.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>

namespace ggl::cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void ggl_cli_request_stop(int) {
    stop_flag = 1;
    // The signal may land just before the client blocks in recv and so not interrupt
    // it; the alarm interrupts it a moment later in that case.
    ::alarm(1);
}

extern "C" void ggl_cli_ignore_alarm(int) {}

bool interrupted(const Error& error) { return error.code == ErrorCode::Retry && !error.remote; }

// Cancels the subscription and waits (bounded) for its end, so that the service sees a
// clean cancellation rather than a client that vanished. Either way the command got
// what it wanted, so the outcome is `end`.
StreamEnd cancel_and_finish(bus::Client& client, uint64_t id, milliseconds timeout, StreamEnd end) {
    if (auto queued = client.cancel(id); !queued) {
        GGL_LOGD("cannot cancel: %s; closing the connection instead", queued.error().to_string().c_str());
        return end;
    }
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            GGL_LOGD("no end from the server after the cancellation; leaving anyway");
            return end;
        }
        auto reply = client.receive(left);
        if (!reply) {
            if (interrupted(reply.error())) {
                continue;
            }
            GGL_LOGD("after the cancellation: %s", reply.error().to_string().c_str());
            return end;
        }
        if (reply->id == id && reply->kind == bus::ReplyKind::End) {
            GGL_LOGD("subscription cancelled");
            return end;
        }
        // Events already on their way when the cancellation left are not wanted.
    }
}

} // namespace

// Without SA_RESTART, a signal makes the client's blocking read return (as RETRY), so
// the stream sees the request and cancels. SA_RESETHAND: a second Ctrl-C while the
// cancellation is under way ends the program at once.
void install_stop_handlers() {
    struct sigaction stop {};
    stop.sa_handler = ggl_cli_request_stop;
    sigemptyset(&stop.sa_mask);
    stop.sa_flags = SA_RESETHAND;
    ::sigaction(SIGINT, &stop, nullptr);
    ::sigaction(SIGTERM, &stop, nullptr);

    struct sigaction wake {};
    wake.sa_handler = ggl_cli_ignore_alarm;
    sigemptyset(&wake.sa_mask);
    ::sigaction(SIGALRM, &wake, nullptr);
}

bool stop_requested() { return stop_flag != 0; }

Result<StreamEnd> stream_subscription(bus::Client& client, std::string_view method, Map params,
                                      milliseconds accept_timeout,
                                      const std::function<bool(const Object& event)>& on_event) {
    auto id = client.send(bus::Op::Subscribe, method, std::move(params));
    if (!id) {
        return std::move(id).error();
    }
    if (auto flushed = client.flush(); !flushed) {
        return std::move(flushed).error();
    }
    auto accept_deadline = Clock::now() + accept_timeout;
    bool accepted = false;
    for (;;) {
        if (stop_requested()) {
            return accepted ? cancel_and_finish(client, *id, accept_timeout, StreamEnd::Stopped) : StreamEnd::Stopped;
        }
        milliseconds wait{-1};
        if (!accepted) {
            wait = std::chrono::ceil<milliseconds>(accept_deadline - Clock::now());
            if (wait.count() <= 0) {
                return make_error(ErrorCode::Timeout, "no answer from " + client.path() + " in time");
            }
        }
        auto reply = client.receive(wait);
        if (!reply) {
            if (interrupted(reply.error())) {
                continue;
            }
            return std::move(reply).error();
        }
        if (reply->id != *id) {
            continue;
        }
        switch (reply->kind) {
        case bus::ReplyKind::Accepted: accepted = true; break;
        case bus::ReplyKind::Error: return reply->error;
        case bus::ReplyKind::Event:
            accepted = true;
            if (!on_event(reply->value)) {
                return cancel_and_finish(client, *id, accept_timeout, StreamEnd::Enough);
            }
            break;
        case bus::ReplyKind::End:
            if (reply->error.code != ErrorCode::Ok) {
                return reply->error;
            }
            return StreamEnd::ServerEnded;
        case bus::ReplyKind::Result: break; // not part of a subscription
        }
    }
}

} // namespace ggl::cli
