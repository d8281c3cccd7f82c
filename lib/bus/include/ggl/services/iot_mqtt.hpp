// The aws_iot_mqtt contract (iotcored; docs/iot-core.md): the service, its methods and
// their parameters, and IotMqttClient, the typed client every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::services::iot_mqtt {

inline constexpr const char* kService = "aws_iot_mqtt";

namespace param {
inline constexpr const char* kTopic = "topic";
inline constexpr const char* kPayload = "payload"; // string or bytes
inline constexpr const char* kQos = "qos"; // 0 or 1
inline constexpr const char* kRetain = "retain";
inline constexpr const char* kUserProperties = "user_properties"; // {name: value}
inline constexpr const char* kTopicFilter = "topic_filter"; // string, or a list of them
} // namespace param

// publish's result: {} once acknowledged (QoS 1) or written (QoS 0); {spooled: true}
// once durably in the offline spool.
namespace result {
inline constexpr const char* kSpooled = "spooled";
} // namespace result

// Events of subscribe: {topic, payload (bytes)}; of connection_status: {connected}.
namespace event {
inline constexpr const char* kTopic = "topic";
inline constexpr const char* kPayload = "payload";
inline constexpr const char* kConnected = "connected";
} // namespace event

inline constexpr Param kPublishParams[] = {
    {param::kTopic, ParamType::String, true, "IoT Core topic: <= 256 bytes, <= 7 slashes, no wildcards"},
    {param::kPayload, ParamType::String, true, "The message (string or bytes), <= 128 KiB"},
    {param::kQos, ParamType::Int, false, "0 (default) or 1"},
    {param::kRetain, ParamType::Bool, false, "Ask IoT Core to retain the message"},
    {param::kUserProperties, ParamType::Map, false, "MQTT 5 user properties {name: value}"}};
inline constexpr Method kPublish{"publish", MethodKind::Call, kPublishParams,
                                 "Publishes to AWS IoT Core; answers {} once PUBACKed (QoS 1) or written (QoS 0), "
                                 "{spooled: true} once in the offline spool (QoS 1 while not connected; QoS 0 "
                                 "too with mqtt/spooler/keepQos0WhenOffline). RETRY when the spool refuses."};

inline constexpr Param kSubscribeParams[] = {
    {param::kTopicFilter, ParamType::Any, true, "MQTT filter, or a list of up to 8: + one level, # the rest"},
    {param::kQos, ParamType::Int, false, "0 or 1 (default)"}};
inline constexpr Method kSubscribe{
    "subscribe", MethodKind::Subscribe, kSubscribeParams,
    "Events {topic, payload} for each message IoT Core delivers on a matching topic. One MQTT subscription "
    "serves every local subscriber of a filter; IoT Core's refusal (SUBACK) ends the subscription with an error."};

inline constexpr Method kConnectionStatus{
    "connection_status", MethodKind::Subscribe, {}, "{connected: bool} at once and on every change."};

inline constexpr Method kStatus{"status",
                                MethodKind::Call,
                                {},
                                "{configured, connected, endpoint, port, alpn, thing_name, connections: [{client_id, "
                                "connected, subscriptions, since}], subscriptions, last_error, spool: {path, "
                                "messages, bytes, max_bytes, keep_qos0}}"};

// publish's params; qos 0 and no retain are left out.
Map publish_params(std::string topic, Object payload, int64_t qos = 0, bool retain = false);
// subscribe's params for one filter.
Map subscribe_params(std::string topic_filter, int64_t qos = 1);

} // namespace ggl::services::iot_mqtt

namespace ggl::services {

// aws_iot_mqtt's typed client. Not thread-safe.
class IotMqttClient {
public:
    explicit IotMqttClient(bus::ClientOptions options = {});

    Result<Object> publish(std::string topic, Object payload, int64_t qos = 0, bool retain = false);
    Result<Object> status();
    // The connection, for streaming subscribe and connection_status.
    bus::Client& bus() { return client_; }

private:
    bus::Client client_;
};

} // namespace ggl::services
