// Unit tests of iotcored's parts that need no broker (daemons/iotcored): IoT Core's
// limits, the settings read from the configuration, full-jitter backoff.
#include "iot_limits.hpp"
#include "iot_settings.hpp"
#include "mqtt_connection.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ggl;
using namespace ggl::iotcored;

namespace {

std::string repeat(char c, size_t n) { return std::string(n, c); }

Object tree_with(Map system, Map nucleus) {
    return Map{{"system", std::move(system)},
               {"services", Map{{kNucleus, Map{{"configuration", std::move(nucleus)}}}}}};
}

Map full_system() {
    return Map{{"thingName", "thing-1"},
               {"certificateFilePath", "/c.pem"},
               {"privateKeyPath", "/k.pem"},
               {"rootCaPath", "/ca.pem"}};
}

} // namespace

TEST_CASE("IoT Core's topic limits: 256 bytes, 7 slashes after a basic-ingest prefix, no wildcards") {
    CHECK(check_publish_topic("a/b/c").ok());
    CHECK(check_publish_topic(repeat('t', 256)).ok());
    auto long_topic = check_publish_topic(repeat('t', 257));
    REQUIRE_FALSE(long_topic.ok());
    CHECK(long_topic.error().message.find("257 bytes; AWS IoT Core allows 256") != std::string::npos);
    CHECK(check_publish_topic("1/2/3/4/5/6/7/8").ok());
    auto slashes = check_publish_topic("1/2/3/4/5/6/7/8/9");
    REQUIRE_FALSE(slashes.ok());
    CHECK(slashes.error().message.find("8 slashes; AWS IoT Core allows 7") != std::string::npos);
    CHECK(check_publish_topic("$aws/rules/my_rule/1/2/3/4/5/6/7/8").ok());
    CHECK_FALSE(check_publish_topic("$aws/rules/my_rule/1/2/3/4/5/6/7/8/9").ok());
    CHECK_FALSE(check_publish_topic("a/+/c").ok());
    CHECK_FALSE(check_publish_topic("a/#").ok());
    CHECK_FALSE(check_publish_topic("").ok());
}

TEST_CASE("IoT Core's filter, payload and QoS limits") {
    CHECK(check_topic_filter("a/+/c/#").ok());
    CHECK_FALSE(check_topic_filter("a/#/c").ok());
    CHECK_FALSE(check_topic_filter("a/" + repeat('f', 255)).ok());
    CHECK(check_payload(repeat('p', 128 * 1024)).ok());
    auto big = check_payload(repeat('p', 128 * 1024 + 1));
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().message.find("131073 bytes; AWS IoT Core allows 131072") != std::string::npos);
    CHECK(check_qos(0).ok());
    CHECK(check_qos(1).ok());
    auto qos2 = check_qos(2);
    REQUIRE_FALSE(qos2.ok());
    CHECK(qos2.error().message.find("QoS 0 and 1") != std::string::npos);
    CHECK_FALSE(check_qos(-1).ok());
}

TEST_CASE("a subscribe request holds 1 to 8 distinct valid filters") {
    CHECK(check_filters({"a", "b/+", "c/#"}).ok());
    CHECK_FALSE(check_filters({}).ok());
    std::vector<std::string> nine;
    for (int i = 0; i < 9; ++i) nine.push_back("f/" + std::to_string(i));
    auto too_many = check_filters(nine);
    REQUIRE_FALSE(too_many.ok());
    CHECK(too_many.error().message.find("9 topic filters") != std::string::npos);
    nine.pop_back();
    CHECK(check_filters(nine).ok());
    auto twice = check_filters({"a/b", "a/b"});
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.error().message.find("given twice") != std::string::npos);
}

TEST_CASE("the settings come from the Greengrass keys, every missing one named") {
    auto settings =
        iot_settings_from(tree_with(full_system(), Map{{"iotDataEndpoint", "abc-ats.iot.eu-west-1.amazonaws.com"}}));
    REQUIRE(settings.ok());
    CHECK(settings->thing_name == "thing-1");
    CHECK(settings->endpoint == "abc-ats.iot.eu-west-1.amazonaws.com");
    CHECK(settings->port == 8883);
    CHECK_FALSE(settings->alpn());
    CHECK(settings->keep_alive == std::chrono::seconds(60));

    auto missing = iot_settings_from(tree_with(Map{{"thingName", "t"}}, Map{}));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Config);
    for (const char* key : {"system/certificateFilePath", "system/privateKeyPath", "system/rootCaPath",
                            "configuration/iotDataEndpoint"}) {
        CHECK(missing.error().message.find(key) != std::string::npos);
    }
    CHECK(missing.error().message.find("thingName") == std::string::npos);
}

TEST_CASE("the endpoint's port overrides mqtt/port; 443 either way offers ALPN") {
    auto with = [](Map nucleus) { return iot_settings_from(tree_with(full_system(), std::move(nucleus))); };
    auto on_443 = with(Map{{"iotDataEndpoint", "e.example"}, {"mqtt", Map{{"port", int64_t{443}}}}});
    REQUIRE(on_443.ok());
    CHECK(on_443->port == 443);
    CHECK(on_443->alpn());
    auto text_port = with(Map{{"iotDataEndpoint", "e.example"}, {"mqtt", Map{{"port", "443"}}}});
    REQUIRE(text_port.ok());
    CHECK(text_port->port == 443);
    auto endpoint_port = with(Map{{"iotDataEndpoint", "localhost:18883"}, {"mqtt", Map{{"port", int64_t{443}}}}});
    REQUIRE(endpoint_port.ok());
    CHECK(endpoint_port->endpoint == "localhost");
    CHECK(endpoint_port->port == 18883);
    CHECK(endpoint_port->alpn());
    auto plain = with(Map{{"iotDataEndpoint", "localhost:443"}});
    REQUIRE(plain.ok());
    CHECK(plain->alpn());
    auto bad = with(Map{{"iotDataEndpoint", "e.example:http"}, {"mqtt", Map{{"port", int64_t{70000}}}}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("not a number from 1 to 65535") != std::string::npos);
    CHECK(bad.error().message.find("mqtt/port must be a port number") != std::string::npos);
    auto keep_alive = with(Map{{"iotDataEndpoint", "e"}, {"mqtt", Map{{"keepAliveTimeoutMs", int64_t{5000}}}}});
    REQUIRE(keep_alive.ok());
    CHECK(keep_alive->keep_alive == std::chrono::seconds(30)); // IoT Core's floor
}

TEST_CASE("full-jitter backoff: uniform up to base doubling per attempt, never over the cap") {
    Backoff backoff{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
    CHECK(backoff.next(0, 0) == std::chrono::milliseconds(0));
    CHECK(backoff.next(0, 100) == std::chrono::milliseconds(100));
    CHECK(backoff.next(0, 101) == std::chrono::milliseconds(0));
    CHECK(backoff.next(1, 200) == std::chrono::milliseconds(200));
    CHECK(backoff.next(3, 800) == std::chrono::milliseconds(800));
    for (uint64_t random : {uint64_t{999}, uint64_t{1000}, ~uint64_t{0}}) {
        CHECK(backoff.next(4, random) <= std::chrono::milliseconds(1000));
        CHECK(backoff.next(60, random) <= std::chrono::milliseconds(1000));
    }
    CHECK(backoff.next(60, 1000) == std::chrono::milliseconds(1000));
}
