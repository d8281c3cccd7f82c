// gghealthd: component lifecycle states from systemd (bus service gg_health); docs/processes.md.
#include "health_service.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/health.hpp"
#include "ggl/systemd.hpp"

#include <csignal>
#include <cstring>

using namespace ggl;

namespace {

constexpr const char* kService = services::health::kService;

} // namespace

int main(int argc, char** argv) {
    cli::ProgramOptions command_line(
        "gghealthd", "Serves component lifecycle states (bus service gg_health) from the units of the service "
                     "manager chosen by GGL_SYSTEMD_SCOPE (system, or user: $XDG_RUNTIME_DIR/systemd/private).");
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }

    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }

    auto scope = systemd::scope_from_environment();
    if (!scope) {
        GGL_LOGE("%s", scope.error().message.c_str());
        return 1;
    }
    auto manager = systemd::Manager::connect(*scope);
    if (!manager) {
        GGL_LOGE("%s", manager.error().to_string().c_str());
        return 1;
    }
    // Losing the manager loses every signal: exit failed, and systemd (Restart=on-failure)
    // starts a fresh gghealthd that reads every state again.
    bool manager_lost = false;
    manager->on_disconnect([&](const Error& error) {
        GGL_LOGE("%s; exiting so that a restart reconnects", error.message.c_str());
        manager_lost = true;
        loop.stop();
    });

    bus::Server server(loop, kService, GGL_VERSION);
    healthd::HealthService service(server, *manager);
    if (auto started = service.start(loop); !started) {
        GGL_LOGE("cannot read the components' units: %s", started.error().to_string().c_str());
        return 1;
    }
    if (auto listening = server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", kService, listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("gghealthd %s serving %s (%s manager)", GGL_VERSION, server.socket_path().c_str(),
             *scope == systemd::Scope::User ? "user" : "system");
    bool ran = daemon::serve(loop);
    server.close();
    if (!ran) {
        return 1;
    }
    return manager_lost ? 1 : 0;
}
