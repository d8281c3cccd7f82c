// iotcored: the device's MQTT connection to AWS IoT Core (bus service aws_iot_mqtt);
// docs/iot-core.md.
#include "config_watch.hpp"
#include "iot_service.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"

#include <malloc.h>
#include <mosquitto.h>

using namespace ggl;

namespace {

constexpr const char* kFooter = R"(Reads system/thingName, system/certificateFilePath, system/privateKeyPath (a file or
a pkcs11: URI), system/rootCaPath and services/aws.greengrass.NucleusLite/configuration/
{iotDataEndpoint, mqtt/port, mqtt/keepAliveTimeoutMs} from ggconfigd, and again when they
change. Port 443 offers ALPN x-amzn-mqtt-ca. Until they are all set it serves, connected
false, and `ggl iot status` names what is missing.

Environment: GGL_RUNTIME_DIR.)";

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
        bus::Server server(loop, services::iot_mqtt::kService, GGL_VERSION);
        iotcored::IotService service(loop, server, backoff);
        iotcored::ConfigWatch config(
            loop, [&service](std::optional<iotcored::IotSettings> settings, std::string why_not) {
                if (!settings) {
                    GGL_LOGW("%s", why_not.c_str());
                }
                if (auto configured = service.configure(std::move(settings), std::move(why_not)); !configured) {
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
