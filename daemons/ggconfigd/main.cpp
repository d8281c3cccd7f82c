// ggconfigd: serves the configuration tree (gg_config) from sqlite; DESIGN §5.
#include "config_service.hpp"
#include "startup_config.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"

#include <CLI/CLI.hpp>
#include <systemd/sd-daemon.h>

#include <csignal>

using namespace ggl;

namespace {

constexpr const char* kService = "gg_config";

bool stop_on_signals(EventLoop& loop) {
    for (int sig : {SIGTERM, SIGINT}) {
        if (auto handled = loop.on_signal(sig, [&loop] { loop.stop(); }); !handled) {
            GGL_LOGE("cannot handle signal %d: %s", sig, handled.error().to_string().c_str());
            return false;
        }
    }
    return true;
}

// Two connections to one file: the loop's reader never waits on the writer's fsync.
bool open_store(const std::string& db, std::unique_ptr<config::ConfigStore>& reader,
                std::unique_ptr<config::ConfigStore>& writer) {
    config::OpenOptions options;
    options.verify_integrity = true;
    auto opened_writer = config::ConfigStore::open(db, options);
    if (!opened_writer) {
        GGL_LOGE("%s", opened_writer.error().message.c_str());
        return false;
    }
    options.verify_integrity = false;
    auto opened_reader = config::ConfigStore::open(db, options);
    if (!opened_reader) {
        GGL_LOGE("%s", opened_reader.error().message.c_str());
        return false;
    }
    writer = std::move(*opened_writer);
    reader = std::move(*opened_reader);
    return true;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Serves the ggl configuration tree (bus service gg_config) from $GGL_CONFIG_DB; "
                 "loads $GGL_CONFIG_DIR/config.yaml and config.d/ at start.",
                 "ggconfigd"};
    app.set_version_flag("--version", GGL_VERSION);
    CLI11_PARSE(app, argc, argv);

    EventLoop loop;
    // Before anything starts a thread, so that the signals reach only the loop.
    if (!stop_on_signals(loop)) {
        return 1;
    }

    std::unique_ptr<config::ConfigStore> reader;
    std::unique_ptr<config::ConfigStore> writer;
    if (!open_store(env::config_db(), reader, writer)) {
        return 1;
    }
    configd::load_startup_config(*writer, env::config_dir());

    bus::Server server(loop, kService, GGL_VERSION);
    configd::ConfigService service(loop, server, std::move(reader), std::move(writer));
    if (auto listening = server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", kService, listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("ggconfigd %s serving %s on %s", GGL_VERSION, env::config_db().c_str(), server.socket_path().c_str());
    sd_notify(0, "READY=1");

    auto ran = loop.run();
    sd_notify(0, "STOPPING=1");
    server.close();
    if (!ran) {
        GGL_LOGE("event loop failed: %s", ran.error().to_string().c_str());
        return 1;
    }
    return 0;
}
