// PublishToTopic and SubscribeToTopic over gg_pubsub.
//
// Bus shape (gg_pubsub):
//   publish   {topic: str, message: {json: any} | {binary: bytes}, sender: str} -> {}
//   subscribe {topic_filter: str (MQTT + and #), receive_mode: RECEIVE_ALL_MESSAGES |
//              RECEIVE_MESSAGES_FROM_OTHERS, subscriber: str}
//             -> events {topic, message: {json}|{binary}, sender?}
#include "operations.hpp"

#include "ggl/text.hpp"

namespace ggl::ipc {

namespace {

constexpr const char* kPubsubService = "aws.greengrass.ipc.pubsub";

void publish_to_topic(Request& request) {
    auto topic = required_string(request, "topic");
    if (!topic) return;
    const Object* publish = request.params.find("publishMessage");
    const Object* json = publish ? find_field(*publish, "jsonMessage") : nullptr;
    const Object* binary = publish ? find_field(*publish, "binaryMessage") : nullptr;
    if ((json == nullptr) == (binary == nullptr)) {
        request.stream->fail(invalid_arguments("publishMessage needs exactly one of jsonMessage and binaryMessage"));
        return;
    }
    Map message;
    if (json != nullptr) {
        const Object* content = find_field(*json, "message");
        message.set("json", content ? *content : Object());
    } else {
        // Blobs travel in the JSON request as base64.
        const Object* content = find_field(*binary, "message");
        std::string encoded = content && content->is_string() ? content->as_string() : std::string();
        auto decoded = base64_decode(encoded);
        if (!decoded) {
            request.stream->fail(invalid_arguments("binaryMessage.message must be base64"));
            return;
        }
        message.set("binary", Bytes{std::move(*decoded)});
    }
    if (!request.authorize(kPubsubService, *topic)) return;
    auto stream = request.stream;
    BusLink& pubsub = request.services.pubsub;
    pubsub.call("publish", Map{{"topic", *topic}, {"message", std::move(message)}, {"sender", request.component}},
                [stream, &pubsub](Result<Object> published) {
                    if (!published) {
                        stream->fail(bus_failure(pubsub, published.error()));
                        return;
                    }
                    stream->respond(Map{});
                });
}

Object subscription_message(const Object& event) {
    std::string topic = string_field(event, "topic");
    Map context{{"topic", topic}};
    const Object* message = find_field(event, "message");
    if (const Object* binary = message ? find_field(*message, "binary") : nullptr) {
        std::string_view data = binary->is_buffer() ? binary->as_buffer() : std::string_view();
        return Map{{"binaryMessage", Map{{"message", base64_encode(data)}, {"context", std::move(context)}}}};
    }
    const Object* json = message ? find_field(*message, "json") : nullptr;
    return Map{{"jsonMessage", Map{{"message", json ? *json : Object()}, {"context", std::move(context)}}}};
}

void subscribe_to_topic(Request& request) {
    auto topic = required_string(request, "topic");
    if (!topic) return;
    // As Greengrass: without a wildcard a component hears itself, with one it does not.
    bool wildcard = topic->find_first_of("+#") != std::string::npos;
    std::string mode = optional_string(request, "receiveMode",
                                       wildcard ? "RECEIVE_MESSAGES_FROM_OTHERS" : "RECEIVE_ALL_MESSAGES");
    if (mode != "RECEIVE_ALL_MESSAGES" && mode != "RECEIVE_MESSAGES_FROM_OTHERS") {
        request.stream->fail(invalid_arguments("receiveMode must be RECEIVE_ALL_MESSAGES or "
                                               "RECEIVE_MESSAGES_FROM_OTHERS, not \"" + mode + "\""));
        return;
    }
    if (!request.authorize(kPubsubService, *topic)) return;
    auto stream = request.stream;
    BusLink& pubsub = request.services.pubsub;
    BusLink::SubscriptionHandlers handlers;
    handlers.on_accepted = [stream, &pubsub](Result<void> accepted) {
        if (!accepted) {
            stream->fail(bus_failure(pubsub, accepted.error()));
            return;
        }
        stream->accept(Map{});
    };
    handlers.on_event = [stream](const Object& event) {
        stream->send_event(model_name("SubscriptionResponseMessage"), subscription_message(event));
    };
    handlers.on_end = [stream, &pubsub](const Error* error) {
        if (error) {
            stream->fail(bus_failure(pubsub, *error));
        } else {
            stream->end();
        }
    };
    uint64_t id = pubsub.subscribe(
        "subscribe", Map{{"topic_filter", *topic}, {"receive_mode", mode}, {"subscriber", request.component}},
        std::move(handlers));
    stream->on_close([&pubsub, id] { pubsub.cancel(id); });
}

} // namespace

void add_pubsub_operations(OperationTable& table) {
    table.add({model_name("PublishToTopic"), kPubsubService, publish_to_topic});
    table.add({model_name("SubscribeToTopic"), kPubsubService, subscribe_to_topic});
}

} // namespace ggl::ipc
