// networkProxy and https_proxy/no_proxy: the proxy URL parsed, the no-proxy list
// matched; and HTTP CONNECT (RFC 9110 §9.3.6) through the proxy.
#include "ggl/http_proxy.hpp"

#include "ggl/aws_endpoint.hpp"

#include "ggl/text.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace ggl::tls {

namespace {

const Object* child(const Object* map, std::string_view key) {
    if (map == nullptr || !map->is_map()) return nullptr;
    for (const auto& [name, value] : map->as_map()) {
        if (ascii_iequals(name, key)) return &value;
    }
    return nullptr;
}

std::string text_of(const Object* value) {
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::string percent_decoded(std::string_view text) {
    std::string decoded;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned value = 0;
        if (text[i] == '%' && i + 2 < text.size() &&
            std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr == text.data() + i + 3) {
            decoded.push_back(static_cast<char>(value));
            i += 2;
        } else {
            decoded.push_back(text[i]);
        }
    }
    return decoded;
}

// http://[user[:password]@]host[:port][/], or host[:port] (then http).
Result<ProxySettings> parse_url(std::string_view url, const std::string& source) {
    auto refuse = [&](const std::string& why) {
        return make_error(ErrorCode::Config, source + " '" + std::string(url) + "': " + why);
    };
    std::string_view rest = url;
    if (size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
        std::string_view name = rest.substr(0, scheme);
        if (!ascii_iequals(name, "http")) {
            return refuse("iotcored speaks to proxies in plain HTTP (CONNECT); " + std::string(name) +
                          ":// proxies are not supported, give an http:// one");
        }
        rest.remove_prefix(scheme + 3);
    }
    if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
        if (rest.substr(slash).find_first_not_of('/') != std::string_view::npos) {
            return refuse("a proxy URL has no path");
        }
        rest = rest.substr(0, slash);
    }
    ProxySettings proxy;
    if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view user = rest.substr(0, at);
        size_t colon = user.find(':');
        proxy.username = percent_decoded(user.substr(0, colon));
        if (colon != std::string_view::npos) proxy.password = percent_decoded(user.substr(colon + 1));
        rest.remove_prefix(at + 1);
    }
    std::string_view host = rest;
    if (size_t colon = rest.rfind(':');
        colon != std::string_view::npos && rest.find(']', colon) == std::string_view::npos) {
        std::string_view port = rest.substr(colon + 1);
        int number = 0;
        auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (error != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
            return refuse("the port is not a number from 1 to 65535");
        }
        proxy.port = number;
        host = rest.substr(0, colon);
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) return refuse("no proxy host");
    proxy.host = std::string(host);
    proxy.url = "http://" + std::string(rest);
    return proxy;
}

// no_proxy's rules, as curl reads them: "*" is every host; an entry is that host and
// every name under it; a leading dot is the same.
bool bypasses(std::string_view host, std::string_view list) {
    while (!list.empty()) {
        size_t comma = list.find_first_of(", ");
        std::string_view entry = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (entry.empty()) continue;
        if (entry == "*") return true;
        if (entry.front() == '.') entry.remove_prefix(1);
        if (ascii_iequals(host, entry)) return true;
        if (host.size() > entry.size() && host[host.size() - entry.size() - 1] == '.' &&
            ascii_iequals(host.substr(host.size() - entry.size()), entry)) {
            return true;
        }
    }
    return false;
}

// The longest CONNECT answer read (status line and headers).
constexpr size_t kMaxProxyAnswer = 16 * 1024;

// Whether fd becomes readable before the deadline, looking every 100 ms at stopped.
template <typename Stopped>
bool readable_before(int fd, std::chrono::steady_clock::time_point deadline, const Stopped& stopped) {
    while (!stopped() && std::chrono::steady_clock::now() < deadline) {
        pollfd wait{fd, POLLIN, 0};
        if (::poll(&wait, 1, 100) == 1) return true;
    }
    return false;
}

} // namespace

ProxyEnvironment ProxyEnvironment::of_process() {
    auto first = [](const char* a, const char* b) {
        const char* value = std::getenv(a);
        if (value == nullptr || *value == '\0') value = std::getenv(b);
        return std::string(value != nullptr ? value : "");
    };
    return ProxyEnvironment{first("https_proxy", "HTTPS_PROXY"), first("no_proxy", "NO_PROXY")};
}

