// The shared parts of a daemon's life (daemon.hpp).
#include "ggl/daemon.hpp"

#include "ggl/heap.hpp"
#include "ggl/log.hpp"
#include "ggl/service_manager.hpp"

#include <chrono>

namespace ggl::daemon {

bool prepare(EventLoop& loop) {
    loop.on_idle(std::chrono::seconds(1), trim_heap);
    if (auto handled = loop.stop_on_termination_signals(); !handled) {
        GGL_LOGE("cannot handle signals: %s", handled.error().to_string().c_str());
        return false;
    }
    return true;
}

bool serve(EventLoop& loop) {
    trim_heap();
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
