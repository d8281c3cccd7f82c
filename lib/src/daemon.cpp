// The shared parts of a daemon's life (daemon.hpp).
#include "ggl/daemon.hpp"

#include "ggl/log.hpp"
#include "ggl/service_manager.hpp"
#include "ggl/startup_memory.hpp"

namespace ggl::daemon {

bool prepare(EventLoop& loop) {
    loop.trim_heap_when_idle();
    if (auto handled = loop.stop_on_termination_signals(); !handled) {
        GGL_LOGE("cannot handle signals: %s", handled.error().to_string().c_str());
        return false;
    }
    return true;
}

bool serve(EventLoop& loop) {
    release_startup_memory();
    service_manager::notify("READY=1");
    auto ran = loop.run();
    service_manager::notify("STOPPING=1");
    if (!ran) {
        GGL_LOGE("event loop failed: %s", ran.error().to_string().c_str());
        return false;
    }
    return true;
}

} // namespace ggl::daemon
