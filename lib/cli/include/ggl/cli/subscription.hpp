// A subscription streamed by a command (`ggl bus subscribe`, `ggl config watch`) until
// it ends, the command has what it wants, or the user presses Ctrl-C: in the last two
// cases the subscription is cancelled on the bus, so the service sees a clean end.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <functional>
#include <string_view>

namespace ggl::cli {

// SIGINT and SIGTERM become a request to stop that stream_subscription honours (the
// blocking read is interrupted, not restarted). A second Ctrl-C ends the program at once.
void install_stop_handlers();
bool stop_requested();

// How a stream ended when it ended well.
enum class StreamEnd {
    ServerEnded, // the service ended the subscription
    Enough, // on_event returned false; cancelled
    Stopped, // SIGINT or SIGTERM; cancelled (or never accepted)
};

// Subscribes to method with params on client and calls on_event for each event until
// one of the StreamEnd reasons. accept_timeout bounds the wait for the service to
// accept; events may then take as long as they take. After a cancellation it waits up
// to accept_timeout for the service's end of the subscription (logged at debug level:
// "subscription cancelled" once confirmed). Errors: the service's rejection or
// error end (remote), TIMEOUT when not accepted in time, NOCONN and the like.
Result<StreamEnd> stream_subscription(bus::Client& client, std::string_view method, Map params,
                                      std::chrono::milliseconds accept_timeout,
                                      const std::function<bool(const Object& event)>& on_event);

} // namespace ggl::cli
