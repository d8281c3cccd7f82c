// Unit tests of Greengrass IPC authorization policies (lib/ipc_policy): parsing
// `accessControl` with precise errors, and matching operations and resources.
#include "ggl/ipc_policy.hpp"

#include "ggl/json.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace ggl;
using namespace ggl::ipc_policy;

namespace {

constexpr const char* kPublish = "aws.greengrass#PublishToTopic";
constexpr const char* kSubscribe = "aws.greengrass#SubscribeToTopic";
constexpr const char* kPublishIot = "aws.greengrass#PublishToIoTCore";
constexpr const char* kSubscribeIot = "aws.greengrass#SubscribeToIoTCore";

Object json(std::string_view text) {
    auto parsed = from_json(text);
    INFO(text);
    REQUIRE(parsed.ok());
    return *parsed;
}

ComponentPolicies parse(std::string_view text, Variables variables = {}) {
    auto parsed = ComponentPolicies::parse("com.example.A", json(text), variables);
    INFO(text << ": " << (parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    return std::move(*parsed);
}

std::string parse_error(std::string_view text, Variables variables = {}) {
    auto parsed = ComponentPolicies::parse("com.example.A", json(text), variables);
    INFO(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::Invalid);
    return parsed.error().message;
}

// One policy of service with the given resource pattern, allowing every operation.
ComponentPolicies one_resource(std::string_view service, std::string_view resource) {
    Map policy{{"operations", List{"*"}}, {"resources", List{std::string(resource)}}};
    Map access{{std::string(service), Map{{"p1", policy}}}};
    auto parsed = ComponentPolicies::parse("com.example.A", Object(access));
    REQUIRE(parsed.ok());
    return std::move(*parsed);
}

bool pubsub_allows(std::string_view pattern, std::string_view resource) {
    return one_resource(kPubsubService, pattern).is_authorized(kPubsubService, kPublish, resource);
}
bool mqtt_allows(std::string_view pattern, std::string_view resource) {
    return one_resource(kMqttProxyService, pattern).is_authorized(kMqttProxyService, kSubscribeIot, resource);
}

} // namespace

TEST_CASE("a recipe's pubsub policy allows its operations on its topics and nothing else") {
    auto policies = parse(R"({
      "aws.greengrass.ipc.pubsub": {
        "com.example.A:pubsub:1": {
          "policyDescription": "Allows access to publish to test/topic.",
          "operations": ["aws.greengrass#PublishToTopic"],
          "resources": ["test/topic", "other/topic"]
        },
        "com.example.A:pubsub:2": {
          "operations": ["aws.greengrass#SubscribeToTopic"],
          "resources": ["in/*"]
        }
      }
    })");
    CHECK(policies.size() == 2);
    CHECK(policies.authorizing_policy(kPubsubService, kPublish, "test/topic") == "com.example.A:pubsub:1");
    CHECK(policies.is_authorized(kPubsubService, kPublish, "other/topic"));
    CHECK_FALSE(policies.is_authorized(kPubsubService, kPublish, "test/topic2"));
    CHECK_FALSE(policies.is_authorized(kPubsubService, kPublish, "in/x")); // only subscribe there
    CHECK(policies.authorizing_policy(kPubsubService, kSubscribe, "in/x/y") == "com.example.A:pubsub:2");
    CHECK_FALSE(policies.is_authorized(kPubsubService, kSubscribe, "test/topic"));
    // Another service, or an operation of the right name without its namespace: no.
    CHECK_FALSE(policies.is_authorized(kMqttProxyService, kPublish, "test/topic"));
    CHECK_FALSE(policies.is_authorized(kPubsubService, "PublishToTopic", "test/topic"));
}

TEST_CASE("no accessControl, or an empty one, authorizes nothing") {
    auto none = ComponentPolicies::parse("com.example.A", Object());
    REQUIRE(none.ok());
    CHECK(none->size() == 0);
    CHECK_FALSE(none->is_authorized(kPubsubService, kPublish, "a"));
    CHECK_FALSE(parse("{}").is_authorized(kPubsubService, kPublish, "a"));
}

TEST_CASE("the operation wildcard allows every operation of that service only") {
    auto policies = parse(R"({"aws.greengrass.ipc.pubsub": {"p": {"operations": ["*"], "resources": ["t"]}}})");
    CHECK(policies.is_authorized(kPubsubService, kPublish, "t"));
    CHECK(policies.is_authorized(kPubsubService, kSubscribe, "t"));
    CHECK_FALSE(policies.is_authorized(kPubsubService, kPublish, "u"));
    CHECK_FALSE(policies.is_authorized("aws.greengrass.Cli", "aws.greengrass#ListComponents", "t"));
}

TEST_CASE("the resource wildcard * matches any run of characters, slashes included") {
    CHECK(pubsub_allows("*", "anything/at/all"));
    CHECK(pubsub_allows("*", ""));
    CHECK(pubsub_allows("a/*", "a/"));
    CHECK(pubsub_allows("a/*", "a/b/c"));
    CHECK_FALSE(pubsub_allows("a/*", "a"));
    CHECK(pubsub_allows("*/b", "x/y/b"));
    CHECK_FALSE(pubsub_allows("*/b", "x/y/bc"));
    CHECK(pubsub_allows("a*b*c", "abc"));
    CHECK(pubsub_allows("a*b*c", "a-b-b-c"));
    CHECK_FALSE(pubsub_allows("a*b*c", "acb"));
    CHECK_FALSE(pubsub_allows("ab*ba", "aba")); // the ends must not overlap
    CHECK(pubsub_allows("ab*ba", "abba"));
    CHECK(pubsub_allows("**", "x"));
    CHECK(pubsub_allows("sensors/*/temperature", "sensors/kitchen/temperature"));
    CHECK_FALSE(pubsub_allows("sensors/*/temperature", "sensors/kitchen/humidity"));
}

TEST_CASE("escape sequences match the literal characters") {
    CHECK(pubsub_allows("a/${*}", "a/*"));
    CHECK_FALSE(pubsub_allows("a/${*}", "a/b"));
    CHECK(pubsub_allows("what${?}", "what?"));
    CHECK_FALSE(pubsub_allows("what${?}", "whatx"));
    CHECK(pubsub_allows("${$}aws/x", "$aws/x"));
    CHECK(pubsub_allows("${*}*", "*anything"));
    CHECK_FALSE(pubsub_allows("${*}*", "anything"));
    // Not an escape: kept as written.
    CHECK(pubsub_allows("${x}", "${x}"));
    CHECK(pubsub_allows("a?", "a?"));
    CHECK_FALSE(pubsub_allows("a?", "ab")); // '?' is no wildcard here
}

TEST_CASE("pubsub resources treat + and # as ordinary characters") {
    CHECK(pubsub_allows("a/#", "a/#"));
    CHECK_FALSE(pubsub_allows("a/#", "a/b"));
    CHECK(pubsub_allows("a/+/c", "a/+/c"));
    CHECK_FALSE(pubsub_allows("a/+/c", "a/b/c"));
}

TEST_CASE("mqttproxy resources match with MQTT wildcards too") {
    CHECK(mqtt_allows("a/+/c", "a/b/c"));
    CHECK_FALSE(mqtt_allows("a/+/c", "a/b/d"));
    CHECK(mqtt_allows("a/#", "a"));
    CHECK(mqtt_allows("a/#", "a/b/c"));
    CHECK_FALSE(mqtt_allows("a/#", "b/a"));
    // A subscription filter is allowed when the policy's filter covers it.
    CHECK(mqtt_allows("a/#", "a/+/c"));
    CHECK(mqtt_allows("a/#", "a/#"));
    CHECK(mqtt_allows("a/+", "a/+"));
    CHECK_FALSE(mqtt_allows("a/+", "a/#"));
    CHECK_FALSE(mqtt_allows("a/b", "a/+"));
    // `*` still works, and an invalid filter is only a glob.
    CHECK(mqtt_allows("a/*", "a/b/c"));
    CHECK(mqtt_allows("a/#/b", "a/#/b"));
    CHECK_FALSE(mqtt_allows("a/#/b", "a/x/b"));
    auto policies = one_resource(kMqttProxyService, "$aws/things/+/shadow/#");
    CHECK(policies.is_authorized(kMqttProxyService, kPublishIot, "$aws/things/dev-1/shadow/update"));
}

TEST_CASE("{iot:thingName} in a resource becomes the device's thing name") {
    Variables variables{std::string("dev-42")};
    auto policies = parse(R"({"aws.greengrass.ipc.mqttproxy": {"p": {
        "operations": ["aws.greengrass#PublishToIoTCore"],
        "resources": ["things/{iot:thingName}/data", "{iot:thingName}/{iot:thingName}"]}}})",
                          variables);
    CHECK(policies.is_authorized(kMqttProxyService, kPublishIot, "things/dev-42/data"));
    CHECK(policies.is_authorized(kMqttProxyService, kPublishIot, "dev-42/dev-42"));
    CHECK_FALSE(policies.is_authorized(kMqttProxyService, kPublishIot, "things/{iot:thingName}/data"));
    CHECK_FALSE(policies.is_authorized(kMqttProxyService, kPublishIot, "things/dev-43/data"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.mqttproxy": {"p": {"operations": ["*"],
                 "resources": ["things/{iot:thingName}"]}}})"),
               Catch::Contains("policy \"p\" (aws.greengrass.ipc.mqttproxy)") &&
                   Catch::Contains("{iot:thingName} but the device has no thing name"));
}

