// iotcored's view of the configuration: the identity and endpoint keys read from
// ggconfigd, and read again whenever one of them changes, so that a new endpoint,
// certificate or port takes effect without a restart.
#pragma once

#include "iot_settings.hpp"

#include "ggl/event_loop.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace ggl::iotcored {

class ConfigWatch {
public:
    // changed runs on the loop: once at start, then after each change of system/ or the
    // nucleus's configuration (a burst is one call).
    using Changed = std::function<void(IotConfiguration)>;
    ConfigWatch(EventLoop& loop, Changed changed);
    ~ConfigWatch();
    ConfigWatch(const ConfigWatch&) = delete;
    ConfigWatch& operator=(const ConfigWatch&) = delete;

    // Reads now and posts the result (from the watch thread).
    void start();

private:
    void run();
    void read_and_post();

    EventLoop& loop_;
    Changed changed_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace ggl::iotcored
