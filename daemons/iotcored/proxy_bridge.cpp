// The SOCKS5-to-HTTP-CONNECT bridge: SOCKS5 (RFC 1928, no authentication) from
// libmosquitto on loopback, HTTP CONNECT (RFC 9110 §9.3.6) to the proxy, then a relay.
#include "proxy_bridge.hpp"

#include "ggl/aws_endpoint.hpp"
#include "ggl/log.hpp"
#include "ggl/text.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ggl::iotcored {

namespace {

// How long the proxy may take to connect and to answer CONNECT, and libmosquitto to
// send its SOCKS5 request.
constexpr std::chrono::seconds kProxyTimeout{10};

} // namespace

ProxyBridge::ProxyBridge(tls::ProxySettings proxy, std::string host, int port)
    : proxy_(std::move(proxy)), host_(std::move(host)), port_(port) {}

ProxyBridge::~ProxyBridge() { stop(); }

Result<int> ProxyBridge::start() {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        return make_error(ErrorCode::Failure, std::string("proxy bridge: pipe: ") + std::strerror(errno));
    }
    wake_read_ = UniqueFd(pipe_fds[0]);
    wake_write_ = UniqueFd(pipe_fds[1]);
    listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 1) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return make_error(ErrorCode::Failure,
                          std::string("proxy bridge: cannot listen on 127.0.0.1: ") + std::strerror(errno));
    }
    stopping_ = false;
    thread_ = std::thread([this] { serve(); });
    return static_cast<int>(ntohs(address.sin_port));
}

void ProxyBridge::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    char byte = 0;
    (void)!::write(wake_write_.get(), &byte, 1);
    thread_.join();
}

std::string ProxyBridge::take_error() {
    std::lock_guard lock(error_mutex_);
    return std::exchange(error_, {});
}

void ProxyBridge::fail(const std::string& why) {
    std::lock_guard lock(error_mutex_);
    error_ = why;
}

// Until fd is readable (true), or the deadline passes or a stop comes (false).
bool ProxyBridge::wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
    while (!stopping_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
        int ready = ::poll(fds, 2, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) return false;
        if (ready > 0 && fds[1].revents != 0) return false;
        if (ready > 0 && fds[0].revents != 0) return true;
    }
    return false;
}

void ProxyBridge::serve() {
    while (!stopping_) {
        if (!wait_readable(listener_.get(), std::chrono::steady_clock::now() + std::chrono::hours(24))) continue;
        UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (client) tunnel(std::move(client));
    }
}

void ProxyBridge::tunnel(UniqueFd client) {
    timeval limit{static_cast<time_t>(kProxyTimeout.count()), 0};
    ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (!socks_request(client.get())) return;
    std::string already_read;
    std::string why;
    UniqueFd upstream = tls::connect_through_proxy(proxy_, host_, port_, kProxyTimeout, why, already_read,
                                                   [this] { return stopping_.load(); });
    if (!upstream) fail(why);
    // SOCKS5 reply: succeeded (0) or general failure (1), bound address 0.0.0.0:0.
    char reply[10] = {5, static_cast<char>(upstream ? 0 : 1), 0, 1, 0, 0, 0, 0, 0, 0};
    if (!tls::send_all(client.get(), std::string_view(reply, sizeof reply)) || !upstream) return;
    relay(client.get(), upstream.get(), already_read);
}

// Reads libmosquitto's greeting and CONNECT request; only the endpoint may be asked for.
bool ProxyBridge::socks_request(int client) {
    auto deadline = std::chrono::steady_clock::now() + kProxyTimeout;
    std::string data;
    // Reads until data holds n bytes.
    auto need = [&](size_t n) {
        char buffer[512];
        while (data.size() < n) {
            if (!wait_readable(client, deadline)) return false;
            ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
            if (got <= 0) return false;
            data.append(buffer, static_cast<size_t>(got));
        }
        return true;
    };
    if (!need(2) || data[0] != 5 || !need(2 + static_cast<unsigned char>(data[1]))) return false;
    data.erase(0, 2 + static_cast<unsigned char>(data[1]));
    const char no_authentication[2] = {5, 0};
    if (!tls::send_all(client, std::string_view(no_authentication, 2)) || !need(5) || data[0] != 5 || data[1] != 1)
        return false;
    std::string host;
    size_t port_at = 0;
    if (data[3] == 3) { // a domain name, as libmosquitto sends
        size_t length = static_cast<unsigned char>(data[4]);
        if (!need(5 + length + 2)) return false;
        host = data.substr(5, length);
        port_at = 5 + length;
    } else {
        return false;
    }
    int port = (static_cast<unsigned char>(data[port_at]) << 8) | static_cast<unsigned char>(data[port_at + 1]);
    if (!ascii_iequals(host, host_) || port != port_) {
        const char not_allowed[10] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
        tls::send_all(client, std::string_view(not_allowed, sizeof not_allowed));
        return false;
    }
    return true;
}

void ProxyBridge::relay(int client, int upstream, const std::string& already_read) {
    if (!already_read.empty() && !tls::send_all(client, already_read)) return;
    char buffer[16384];
    while (!stopping_) {
        pollfd fds[3] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[2].revents != 0) return;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents == 0) continue;
            ssize_t got = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (got <= 0 || !tls::send_all(fds[1 - i].fd, std::string_view(buffer, static_cast<size_t>(got)))) return;
        }
    }
}

} // namespace ggl::iotcored
