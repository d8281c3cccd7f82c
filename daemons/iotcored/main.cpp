// iotcored: the device's MQTT connection to AWS IoT Core (bus service aws_iot_mqtt);
// docs/iot-core.md.
#include "config_watch.hpp"
#include "iot_service.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"

#include <malloc.h>
#include <mosquitto.h>

using namespace ggl;

namespace {

constexpr const char* kFooter = R"(Reads system/thingName, system/certificateFilePath, system/privateKeyPath (a file or
a pkcs11: URI), system/rootCaPath and services/aws.greengrass.NucleusLite/configuration/
{iotDataEndpoint, mqtt/port, mqtt/keepAliveTimeoutMs, mqtt/spooler/maxSizeBytes,
mqtt/spooler/keepQos0WhenOffline} from ggconfigd, and again when they change. Port 443
offers ALPN x-amzn-mqtt-ca. Until they are all set it serves, connected false, and
`ggl iot status` names what is missing.

While IoT Core cannot be reached, QoS 1 publishes (and QoS 0 ones with
keepQos0WhenOffline) go to the offline spool, $GGL_ROOT/iotcored/spool.db, which keeps
them across restarts and sends them in order once connected.

Environment: GGL_RUNTIME_DIR, GGL_ROOT.)";

} // namespace

int main(int argc, char** argv) {
    iotcored::Backoff backoff;
    size_t base_ms = static_cast<size_t>(backoff.base.count());
    size_t cap_ms = static_cast<size_t>(backoff.cap.count());
    cli::ProgramOptions command_line("iotcored",
                                     "Keeps the device's MQTT connection to AWS IoT Core and serves it to the other "
                                     "daemons (bus service aws_iot_mqtt).",
                                     kFooter);
    command_line.integer("--backoff-base-ms", base_ms,
                         "First reconnect step: the wait is random up to it, doubling per failure "
                         "(10 to 600000; default 1000)",
                         "MS", 10, 600000);
    command_line.integer("--backoff-cap-ms", cap_ms, "Longest wait between reconnects (100 to 3600000; default 120000)",
                         "MS", 100, 3600000);
    size_t drain_rate = iotcored::IotService::DrainRate{}.per_second;
    command_line.integer("--spool-drain-rate", drain_rate,
                         "Spooled messages sent per second once connected (AWS IoT Core accepts 100 a second per "
                         "connection; 0: no limit, for a broker that has none; default 100)",
                         "N", 0, 100000);
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }
    backoff.base = std::chrono::milliseconds(base_ms);
    backoff.cap = std::chrono::milliseconds(std::max(cap_ms, base_ms));

    // One malloc arena: what the network and configuration threads allocate lies in the
    // main heap, which the idle heap trim (ggl/heap.hpp) hands back whole.
    ::mallopt(M_ARENA_MAX, 1);
    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }
    mosquitto_lib_init();
    int status = 0;
    {
        // Without a spool iotcored still serves: connected, nothing needs one.
        std::string spool_error;
        auto spool = iotcored::Spool::open(env::root_dir() + "/iotcored/spool.db");
        if (!spool) {
            spool_error = spool.error().message;
            GGL_LOGE("%s", spool_error.c_str());
        } else if ((*spool)->depth() > 0) {
            GGL_LOGI("%zu spooled messages (%llu bytes) wait for AWS IoT Core", (*spool)->depth(),
                     static_cast<unsigned long long>((*spool)->bytes()));
        }
        bus::Server server(loop, services::iot_mqtt::kService, GGL_VERSION);
        iotcored::IotService service(loop, server, backoff, spool ? std::move(*spool) : nullptr, std::move(spool_error),
                                     iotcored::IotService::DrainRate{static_cast<unsigned>(drain_rate)});
        iotcored::ConfigWatch config(loop, [&service](iotcored::IotConfiguration configuration) {
            if (!configuration.settings) {
                GGL_LOGW("%s", configuration.why_not.c_str());
            }
            if (auto configured = service.configure(std::move(configuration)); !configured) {
                GGL_LOGE("%s", configured.error().message.c_str());
            }
        });
        if (auto listening = server.listen(); !listening) {
            GGL_LOGE("%s: cannot listen: %s", services::iot_mqtt::kService, listening.error().to_string().c_str());
            status = 1;
        } else {
            config.start();
            GGL_LOGI("iotcored %s serving %s", GGL_VERSION, server.socket_path().c_str());
            status = daemon::serve(loop) ? 0 : 1;
        }
        server.close();
    }
    mosquitto_lib_cleanup();
    return status;
}
