// gg_pubsub over the bus: PubSubClient (ggl/services/pubsub.hpp).
#include "ggl/services/pubsub.hpp"

namespace ggl::services {

namespace pubsub {

Map publish_params(std::string topic, Object message, std::string sender) {
    Map params;
    params.append(param::kTopic, std::move(topic));
    params.append(param::kMessage, std::move(message));
    if (!sender.empty()) {
        params.append(param::kSender, std::move(sender));
    }
    return params;
}

Map subscribe_params(std::string topic_filter, std::string receive_mode, std::string subscriber) {
    Map params{{param::kTopicFilter, std::move(topic_filter)}};
    if (!receive_mode.empty()) {
        params.set(param::kReceiveMode, std::move(receive_mode));
    }
    if (!subscriber.empty()) {
        params.set(param::kSubscriber, std::move(subscriber));
    }
    return params;
}

} // namespace pubsub

PubSubClient::PubSubClient(bus::ClientOptions options) : client_(bus::Client::for_service(pubsub::kService, options)) {}

Result<Object> PubSubClient::publish(std::string topic, Object message, std::string sender) {
    return client_.call(pubsub::kPublish.name,
                        pubsub::publish_params(std::move(topic), std::move(message), std::move(sender)));
}

Result<Object> PubSubClient::stats() { return client_.call(pubsub::kStats.name, Map{}); }

} // namespace ggl::services
