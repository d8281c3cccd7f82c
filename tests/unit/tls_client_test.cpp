// Unit tests of lib/tls: the client context's checks of the device identity (files made
// with the openssl CLI), connection failures in words, IoT Core's MQTT endpoint rule,
// the bounded TCP connect, and which HTTP proxy a connection takes.
#include "ggl/aws_endpoint.hpp"
#include "ggl/http_proxy.hpp"
#include "ggl/tls_client.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace ggl;
using namespace ggl::tls;
namespace fs = std::filesystem;

TEST_CASE("the TLS context refuses an expired certificate, a key that does not match, unreadable files") {
    fs::path dir = fs::temp_directory_path() / ("ggl-iotcored-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto openssl = [&](const std::string& args) {
        return std::system(("cd " + dir.string() + " && openssl " + args + " >/dev/null 2>&1").c_str());
    };
    REQUIRE(openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
                    "-days 2 -subj /CN=ca") == 0);
    REQUIRE(openssl("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout d.key -out d.csr "
                    "-subj /CN=thing") == 0);
    REQUIRE(openssl("x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out d.pem") == 0);
    REQUIRE(openssl("x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days -1 -out old.pem") == 0);
    REQUIRE(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key") == 0);
    Identity settings;
    settings.root_ca_path = (dir / "ca.pem").string();
    settings.certificate_path = (dir / "d.pem").string();
    settings.private_key = (dir / "d.key").string();
    Endpoint endpoint{"localhost", 8883, ""};
    CHECK(client_context(settings, endpoint).ok());
    CHECK(client_context(settings, Endpoint{"127.0.0.1", 443, "x-amzn-mqtt-ca"}).ok());

    Identity expired = settings;
    expired.certificate_path = (dir / "old.pem").string();
    auto old = client_context(expired, endpoint);
    REQUIRE_FALSE(old.ok());
    CHECK(old.error().code == ErrorCode::Config);
    CHECK(old.error().message.find("the certificate expired on") != std::string::npos);

    Identity mismatched = settings;
    mismatched.private_key = (dir / "other.key").string();
    auto mismatch = client_context(mismatched, endpoint);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().message.find("does not match the certificate") != std::string::npos);

    Identity no_ca = settings;
    no_ca.root_ca_path = (dir / "missing.pem").string();
    auto ca = client_context(no_ca, endpoint);
    REQUIRE_FALSE(ca.ok());
    CHECK(ca.error().message.find("system/rootCaPath") != std::string::npos);

    Identity no_key = settings;
    no_key.private_key = (dir / "missing.key").string();
    auto key = client_context(no_key, endpoint);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().message.find("system/privateKeyPath") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("a connection failure is told in words a user can act on") {
    Identity settings;
    settings.certificate_path = "/d.pem";
    settings.root_ca_path = "/ca.pem";
    Endpoint endpoint{"e.example", 8883, ""};
    CHECK(describe_connect_failure("OpenSSL Error[0]: error:0A000418:SSL routines::tlsv1 alert unknown ca", "",
                                   settings, endpoint)
              .find("refused the device certificate /d.pem") != std::string::npos);
    CHECK(
        describe_connect_failure("error:0A000415:SSL routines::sslv3 alert certificate expired", "", settings, endpoint)
            .find("it has expired") != std::string::npos);
    CHECK(describe_connect_failure("error:0A000086:SSL routines::certificate verify failed",
                                   "unable to get local issuer certificate", settings, endpoint)
              .find("did not prove itself with a certificate from system/rootCaPath /ca.pem") != std::string::npos);
    CHECK(describe_connect_failure("Lookup error", "", settings, endpoint).find("does not resolve") !=
          std::string::npos);
    CHECK(describe_connect_failure("Connection refused", "", settings, endpoint).find("e.example:8883") !=
          std::string::npos);
}

