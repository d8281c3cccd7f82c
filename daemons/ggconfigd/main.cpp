// ggconfigd: serves the configuration tree (gg_config) from sqlite; docs/configuration.md.
#include "config_service.hpp"
#include "startup_config.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/config_store.hpp"
#include "ggl/daemon.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>

using namespace ggl;

namespace {

constexpr const char* kService = services::config::kService;

// One connection, used only on the event loop (config_service.hpp).
std::unique_ptr<config::ConfigStore> open_store(const std::string& db) {
    config::OpenOptions options;
    options.verify_integrity = true;
    options.keep_wal_file = true;
    auto opened = config::ConfigStore::open(db, options);
    if (!opened) {
        GGL_LOGE("%s", opened.error().message.c_str());
        return nullptr;
    }
    return std::move(*opened);
}

} // namespace

int main(int argc, char** argv) {
    cli::ProgramOptions command_line("ggconfigd",
                                     "Serves the ggl configuration tree (bus service gg_config) from $GGL_CONFIG_DB;\n"
                                     "loads $GGL_CONFIG_DIR/config.yaml and config.d/ at start.");
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }
    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }

    std::unique_ptr<config::ConfigStore> store = open_store(env::config_db());
    if (!store) {
        return 1;
    }
    configd::load_startup_config(*store, env::config_dir());

    bus::Server server(loop, kService, GGL_VERSION);
    configd::ConfigService service(loop, server, std::move(store));
    if (auto listening = server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", kService, listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("ggconfigd %s serving %s on %s", GGL_VERSION, env::config_db().c_str(), server.socket_path().c_str());
    bool ran = daemon::serve(loop);
    server.close();
    if (!ran) {
        return 1;
    }
    return 0;
}
