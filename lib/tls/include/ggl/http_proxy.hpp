// HTTP proxies for connections to AWS endpoints: which proxy (networkProxy from the
// configuration, else https_proxy and no_proxy from the environment), and a TCP
// connection through it with CONNECT (docs/iot-core.md).
#pragma once

#include "ggl/error.hpp"
#include "ggl/fd.hpp"
#include "ggl/object.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ggl::tls {

struct ProxySettings {
    std::string url; // as configured, without credentials: for messages
    std::string host;
    int port = 80;
    std::string username;
    std::string password;
    bool operator==(const ProxySettings&) const = default;
};

// What the environment says: https_proxy (or HTTPS_PROXY) and no_proxy (or NO_PROXY).
struct ProxyEnvironment {
    std::string https_proxy;
    std::string no_proxy;
    static ProxyEnvironment of_process();
};

// The proxy for connections to host: network_proxy ({noProxyAddresses, proxy: {url,
// username, password}}, the NucleusLite's networkProxy; may be null) when it names a
// url, else the environment's; none when there is no proxy or host is in the
// no-proxy list ("*", a host, or a domain with or without a leading dot). CONFIG naming
// the key (or variable) when the url is not an http:// proxy URL.
Result<std::optional<ProxySettings>> proxy_for(std::string_view host, const Object* network_proxy,
                                               const ProxyEnvironment& environment);

// A blocking TCP connection to host:port through the proxy (CONNECT, with Basic
// credentials when it has a username), within timeout for each step and ended early by
// stop: the tunnel, and in already_read any bytes the proxy sent after its answer; none
// with why in words ("the proxy http://p:3128 refused CONNECT to h:8883: 407 Proxy
// Authentication Required (...)", "cannot reach the proxy ...: Connection refused").
UniqueFd connect_through_proxy(const ProxySettings& proxy, const std::string& host, int port,
                               std::chrono::milliseconds timeout, std::string& why, std::string& already_read,
                               const std::function<bool()>& stop = {});

} // namespace ggl::tls
