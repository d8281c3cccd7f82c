// PublishToIoTCore and SubscribeToIoTCore, forwarded to the aws_iot_mqtt bus service
// (iotcored; ggl/services/iot_mqtt.hpp).
#include "operations.hpp"

#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"
#include "ggl/text.hpp"

#include <memory>

namespace ggl::ipc {

namespace {

namespace contract = services::iot_mqtt;

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
    mqtt.call(contract::kPublish.name,
              contract::publish_params(*topic, Bytes{std::move(*payload)}, *qos,
                                       retain != nullptr && retain->is_bool() && retain->as_bool()),
              [stream, &mqtt](Result<Object> published) {
                  if (!published) {
                      stream->fail(mqtt_failure(mqtt, published.error()));
                      return;
                  }
                  stream->respond(Map{});
              });
}

// A component's SubscribeToIoTCore stream and the aws_iot_mqtt subscription behind it.
// When iotcored goes away (a restart, a crash) the stream stays open and the subscription
// is made again, every second, until iotcored answers: the component keeps its stream.
// Only iotcored's refusal (or its absence at the first subscribe) ends the stream.
class IotCoreSubscription : public std::enable_shared_from_this<IotCoreSubscription> {
public:
    IotCoreSubscription(Services& services, std::shared_ptr<Stream> stream, std::string topic, int64_t qos)
        : services_(services), stream_(std::move(stream)), topic_(std::move(topic)), qos_(qos) {}

    void start() {
        std::weak_ptr<IotCoreSubscription> weak = weak_from_this();
        stream_->on_close([weak] {
            if (auto self = weak.lock()) self->close();
        });
        subscribe();
    }

private:
    // The link holds the handlers, and they hold this, while the subscription lasts.
    void subscribe() {
        auto self = shared_from_this();
        BusLink::SubscriptionHandlers handlers;
        handlers.on_accepted = [self](Result<void> accepted) {
            if (accepted) {
                if (!self->accepted_) self->stream_->accept(Map{});
                self->accepted_ = true;
                return;
            }
            if (self->accepted_ && accepted.error().code == ErrorCode::Noconn) {
                self->retry_later();
                return;
            }
            self->stream_->fail(mqtt_failure(self->services_.iot_mqtt, accepted.error()));
            self->closed_ = true;
        };
        handlers.on_event = [self](const Object& event) {
            const Object* payload = find_field(event, contract::event::kPayload);
            std::string_view data = payload && payload->is_buffer() ? payload->as_buffer() : std::string_view();
            self->stream_->send_event(model_name("IoTCoreMessage"),
                                      Map{{"message", Map{{"topicName", string_field(event, contract::event::kTopic)},
                                                          {"payload", base64_encode(data)}}}});
        };
        handlers.on_end = [self](const Error* error) {
            if (error != nullptr && error->code == ErrorCode::Noconn && !self->closed_) {
                GGL_LOGI("SubscribeToIoTCore %s: %s; subscribing again when iotcored is back", self->topic_.c_str(),
                         error->message.c_str());
                self->retry_later();
                return;
            }
            if (error) {
                self->stream_->fail(mqtt_failure(self->services_.iot_mqtt, *error));
            } else {
                self->stream_->end();
            }
            self->closed_ = true;
        };
        id_ = services_.iot_mqtt.subscribe(contract::kSubscribe.name, contract::subscribe_params(topic_, qos_),
                                           std::move(handlers));
    }

    void retry_later() {
        if (closed_ || !stream_->open()) return;
        id_ = 0;
        auto self = shared_from_this();
        timer_ = services_.loop.add_timer(std::chrono::seconds(1), [self] {
            self->timer_ = 0;
            if (!self->closed_ && self->stream_->open()) self->subscribe();
        });
    }

    void close() {
        closed_ = true;
        if (id_ != 0) services_.iot_mqtt.cancel(id_);
        if (timer_ != 0) services_.loop.cancel_timer(timer_);
        id_ = 0;
        timer_ = 0;
    }

    Services& services_;
    std::shared_ptr<Stream> stream_;
    std::string topic_;
    int64_t qos_;
    uint64_t id_ = 0;
    EventLoop::TimerId timer_ = 0;
    bool accepted_ = false;
    bool closed_ = false;
};

void subscribe_to_iot_core(Request& request) {
    auto topic = required_string(request, "topicName");
    if (!topic) return;
    auto qos = qos_of(request);
    if (!qos) return;
    if (!request.authorize(kMqttService, *topic)) return;
    std::make_shared<IotCoreSubscription>(request.services, request.stream, *topic, *qos)->start();
}

} // namespace

void add_mqtt_operations(OperationTable& table) {
    table.add({model_name("PublishToIoTCore"), kMqttService, publish_to_iot_core});
    table.add({model_name("SubscribeToIoTCore"), kMqttService, subscribe_to_iot_core});
}

} // namespace ggl::ipc
