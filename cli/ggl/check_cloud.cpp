// ggl check's cloud checks: the data endpoint resolves, a TLS handshake with the device's
// identity succeeds (the server proven by the root CA and the host name, the device
// certificate accepted), and iotcored's connection to AWS IoT Core.
#include "check_context.hpp"

#include "ggl/aws_endpoint.hpp"
#include "ggl/bus_client.hpp"
#include "ggl/fd.hpp"
#include "ggl/http_proxy.hpp"
#include "ggl/services/iot_mqtt.hpp"
#include "ggl/tls_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <charconv>

namespace ggl::front {
namespace {

constexpr const char* kDns = "AWS IoT endpoint";
constexpr const char* kTls = "AWS IoT TLS";
constexpr const char* kMqtt = "AWS IoT MQTT";

struct AddrinfoFree {
    void operator()(addrinfo* info) const { freeaddrinfo(info); }
};
using Addresses = std::unique_ptr<addrinfo, AddrinfoFree>;

// The endpoint iotcored connects to (tls::iot_mqtt_endpoint, as iotcored decides).
std::optional<tls::Endpoint> mqtt_endpoint(Context& context, const ConfigReader& read) {
    auto endpoint = read_text(context, read, kDns, kNucleusConfiguration + "/iotDataEndpoint");
    if (!endpoint) return std::nullopt;
    int mqtt_port = 0;
    if (auto path = config::key_path_from_text(kNucleusConfiguration + "/mqtt/port")) {
        if (auto value = read(*path); value && *value && (**value).is_i64()) {
            mqtt_port = static_cast<int>((**value).as_i64());
        } else if (value && *value && (**value).is_string()) {
            std::string_view text = (**value).as_string();
            std::from_chars(text.data(), text.data() + text.size(), mqtt_port);
        }
    }
    auto where = tls::iot_mqtt_endpoint(*endpoint, mqtt_port);
    if (!where) {
        context.add(kDns, Status::Error, where.error().message, "set iotDataEndpoint to HOST or HOST:PORT");
        return std::nullopt;
    }
    return *where;
}

Addresses resolve(Context& context, const tls::Endpoint& endpoint) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    std::string port = std::to_string(endpoint.port);
    int error = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
    if (error != 0) {
        context.add(kDns, Status::Error, endpoint.host + " does not resolve: " + gai_strerror(error),
                    "check iotDataEndpoint (aws iot describe-endpoint --endpoint-type iot:Data-ATS) and the DNS "
                    "servers");
        return nullptr;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    const void* address = found->ai_family == AF_INET
                              ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
    inet_ntop(found->ai_family, address, text, sizeof text);
    context.add(kDns, Status::Ok, endpoint.host + " resolves to " + text);
    return Addresses(found);
}

// A blocking TCP connection to the endpoint (through the proxy when there is one, else
// to the first address that accepts) within the timeout, its reads and writes bounded by
// the timeout too; none with why.
UniqueFd connect_to(const tls::Endpoint& endpoint, const addrinfo* addresses,
                    const std::optional<tls::ProxySettings>& proxy, std::chrono::milliseconds timeout,
                    std::string& why) {
    std::string already_read; // a TLS server speaks second: nothing comes before the handshake
    UniqueFd fd = proxy ? tls::connect_through_proxy(*proxy, endpoint.host, endpoint.port, timeout, why, already_read)
                        : tls::connect_tcp(addresses, timeout, why);
    if (fd) {
        int flags = 0;
        ::ioctl(fd.get(), FIONBIO, &flags);
        timeval limit{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    }
    return fd;
}

// The proxy iotcored would take to the endpoint (tls::proxy_for, with ggl check's own
// environment); an error finding when networkProxy or https_proxy cannot be used.
Result<std::optional<tls::ProxySettings>> proxy_of(Context& context, const ConfigReader& read,
                                                   const std::string& host) {
    std::optional<Object> network_proxy;
    if (auto path = config::key_path_from_text(kNucleusConfiguration + "/networkProxy")) {
        if (auto value = read(*path); value && *value) network_proxy = std::move(**value);
    }
    auto proxy = tls::proxy_for(host, network_proxy ? &*network_proxy : nullptr, tls::ProxyEnvironment::of_process());
    if (!proxy) {
        context.add(kTls, Status::Error, proxy.error().message, "give an http:// proxy URL, or none");
    }
    return proxy;
}

// The handshake, then a short read: with TLS 1.3 the server refuses the device certificate
// only after the handshake, with an alert on the first read. Nothing is sent, so no MQTT
// session is opened (that would take the thing's client id from iotcored).
void check_handshake(Context& context, const tls::Identity& identity, const tls::Endpoint& endpoint,
                     const addrinfo* addresses, const std::optional<tls::ProxySettings>& proxy) {
    std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
    auto ctx = tls::client_context(identity, endpoint);
    if (!ctx) {
        context.add(kTls, Status::Error, ctx.error().message, "fix the device identity (see the checks above)");
        return;
    }
    std::string why;
    UniqueFd fd = connect_to(endpoint, addresses, proxy, context.timeout, why);
    if (!fd && proxy) {
        context.add(kTls, Status::Error, why,
                    "check networkProxy (or https_proxy) and that the proxy allows CONNECT to " + where);
        return;
    }
    if (!fd) {
        context.add(kTls, Status::Error, "cannot connect to " + where + ": " + why,
                    "check the endpoint and port (mqtt/port), and that a firewall lets TCP " +
                        std::to_string(endpoint.port) + " out");
        return;
    }
    SSL* ssl = SSL_new(ctx->get());
    SSL_set_fd(ssl, fd.get());
    SSL_set_tlsext_host_name(ssl, endpoint.host.c_str());
    tls::clear_server_verify_error();
    ERR_clear_error();
    std::string failure;
    if (SSL_connect(ssl) != 1) {
        failure = tls::take_openssl_error();
        if (failure.empty()) failure = "The connection was lost.";
    } else {
        pollfd wait{fd.get(), POLLIN, 0};
        if (::poll(&wait, 1, 500) == 1) {
            char byte;
            if (SSL_read(ssl, &byte, 1) <= 0 && SSL_get_error(ssl, 0) != SSL_ERROR_WANT_READ) {
                failure = tls::take_openssl_error();
            }
        }
    }
    std::string version = SSL_get_version(ssl);
    SSL_free(ssl);
    if (!failure.empty()) {
        context.add(kTls, Status::Error,
                    tls::describe_connect_failure(failure, tls::last_server_verify_error(), identity, endpoint),
                    "the certificate must be registered and active in this account and region, with an IoT "
                    "policy attached; the root CA must be Amazon's (system/rootCaPath)");
        return;
    }
    context.add(kTls, Status::Ok,
                version + " with " + where + (endpoint.alpn.empty() ? "" : " (ALPN " + endpoint.alpn + ")") +
                    (proxy ? " through the proxy " + proxy->url : std::string()) +
                    ": the server proved itself, the device certificate was accepted");
}

// iotcored's own view, where it answers.
void check_mqtt(Context& context) {
    if (!context.is_reachable(services::iot_mqtt::kService)) return;
    services::IotMqttClient client(bus::ClientOptions{context.timeout, 0});
    auto status = client.status();
    if (!status || !status->is_map()) {
        context.add(kMqtt, Status::Warning,
                    "iotcored did not answer status: " + (status ? std::string("not a map") : status.error().message));
        return;
    }
    const Map& map = status->as_map();
    std::string unit = "iotcored.service";
    if (bool_field(map, "connected")) {
        context.add(kMqtt, Status::Ok,
                    "iotcored is connected as " + string_field(*status, "thing_name") + " (" +
                        std::to_string(int_field(*status, "subscriptions")) + " subscriptions)");
        return;
    }
    context.add(kMqtt, Status::Error, "iotcored is not connected: " + string_field(*status, "last_error"),
                "ggl iot status; " + context.journalctl() + " " + unit);
}

} // namespace

void check_cloud(Context& context, const ConfigReader& read) {
    size_t before = context.findings.size();
    auto endpoint = mqtt_endpoint(context, read);
    if (endpoint) {
        auto proxy = proxy_of(context, read, endpoint->host);
        if (!proxy) {
            check_mqtt(context);
            return;
        }
        // Behind a proxy, the proxy resolves the endpoint (the device may not be able to).
        Addresses addresses;
        if (*proxy) {
            context.add(kDns, Status::Ok, endpoint->host + " is reached through the proxy " + (*proxy)->url);
        } else {
            addresses = resolve(context, *endpoint);
        }
        tls::Identity identity;
        bool complete = true;
        for (auto [key, into] : {std::pair{"system/certificateFilePath", &identity.certificate_path},
                                 std::pair{"system/privateKeyPath", &identity.private_key},
                                 std::pair{"system/rootCaPath", &identity.root_ca_path}}) {
            auto value = read_text(context, read, kTls, key);
            complete = complete && value.has_value();
            if (value) *into = *value;
        }
        // The module of a pkcs11: key, as the Greengrass PKCS#11 provider names it.
        if (auto path =
                config::key_path_from_text("services/aws.greengrass.crypto.Pkcs11Provider/configuration/library")) {
            if (auto value = read(*path); value && *value && (**value).is_string()) {
                identity.pkcs11_module = std::string((**value).as_string());
            }
        }
        // An incomplete identity is reported by the identity checks.
        if ((addresses || *proxy) && complete && context.findings.size() == before + 1) {
            check_handshake(context, identity, *endpoint, addresses.get(), *proxy);
        }
        check_mqtt(context);
    }
    // Without an endpoint (reported above) iotcored, which ggl.target starts, serves
    // unconnected: that is the missing endpoint, not a second problem.
}

} // namespace ggl::front
