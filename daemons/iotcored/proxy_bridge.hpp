// A tunnel through an HTTP proxy for libmosquitto, which speaks only SOCKS5 to proxies:
// it listens on 127.0.0.1 for one connection's SOCKS5 request, asks the HTTP proxy to
// CONNECT to the endpoint, and relays the bytes (TLS stays end to end with IoT Core).
#pragma once

#include "ggl/error.hpp"
#include "ggl/fd.hpp"
#include "ggl/http_proxy.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace ggl::iotcored {

class ProxyBridge {
public:
    // Tunnels to host:port only, through proxy.
    ProxyBridge(tls::ProxySettings proxy, std::string host, int port);
    ~ProxyBridge();
    ProxyBridge(const ProxyBridge&) = delete;
    ProxyBridge& operator=(const ProxyBridge&) = delete;

    // Listens on 127.0.0.1 and serves from a thread of its own: the port to give
    // libmosquitto as its SOCKS5 proxy.
    Result<int> start();
    void stop();

    // Why the last tunnel could not be made, in words ("the proxy http://p:3128 refused
    // CONNECT to h:8883: 407 Proxy Authentication Required"), cleared by the call.
    std::string take_error();

private:
    void serve();
    void tunnel(UniqueFd client);
    bool socks_request(int client);
    void relay(int client, int upstream, const std::string& already_read);
    void fail(const std::string& why);
    bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline);

    tls::ProxySettings proxy_;
    std::string host_;
    int port_;
    UniqueFd listener_;
    UniqueFd wake_read_;
    UniqueFd wake_write_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::mutex error_mutex_;
    std::string error_;
};

} // namespace ggl::iotcored
