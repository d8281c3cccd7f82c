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

// The value under key when object is a map holding it, else nullptr; for moving from.
Object* field(Object* object, std::string_view key) {
    return object != nullptr && object->is_map() ? object->as_map().find(key) : nullptr;
}

void publish_to_topic(Request& request) {
    auto topic = required_string(request, "topic");
    if (!topic) return;
    // The request is this handler's: its parts move on rather than being copied.
    Object* publish = request.params.find("publishMessage");
    Object* json = field(publish, "jsonMessage");
    Object* binary = field(publish, "binaryMessage");
    if ((json == nullptr) == (binary == nullptr)) {
        request.stream->fail(invalid_arguments("publishMessage needs exactly one of jsonMessage and binaryMessage"));
        return;
    }
    Map message;
    if (json != nullptr) {
        Object* content = field(json, "message");
        message.append("json", content ? std::move(*content) : Object());
    } else {
        // Blobs travel in the JSON request as base64.
        const Object* content = find_field(*binary, "message");
        std::string encoded = content && content->is_string() ? content->as_string() : std::string();
        auto decoded = base64_decode(encoded);
        if (!decoded) {
            request.stream->fail(invalid_arguments("binaryMessage.message must be base64"));
            return;
        }
        message.append("binary", Bytes{std::move(*decoded)});
    }
    if (!request.authorize(kPubsubService, *topic)) return;
    auto stream = request.stream;
    BusLink& pubsub = request.services.pubsub;
    pubsub.call(services::pubsub::kPublish.name,
                services::pubsub::publish_params(std::move(*topic), std::move(message), request.component),
                [stream, &pubsub](Result<Object> published) {
                    if (!published) {
                        stream->fail(bus_failure(pubsub, published.error()));
                        return;
                    }
                    stream->respond(Map{});
                });
}

// The event is this subscription's alone: its message moves into the IPC shape.
Object subscription_message(Object& event) {
    Map context;
    context.append("topic", string_field(event, "topic"));
    Object* message = field(&event, "message");
    Map inner;
    inner.reserve(2);
    const char* shape = "jsonMessage";
    if (const Object* binary = field(message, "binary")) {
        shape = "binaryMessage";
        inner.append("message", base64_encode(binary->is_buffer() ? binary->as_buffer() : std::string_view()));
    } else {
        Object* json = field(message, "json");
        inner.append("message", json ? std::move(*json) : Object());
    }
    inner.append("context", std::move(context));
    Map outer;
    outer.append(shape, std::move(inner));
    return outer;
}

void subscribe_to_topic(Request& request) {
    auto topic = required_string(request, "topic");
    if (!topic) return;
    // As Greengrass: without a wildcard a component hears itself, with one it does not.
    bool wildcard = topic->find_first_of("+#") != std::string::npos;
    std::string mode =
        optional_string(request, "receiveMode", wildcard ? "RECEIVE_MESSAGES_FROM_OTHERS" : "RECEIVE_ALL_MESSAGES");
    if (mode != "RECEIVE_ALL_MESSAGES" && mode != "RECEIVE_MESSAGES_FROM_OTHERS") {
        request.stream->fail(invalid_arguments("receiveMode must be RECEIVE_ALL_MESSAGES or "
                                               "RECEIVE_MESSAGES_FROM_OTHERS, not \"" +
                                               mode + "\""));
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
    handlers.on_event = [stream](Object& event) {
        stream->send_event(model_name("SubscriptionResponseMessage"), subscription_message(event));
    };
    handlers.on_end = [stream, &pubsub](const Error* error) {
        if (error) {
            stream->fail(bus_failure(pubsub, *error));
        } else {
            stream->end();
        }
    };
    uint64_t id =
        pubsub.subscribe(services::pubsub::kSubscribe.name,
                         services::pubsub::subscribe_params(*topic, mode, request.component), std::move(handlers));
    stream->on_close([&pubsub, id] { pubsub.cancel(id); });
}

} // namespace

void add_pubsub_operations(OperationTable& table) {
    table.add({model_name("PublishToTopic"), kPubsubService, publish_to_topic});
    table.add({model_name("SubscribeToTopic"), kPubsubService, subscribe_to_topic});
}

} // namespace ggl::ipc
