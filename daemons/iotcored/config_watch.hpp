// iotcored's view of the configuration: the identity and endpoint keys read from
// ggconfigd, and read again whenever one of them changes, so that a new endpoint,
// certificate or port takes effect without a restart.
#pragma once

#include "iot_settings.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/event_loop.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    // While one lives, the destructor can wake a wait on the client's connection: it
    // shuts down a duplicate of the socket, so the thread sees the connection lost at
    // once instead of after the wait's timeout.
    class Attached {
    public:
        Attached(ConfigWatch& watch, bus::Client& client);
        ~Attached();
        Attached(const Attached&) = delete;
        Attached& operator=(const Attached&) = delete;
        // False when the watch is stopping or the client cannot connect.
        explicit operator bool() const { return fd_ >= 0; }

    private:
        ConfigWatch& watch_;
        int fd_ = -1;
    };

    void run();
    void read_and_post();

    EventLoop& loop_;
    Changed changed_;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<int> attached_; // duplicates of the connections in use (under mutex_)
    std::thread thread_;
};

} // namespace ggl::iotcored