TEST_CASE("a policy without resources allows only requests that name none") {
    auto policies = parse(R"({"aws.greengrass.Cli": {"cli": {"operations": ["aws.greengrass#ListComponents"]}}})");
    CHECK(policies.is_authorized("aws.greengrass.Cli", "aws.greengrass#ListComponents", ""));
    CHECK_FALSE(policies.is_authorized("aws.greengrass.Cli", "aws.greengrass#ListComponents", "x"));
}

TEST_CASE("policy keys are matched case-insensitively, as configuration keys are") {
    auto policies = parse(R"({"aws.greengrass.ipc.pubsub": {"p": {
        "PolicyDescription": "d", "Operations": ["*"], "RESOURCES": ["t"]}}})");
    CHECK(policies.is_authorized(kPubsubService, kPublish, "t"));
}

TEST_CASE("malformed policies are refused naming the component, service, policy and fault") {
    CHECK_THAT(parse_error(R"(["not a map"])"),
               Catch::Contains("accessControl of com.example.A: accessControl must be a map") &&
                   Catch::Contains("not a list"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": ["p"]})"),
               Catch::Contains("accessControl of com.example.A: aws.greengrass.ipc.pubsub: must be a map from "
                               "policy ids"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": "all"}})"),
               Catch::Contains("policy \"p1\" (aws.greengrass.ipc.pubsub): a policy must be a map"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"resources": ["t"]}}})"),
               Catch::Contains("policy \"p1\"") && Catch::Contains("operations is missing or empty"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": [], "resources": ["t"]}}})"),
               Catch::Contains("operations is missing or empty"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": "*", "resources": ["t"]}}})"),
               Catch::Contains("operations must be a list of strings, not a string"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": ["*", 3]}}})"),
               Catch::Contains("operations[1] must be a string, not an integer"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": ["PublishToTopic"]}}})"),
               Catch::Contains("operations[0] \"PublishToTopic\" is not an operation name") &&
                   Catch::Contains("\"aws.greengrass#PublishToTopic\""));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": ["*"], "resources": ["a", ""]}}})"),
               Catch::Contains("resources[1] is empty"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": ["*"], "resource": ["a"]}}})"),
               Catch::Contains("unknown key \"resource\""));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"p1": {"operations": ["*"], "policyDescription": 1}}})"),
               Catch::Contains("policyDescription must be a string"));
    CHECK_THAT(parse_error(R"({"": {"p1": {"operations": ["*"]}}})"), Catch::Contains("an IPC service id is empty"));
    CHECK_THAT(parse_error(R"({"aws.greengrass.ipc.pubsub": {"": {"operations": ["*"]}}})"),
               Catch::Contains("a policy id is empty"));
}

TEST_CASE("the policy store answers per component and forgets removed ones") {
    PolicyStore store;
    store.set("com.example.A", one_resource(kPubsubService, "a/*"));
    store.set("com.example.B", one_resource(kPubsubService, "b/*"));
    CHECK(store.is_authorized("com.example.A", kPubsubService, kPublish, "a/1"));
    CHECK_FALSE(store.is_authorized("com.example.A", kPubsubService, kPublish, "b/1"));
    CHECK(store.is_authorized("com.example.B", kPubsubService, kPublish, "b/1"));
    CHECK_FALSE(store.is_authorized("com.example.C", kPubsubService, kPublish, "a/1"));
    store.set("com.example.A", one_resource(kPubsubService, "c")); // reloaded
    CHECK_FALSE(store.is_authorized("com.example.A", kPubsubService, kPublish, "a/1"));
    CHECK(store.is_authorized("com.example.A", kPubsubService, kPublish, "c"));
    store.erase("com.example.B");
    CHECK(store.find("com.example.B") == nullptr);
    CHECK_FALSE(store.is_authorized("com.example.B", kPubsubService, kPublish, "b/1"));
}