Result<std::optional<ProxySettings>> proxy_for(std::string_view host, const Object* network_proxy,
                                               const ProxyEnvironment& environment) {
    const Object* configured = child(network_proxy, "proxy");
    std::string url = text_of(child(configured, "url"));
    std::string no_proxy = text_of(child(network_proxy, "noProxyAddresses"));
    std::string source = "networkProxy/proxy/url";
    if (url.empty()) {
        url = environment.https_proxy;
        source = "https_proxy";
    }
    if (url.empty()) return std::optional<ProxySettings>();
    if (no_proxy.empty()) no_proxy = environment.no_proxy;
    if (bypasses(host, no_proxy)) return std::optional<ProxySettings>();
    auto proxy = parse_url(url, source);
    if (!proxy) return std::move(proxy).error();
    if (source != "https_proxy") {
        if (std::string username = text_of(child(configured, "username")); !username.empty()) {
            proxy->username = username;
        }
        if (std::string password = text_of(child(configured, "password")); !password.empty()) {
            proxy->password = password;
        }
    }
    return std::optional<ProxySettings>(std::move(*proxy));
}

UniqueFd connect_through_proxy(const ProxySettings& proxy, const std::string& host, int port,
                               std::chrono::milliseconds timeout, std::string& why, std::string& already_read,
                               const std::function<bool()>& stop) {
    auto stopped = [&stop] { return stop && stop(); };
    std::string target = host + ":" + std::to_string(port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int error = getaddrinfo(proxy.host.c_str(), std::to_string(proxy.port).c_str(), &hints, &found); error != 0) {
        why = "the proxy " + proxy.url + " does not resolve: " + gai_strerror(error);
        return {};
    }
    UniqueFd upstream = connect_tcp(found, timeout, why, stop);
    freeaddrinfo(found);
    if (!upstream) {
        why = "cannot reach the proxy " + proxy.url + ": " + why;
        return {};
    }
    ::fcntl(upstream.get(), F_SETFL, ::fcntl(upstream.get(), F_GETFL) & ~O_NONBLOCK);
    // A write that cannot go for this long ends the tunnel rather than hold a stop.
    timeval limit{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(upstream.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    std::string request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    if (!proxy.username.empty()) {
        request += "Proxy-Authorization: Basic " + base64_encode(proxy.username + ":" + proxy.password) + "\r\n";
    }
    request += "User-Agent: ggl-iotcored\r\n\r\n";
    if (!send_all(upstream.get(), request)) {
        why = "the proxy " + proxy.url + " closed the connection before CONNECT";
        return {};
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string answer;
    size_t end = std::string::npos;
    while ((end = answer.find("\r\n\r\n")) == std::string::npos) {
        char buffer[2048];
        if (answer.size() > kMaxProxyAnswer || !readable_before(upstream.get(), deadline, stopped)) {
            why = "the proxy " + proxy.url + " did not answer CONNECT within " +
                  std::to_string(timeout.count() / 1000) + " s";
            return {};
        }
        ssize_t got = ::recv(upstream.get(), buffer, sizeof buffer, 0);
        if (got <= 0) {
            why = "the proxy " + proxy.url + " closed the connection instead of answering CONNECT";
            return {};
        }
        answer.append(buffer, static_cast<size_t>(got));
    }
    std::string status_line = answer.substr(0, answer.find("\r\n"));
    // "HTTP/1.1 200 Connection established": any 2xx opens the tunnel.
    size_t space = status_line.find(' ');
    std::string code = space == std::string::npos ? std::string() : status_line.substr(space + 1, 3);
    if (status_line.rfind("HTTP/1.", 0) != 0 || code.size() != 3 || code[0] != '2') {
        std::string said = space == std::string::npos ? status_line : status_line.substr(space + 1);
        why = "the proxy " + proxy.url + " refused CONNECT to " + target + ": " + said +
              (code == "407" ? (proxy.username.empty() ? " (no credentials were given: networkProxy/proxy/username "
                                                         "and password)"
                                                       : " (check networkProxy/proxy/username and password)")
                             : "");
        return {};
    }
    already_read = answer.substr(end + 4);
    return upstream;
}

} // namespace ggl::tls
