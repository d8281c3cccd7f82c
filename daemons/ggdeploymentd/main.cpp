// ggdeploymentd: the deployment queue (gg_deployment); docs/deployments.md.
#include "deployment_service.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/deployment.hpp"

#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>

using namespace ggl;

namespace {

constexpr const char* kFooter = R"(A bootstrap step that exits 100 (restart the nucleus) counts as a success: the ggl
daemons need no restart for a component's bootstrap, so the deployment goes on. One
that exits 101 (reboot the device) leaves its deployment IN_PROGRESS in phase
awaiting-reboot with the boot id recorded, and runs the reboot command; when
ggdeploymentd starts in a new boot (another boot id) the deployment resumes after that
bootstrap step; started again in the same boot, it keeps waiting, and so do later
deployments. A deployment interrupted otherwise is rolled back at the next start.

Environment: GGL_ROOT, GGL_UNIT_DIR, GGL_SYSTEMD_SCOPE, GGL_RUNTIME_DIR;
GGL_REBOOT_COMMAND (default "systemctl reboot", run with /bin/sh -c);
GGL_BOOT_ID_PATH (default /proc/sys/kernel/random/boot_id).)";

// The command line (--help says what the daemon does); a status when it is to exit now.
std::optional<int> parse_command_line(int argc, char** argv, size_t& settle_ms) {
    cli::ProgramOptions command_line(
        "ggdeploymentd",
        "Runs deployments (bus service gg_deployment): resolves components, installs them into "
        "$GGL_ROOT/packages, writes their units to $GGL_UNIT_DIR, starts them and rolls back on "
        "failure.",
        kFooter);
    command_line.integer("--settle-ms", settle_ms,
                         "How long a component must stay RUNNING before its deployment counts it as started "
                         "(0 to 600000; default 500)",
                         "MS", 0, 600000);
    return command_line.parse(argc, argv);
}

// Where the deployer works, and how it reboots the device, from the environment.
deployment::DeployerOptions deployer_options(size_t settle_ms) {
    deployment::DeployerOptions options;
    options.root_dir = env::root_dir();
    options.unit_dir = env::unit_dir();
    options.settle = std::chrono::milliseconds(settle_ms);
    if (const char* command = std::getenv("GGL_REBOOT_COMMAND"); command != nullptr && *command != '\0') {
        options.reboot_command = command;
    }
    if (const char* path = std::getenv("GGL_BOOT_ID_PATH"); path != nullptr && *path != '\0') {
        options.boot_id_path = path;
    }
    return options;
}

} // namespace

int main(int argc, char** argv) {
    size_t settle_ms = 500;
    if (auto status = parse_command_line(argc, argv, settle_ms)) {
        return *status;
    }

    // One malloc arena: the deployment thread's garbage then lies in the main heap, which
    // the idle heap trim (ggl/heap.hpp) hands back whole (a thread's own arena keeps its
    // top).
    ::mallopt(M_ARENA_MAX, 1);
    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }

    deployment::DeployerOptions options = deployer_options(settle_ms);
    std::filesystem::path records = std::filesystem::path(options.root_dir) / "deployments";

    bus::Server server(loop, services::deployment::kService, GGL_VERSION);
    deployment::DeploymentService service(server, deployment::RecordStore(records), options);
    if (auto started = service.start(); !started) {
        GGL_LOGE("cannot use %s: %s", records.c_str(), started.error().message.c_str());
        return 1;
    }
    if (auto listening = server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", services::deployment::kService, listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("ggdeploymentd %s: store %s, units %s, socket %s", GGL_VERSION, options.root_dir.c_str(),
             options.unit_dir.c_str(), server.socket_path().c_str());
    bool ran = daemon::serve(loop);
    server.close();
    if (service.busy()) {
        // A deployment is mid-way: its record says how far it got, and the next start
        // finishes it (rolls back). Waiting here could outlast systemd's stop timeout.
        GGL_LOGW("stopping in the middle of a deployment; it is recovered at the next start");
        std::fflush(nullptr);
        ::_exit(ran ? 0 : 1);
    }
    service.stop();
    return ran ? 0 : 1;
}
