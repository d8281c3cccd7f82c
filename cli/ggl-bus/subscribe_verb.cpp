// `ggl bus subscribe`: streams a subscription's events as JSON lines until it ends,
// --count events have arrived, or the user interrupts.
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/log.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>

namespace ggl::bus_cli {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) {
    stop_requested = 1;
    // The signal may land just before the client blocks in recv and so not interrupt
    // it; the alarm interrupts it a moment later in that case.
    ::alarm(1);
}

extern "C" void ignore_alarm(int) {}

// Without SA_RESTART, a signal makes the client's blocking read return (as RETRY), so
// the loop below sees the request and cancels. SA_RESETHAND: a second Ctrl-C while the
// cancellation is under way ends the program at once.
void install_stop_handlers() {
    struct sigaction stop{};
    stop.sa_handler = request_stop;
    sigemptyset(&stop.sa_mask);
    stop.sa_flags = SA_RESETHAND;
    ::sigaction(SIGINT, &stop, nullptr);
    ::sigaction(SIGTERM, &stop, nullptr);

    struct sigaction wake{};
    wake.sa_handler = ignore_alarm;
    sigemptyset(&wake.sa_mask);
    ::sigaction(SIGALRM, &wake, nullptr);
}

bool interrupted(const Error& error) {
    return error.code == ErrorCode::Retry && !error.remote;
}

class EventPrinter {
public:
    EventPrinter(cli::OutputFormat format, uint64_t limit)
        // JSON lines unless the user asked for pretty output.
        : style_(format == cli::OutputFormat::JsonPretty ? JsonStyle::Pretty : JsonStyle::Short),
          limit_(limit) {}

    void print(const Object& event) {
        cli::print_json(event, style_);
        ++printed_;
    }
    bool reached_limit() const { return limit_ != 0 && printed_ >= limit_; }

private:
    JsonStyle style_;
    uint64_t limit_;
    uint64_t printed_ = 0;
};

// Cancels the subscription and waits (bounded) for its end, so that the service sees
// a clean cancellation rather than a client that vanished. Either way the user got what
// was asked for, so this ends the program with success.
int cancel_and_finish(bus::Client& client, uint64_t id, milliseconds timeout) {
    if (auto queued = client.cancel(id); !queued) {
        GGL_LOGD("cannot cancel: %s; closing the connection instead", queued.error().to_string().c_str());
        return cli::kExitOk;
    }
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            GGL_LOGD("no end from the server after the cancellation; leaving anyway");
            return cli::kExitOk;
        }
        auto reply = client.receive(left);
        if (!reply) {
            if (interrupted(reply.error())) {
                continue;
            }
            GGL_LOGD("after the cancellation: %s", reply.error().to_string().c_str());
            return cli::kExitOk;
        }
        if (reply->id == id && reply->kind == bus::ReplyKind::End) {
            return cli::kExitOk;
        }
        // Events already on their way when the cancellation left are not wanted.
    }
}

} // namespace

int run_subscribe(const GlobalOptions& options, const VerbArguments& arguments) {
    auto params = params_of(arguments);
    if (!params) {
        return report_bus_error(params.error(), options);
    }
    auto client = client_for(options, arguments.service);
    if (!client) {
        return report_bus_error(client.error(), options);
    }
    const milliseconds timeout = timeout_of(options);

    install_stop_handlers();
    auto id = client->send(bus::Op::Subscribe, arguments.method, std::move(*params));
    if (!id) {
        return report_bus_error(id.error(), options);
    }
    if (auto flushed = client->flush(); !flushed) {
        return report_bus_error(flushed.error(), options);
    }

    EventPrinter printer(options.format, arguments.count);
    // --timeout bounds the wait for the server to accept; events may then take as long
    // as they take.
    auto accept_deadline = Clock::now() + timeout;
    bool accepted = false;
    for (;;) {
        if (stop_requested) {
            return accepted ? cancel_and_finish(*client, *id, timeout) : cli::kExitOk;
        }
        milliseconds wait{-1};
        if (!accepted) {
            wait = std::chrono::ceil<milliseconds>(accept_deadline - Clock::now());
            if (wait.count() <= 0) {
                auto late = make_error(ErrorCode::Timeout, "no answer from " + client->path() + " in time");
                return report_bus_error(late, options);
            }
        }
        auto reply = client->receive(wait);
        if (!reply) {
            if (interrupted(reply.error())) {
                continue;
            }
            return report_bus_error(reply.error(), options);
        }
        if (reply->id != *id) {
            continue;
        }
        switch (reply->kind) {
        case bus::ReplyKind::Accepted:
            accepted = true;
            break;
        case bus::ReplyKind::Error:
            return report_bus_error(reply->error, options);
        case bus::ReplyKind::Event:
            accepted = true;
            printer.print(reply->value);
            if (printer.reached_limit()) {
                return cancel_and_finish(*client, *id, timeout);
            }
            break;
        case bus::ReplyKind::End:
            if (reply->error.code != ErrorCode::Ok) {
                return report_bus_error(reply->error, options);
            }
            return cli::kExitOk;
        case bus::ReplyKind::Result:
            break;  // not part of a subscription; nothing to show
        }
    }
}

} // namespace ggl::bus_cli
