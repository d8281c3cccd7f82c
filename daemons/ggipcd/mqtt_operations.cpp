// PublishToIoTCore and SubscribeToIoTCore, forwarded to the aws_iot_mqtt bus service.
//
// Bus shape (aws_iot_mqtt):
//   publish   {topic: str, payload: bytes, qos: 0|1, retain: bool} -> {}
//   subscribe {topic_filter: str, qos: 0|1} -> events {topic: str, payload: bytes}
#include "operations.hpp"

#include "ggl/text.hpp"

namespace ggl::ipc {

namespace {

constexpr const char* kMqttService = "aws.greengrass.ipc.mqttproxy";

// Greengrass's QOS enum travels as the strings "0" and "1".
std::optional<int64_t> qos_of(const Request& request) {
    const Object* value = request.params.find("qos");
    if (value == nullptr || value->is_null()) return 0;
    if (value->is_string() && (value->as_string() == "0" || value->as_string() == "1")) {
        return value->as_string() == "1" ? 1 : 0;
    }
    if (value->is_i64() && (value->as_i64() == 0 || value->as_i64() == 1)) return value->as_i64();
    request.stream->fail(invalid_arguments("qos must be \"0\" (AT_MOST_ONCE) or \"1\" (AT_LEAST_ONCE)"));
    return std::nullopt;
}

IpcError mqtt_failure(const BusLink& link, const Error& error) {
    if (error.code == ErrorCode::Noconn) {
        return service_error("AWS IoT Core is not reachable: the " + link.service() +
                             " service (iotcored) is not running");
    }
    return bus_failure(link, error);
}

void publish_to_iot_core(Request& request) {
    auto topic = required_string(request, "topicName");
    if (!topic) return;
    auto qos = qos_of(request);
    if (!qos) return;
    std::string encoded = optional_string(request, "payload");
    auto payload = base64_decode(encoded);
    if (!payload) {
        request.stream->fail(invalid_arguments("payload must be base64"));
        return;
    }
    const Object* retain = request.params.find("retain");
    if (!request.authorize(kMqttService, *topic)) return;
    auto stream = request.stream;
    BusLink& mqtt = request.services.iot_mqtt;
    mqtt.call("publish",
              Map{{"topic", *topic},
                  {"payload", Bytes{std::move(*payload)}},
                  {"qos", *qos},
                  {"retain", retain != nullptr && retain->is_bool() && retain->as_bool()}},
              [stream, &mqtt](Result<Object> published) {
                  if (!published) {
                      stream->fail(mqtt_failure(mqtt, published.error()));
                      return;
                  }
                  stream->respond(Map{});
              });
}

void subscribe_to_iot_core(Request& request) {
    auto topic = required_string(request, "topicName");
    if (!topic) return;
    auto qos = qos_of(request);
    if (!qos) return;
    if (!request.authorize(kMqttService, *topic)) return;
    auto stream = request.stream;
    BusLink& mqtt = request.services.iot_mqtt;
    BusLink::SubscriptionHandlers handlers;
    handlers.on_accepted = [stream, &mqtt](Result<void> accepted) {
        if (!accepted) {
            stream->fail(mqtt_failure(mqtt, accepted.error()));
            return;
        }
        stream->accept(Map{});
    };
    handlers.on_event = [stream](const Object& event) {
        const Object* payload = find_field(event, "payload");
        std::string_view data = payload && payload->is_buffer() ? payload->as_buffer() : std::string_view();
        stream->send_event(
            model_name("IoTCoreMessage"),
            Map{{"message", Map{{"topicName", string_field(event, "topic")}, {"payload", base64_encode(data)}}}});
    };
    handlers.on_end = [stream, &mqtt](const Error* error) {
        if (error) {
            stream->fail(mqtt_failure(mqtt, *error));
        } else {
            stream->end();
        }
    };
    uint64_t id = mqtt.subscribe("subscribe", Map{{"topic_filter", *topic}, {"qos", *qos}}, std::move(handlers));
    stream->on_close([&mqtt, id] { mqtt.cancel(id); });
}

} // namespace

void add_mqtt_operations(OperationTable& table) {
    table.add({model_name("PublishToIoTCore"), kMqttService, publish_to_iot_core});
    table.add({model_name("SubscribeToIoTCore"), kMqttService, subscribe_to_iot_core});
}

} // namespace ggl::ipc
