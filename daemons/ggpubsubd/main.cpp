// ggpubsubd: local publish/subscribe between components (bus service gg_pubsub); docs/bus.md.
#include "pubsub_service.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/pubsub.hpp"

#include <csignal>
#include <cstring>

using namespace ggl;

namespace {

constexpr const char* kService = services::pubsub::kService;

} // namespace

int main(int argc, char** argv) {
    pubsubd::QueueLimits limits;
    cli::ProgramOptions command_line(
        "ggpubsubd", "Serves local publish/subscribe with MQTT-style topic filters (bus service gg_pubsub). "
                     "Each subscriber has a bounded queue: what a subscriber that does not read cannot hold is "
                     "dropped, counted (gg_pubsub stats) and logged, and nobody else waits.");
    command_line.integer("--queue-messages", limits.queue_messages,
                         "Messages a subscriber's queue holds before dropping (1 to 10000000; default " +
                             std::to_string(limits.queue_messages) + ")",
                         "N", 1, 10'000'000);
    command_line.integer("--queue-bytes", limits.queue_bytes,
                         "Bytes a subscriber's queue holds before dropping (1024 to 4294967296; default " +
                             std::to_string(limits.queue_bytes) + ")",
                         "BYTES", 1024, int64_t{1} << 32);
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }

    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }
    bus::Server server(loop, kService, GGL_VERSION);
    pubsubd::PubsubService service(server, limits);
    if (auto listening = server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", kService, listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("ggpubsubd %s serving %s (queue: %zu messages, %zu bytes per subscriber)", GGL_VERSION,
             server.socket_path().c_str(), limits.queue_messages, limits.queue_bytes);
    bool ran = daemon::serve(loop);
    // Before the service goes: closing ends the subscriptions it tracks.
    server.close();
    if (!ran) {
        return 1;
    }
    return 0;
}
