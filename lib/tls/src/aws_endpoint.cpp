// IoT Core's MQTT endpoint rule and the bounded, stoppable TCP connect.
#include "ggl/aws_endpoint.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace ggl::tls {

Result<Endpoint> iot_mqtt_endpoint(std::string_view iot_data_endpoint, int mqtt_port) {
    Endpoint endpoint{std::string(iot_data_endpoint), 0, ""};
    int own_port = 0;
    // host:port, but not an IPv6 literal in brackets.
    if (size_t colon = iot_data_endpoint.rfind(':');
        colon != std::string_view::npos && iot_data_endpoint.find(']') == std::string_view::npos) {
        std::string_view text = iot_data_endpoint.substr(colon + 1);
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), own_port);
        if (error != std::errc() || end != text.data() + text.size() || own_port < 1 || own_port > 65535) {
            return make_error(ErrorCode::Config, "iotDataEndpoint '" + std::string(iot_data_endpoint) +
                                                     "' has a port that is not a number from 1 to 65535");
        }
        endpoint.host = std::string(iot_data_endpoint.substr(0, colon));
    }
    endpoint.port = own_port > 0 ? own_port : mqtt_port > 0 ? mqtt_port : kDefaultMqttPort;
    if (mqtt_port == kMqttAlpnPort || endpoint.port == kMqttAlpnPort) endpoint.alpn = kMqttAlpn;
    return endpoint;
}

UniqueFd connect_tcp(const addrinfo* addresses, std::chrono::milliseconds timeout, std::string& why,
                     const std::function<bool()>& stop) {
    auto stopped = [&stop] { return stop && stop(); };
    why = "no address to connect to";
    for (const addrinfo* address = addresses; address != nullptr && !stopped(); address = address->ai_next) {
        UniqueFd fd(::socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd) {
            why = std::strerror(errno);
            continue;
        }
        if (::connect(fd.get(), address->ai_addr, address->ai_addrlen) == 0) return fd;
        if (errno != EINPROGRESS) {
            why = std::strerror(errno);
            continue;
        }
        why = "no answer within " + std::to_string(timeout.count() / 1000) + " s";
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!stopped() && std::chrono::steady_clock::now() < deadline) {
            pollfd wait{fd.get(), POLLOUT, 0};
            if (::poll(&wait, 1, 100) != 1) continue;
            int error = 0;
            socklen_t length = sizeof error;
            ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
            if (error == 0) return fd;
            why = std::strerror(error);
            break;
        }
    }
    return UniqueFd();
}

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t written = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        data.remove_prefix(static_cast<size_t>(written));
    }
    return true;
}

} // namespace ggl::tls
