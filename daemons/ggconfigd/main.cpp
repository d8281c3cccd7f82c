// ggconfigd: serves the configuration tree (gg_config) from sqlite; DESIGN §5.
#include "config_service.hpp"
#include "startup_config.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"
#include "ggl/daemon_options.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/service_manager.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>

using namespace ggl;

namespace {

constexpr const char* kService = "gg_config";

void text_marker() {}

// After start-up: the heap start-up freed goes back to the kernel, and the daemon's own
// code is unmapped, so that code only start-up ran (config file parsing, schema set-up,
// the integrity check) does not stay resident. The pages stay in the page cache: what
// serving runs is mapped again at its first use, without I/O. Only the executable's
// text mapping is released: it is never written, so nothing is lost (unlike relocated
// data, which this must not touch).
void release_startup_memory() {
    ::malloc_trim(0);
    auto marker = reinterpret_cast<uintptr_t>(&text_marker);
    std::FILE* maps = std::fopen("/proc/self/maps", "re");
    if (!maps) {
        return;
    }
    char line[512];
    while (std::fgets(line, sizeof line, maps)) {
        unsigned long start = 0;
        unsigned long end = 0;
        char perms[5] = {};
        if (std::sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && marker >= start && marker < end &&
            std::strcmp(perms, "r-xp") == 0) {
            ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
            break;
        }
    }
    std::fclose(maps);
}

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
    DaemonOptions app("ggconfigd", GGL_VERSION,
                      "Serves the ggl configuration tree (bus service gg_config) from $GGL_CONFIG_DB;\n"
                      "loads $GGL_CONFIG_DIR/config.yaml and config.d/ at start.");
    if (int done = app.parse(argc, argv); done >= 0) {
        return done;
    }
    EventLoop loop;
    loop.trim_heap_when_idle();
    if (auto handled = loop.stop_on_termination_signals(); !handled) {
        GGL_LOGE("cannot handle signals: %s", handled.error().to_string().c_str());
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
    release_startup_memory();
    service_manager::notify("READY=1");

    auto ran = loop.run();
    service_manager::notify("STOPPING=1");
    server.close();
    if (!ran) {
        GGL_LOGE("event loop failed: %s", ran.error().to_string().c_str());
        return 1;
    }
    return 0;
}
