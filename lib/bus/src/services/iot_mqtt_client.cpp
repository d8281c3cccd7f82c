// aws_iot_mqtt over the bus: IotMqttClient (ggl/services/iot_mqtt.hpp).
#include "ggl/services/iot_mqtt.hpp"

namespace ggl::services {

namespace iot_mqtt {

Map publish_params(std::string topic, Object payload, int64_t qos, bool retain) {
    Map params{{param::kTopic, std::move(topic)}, {param::kPayload, std::move(payload)}};
    if (qos != 0) {
        params.set(param::kQos, qos);
    }
    if (retain) {
        params.set(param::kRetain, true);
    }
    return params;
}

Map subscribe_params(std::string topic_filter, int64_t qos) {
    return Map{{param::kTopicFilter, std::move(topic_filter)}, {param::kQos, qos}};
}

} // namespace iot_mqtt

IotMqttClient::IotMqttClient(bus::ClientOptions options)
    : client_(bus::Client::for_service(iot_mqtt::kService, options)) {}

Result<Object> IotMqttClient::publish(std::string topic, Object payload, int64_t qos, bool retain) {
    return client_.call(iot_mqtt::kPublish.name,
                        iot_mqtt::publish_params(std::move(topic), std::move(payload), qos, retain));
}

Result<Object> IotMqttClient::status() { return client_.call(iot_mqtt::kStatus.name, Map{}); }

} // namespace ggl::services