TEST_CASE("IoT Core's MQTT endpoint: the endpoint's port, else mqtt/port, else 8883; ALPN on 443") {
    auto plain = tls::iot_mqtt_endpoint("abc-ats.iot.eu-west-1.amazonaws.com", 0);
    REQUIRE(plain.ok());
    CHECK(plain->host == "abc-ats.iot.eu-west-1.amazonaws.com");
    CHECK(plain->port == 8883);
    CHECK(plain->alpn.empty());
    auto by_key = tls::iot_mqtt_endpoint("h", 443);
    REQUIRE(by_key.ok());
    CHECK(by_key->port == 443);
    CHECK(by_key->alpn == "x-amzn-mqtt-ca");
    auto own_port = tls::iot_mqtt_endpoint("h:443", 8883);
    REQUIRE(own_port.ok());
    CHECK(own_port->host == "h");
    CHECK(own_port->port == 443);
    CHECK(own_port->alpn == "x-amzn-mqtt-ca");
    auto front = tls::iot_mqtt_endpoint("localhost:4443", 443);
    REQUIRE(front.ok());
    CHECK(front->port == 4443);
    CHECK(front->alpn == "x-amzn-mqtt-ca"); // mqtt/port 443 asks for ALPN wherever it goes
    auto literal = tls::iot_mqtt_endpoint("[::1]", 0);
    REQUIRE(literal.ok());
    CHECK(literal->host == "[::1]");
    CHECK(literal->port == 8883);
    for (const char* bad : {"h:", "h:0", "h:65536", "h:88x3"}) {
        auto refused = tls::iot_mqtt_endpoint(bad, 0);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == ErrorCode::Config);
        CHECK(refused.error().message.find("has a port that is not a number from 1 to 65535") != std::string::npos);
    }
}

TEST_CASE("a bounded TCP connect: connected, refused in words, or stopped at once") {
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    addrinfo info{};
    info.ai_family = AF_INET;
    info.ai_socktype = SOCK_STREAM;
    info.ai_addr = reinterpret_cast<sockaddr*>(&address);
    info.ai_addrlen = sizeof address;
    std::string why;
    // Bound, not listening: refused.
    CHECK_FALSE(tls::connect_tcp(&info, std::chrono::seconds(2), why).valid());
    CHECK(why == "Connection refused");
    REQUIRE(::listen(listener.get(), 4) == 0);
    CHECK(tls::connect_tcp(&info, std::chrono::seconds(2), why).valid());
    // A stop that is already asked for: nothing is tried.
    auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(tls::connect_tcp(&info, std::chrono::seconds(10), why, [] { return true; }).valid());
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("the proxy: networkProxy first, then https_proxy; credentials; no-proxy lists") {
    tls::ProxyEnvironment none;
    auto no_proxy = tls::proxy_for("h.iot.amazonaws.com", nullptr, none);
    REQUIRE(no_proxy.ok());
    CHECK_FALSE(no_proxy->has_value());

    Object configured = Map{{"proxy", Map{{"url", "http://u%40x:p%21w@proxy.corp:3128/"}}}};
    auto from_url = tls::proxy_for("h.iot.amazonaws.com", &configured, none);
    REQUIRE(from_url.ok());
    REQUIRE(from_url->has_value());
    CHECK((*from_url)->host == "proxy.corp");
    CHECK((*from_url)->port == 3128);
    CHECK((*from_url)->username == "u@x");
    CHECK((*from_url)->password == "p!w");
    CHECK((*from_url)->url == "http://proxy.corp:3128");

    Object keys = Map{{"proxy", Map{{"url", "proxy.corp"}, {"username", "k"}, {"password", "kp"}}}};
    auto from_keys = tls::proxy_for("h", &keys, tls::ProxyEnvironment{"http://env:8080", ""});
    REQUIRE(from_keys.ok());
    REQUIRE(from_keys->has_value());
    CHECK((*from_keys)->port == 80);
    CHECK((*from_keys)->username == "k");
    CHECK((*from_keys)->password == "kp");

    auto from_environment = tls::proxy_for("h", nullptr, tls::ProxyEnvironment{"http://[::1]:8080", ""});
    REQUIRE(from_environment.ok());
    REQUIRE(from_environment->has_value());
    CHECK((*from_environment)->host == "::1");
    CHECK((*from_environment)->port == 8080);

    for (const char* list : {"*", "h.iot.amazonaws.com", "amazonaws.com", ".amazonaws.com", "a.b, iot.amazonaws.com"}) {
        auto bypassed = tls::proxy_for("h.iot.amazonaws.com", nullptr, tls::ProxyEnvironment{"http://p:1", list});
        REQUIRE(bypassed.ok());
        CHECK_FALSE(bypassed->has_value());
    }
    auto not_bypassed =
        tls::proxy_for("h.iot.amazonaws.com", nullptr, tls::ProxyEnvironment{"http://p:1", "zonaws.com"});
    REQUIRE(not_bypassed.ok());
    CHECK(not_bypassed->has_value());

    Object https = Map{{"proxy", Map{{"url", "https://p:443"}}}};
    auto refused = tls::proxy_for("h", &https, none);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("networkProxy/proxy/url 'https://p:443': iotcored speaks to proxies in plain "
                                       "HTTP") != std::string::npos);
    auto bad_port = tls::proxy_for("h", nullptr, tls::ProxyEnvironment{"http://p:99999", ""});
    REQUIRE_FALSE(bad_port.ok());
    CHECK(bad_port.error().message.find("https_proxy 'http://p:99999': the port") != std::string::npos);
}
