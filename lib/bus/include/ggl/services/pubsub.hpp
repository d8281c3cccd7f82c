// The gg_pubsub contract (ggpubsubd; docs/bus.md): the service, its methods and their
// parameters, and PubSubClient, the typed client every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <string>
#include <string_view>

namespace ggl::services::pubsub {

inline constexpr const char* kService = "gg_pubsub";

namespace param {
inline constexpr const char* kTopic = "topic";
inline constexpr const char* kMessage = "message"; // {json: any} or {binary: bytes}
inline constexpr const char* kSender = "sender";
inline constexpr const char* kTopicFilter = "topic_filter";
inline constexpr const char* kReceiveMode = "receive_mode";
inline constexpr const char* kSubscriber = "subscriber";
} // namespace param

inline constexpr const char* kReceiveAllMessages = "RECEIVE_ALL_MESSAGES";
inline constexpr const char* kReceiveMessagesFromOthers = "RECEIVE_MESSAGES_FROM_OTHERS";

inline constexpr Param kPublishParams[] = {
    {param::kTopic, ParamType::String, true, "Topic to publish to (no wildcards)"},
    {param::kMessage, ParamType::Map, true, "{json: any} or {binary: bytes}"},
    {param::kSender, ParamType::String, false, "Publishing component, for RECEIVE_MESSAGES_FROM_OTHERS"}};
inline constexpr Method kPublish{"publish", MethodKind::Call, kPublishParams,
                                 "Delivers {topic, message, sender?} to every subscription whose filter matches; "
                                 "answers {} without waiting for any subscriber."};

inline constexpr Param kSubscribeParams[] = {
    {param::kTopicFilter, ParamType::String, true, "MQTT-style filter: + one level, # the rest"},
    {param::kReceiveMode, ParamType::String, false, "RECEIVE_ALL_MESSAGES (default) or RECEIVE_MESSAGES_FROM_OTHERS"},
    {param::kSubscriber, ParamType::String, false, "Subscribing component; required for RECEIVE_MESSAGES_FROM_OTHERS"}};
inline constexpr Method kSubscribe{"subscribe", MethodKind::Subscribe, kSubscribeParams,
                                   "An event {topic, message: {json}|{binary}, sender?} per matching publish. A "
                                   "subscriber that does not keep up loses messages beyond its queue (see stats)."};

inline constexpr Method kStats{"stats",
                               MethodKind::Call,
                               {},
                               "{published, delivered, dropped, queue_limits: {messages, bytes}, subscriptions: "
                               "[{id, topic_filter, subscriber?, receive_mode, delivered, queued, dropped}]}"};

// publish's params; an empty sender is left out.
Map publish_params(std::string topic, Object message, std::string sender = {});
// subscribe's params; an empty receive_mode or subscriber is left out.
Map subscribe_params(std::string topic_filter, std::string receive_mode = {}, std::string subscriber = {});

} // namespace ggl::services::pubsub

namespace ggl::services {

// gg_pubsub's typed client. Not thread-safe.
class PubSubClient {
public:
    explicit PubSubClient(bus::ClientOptions options = {});

    Result<Object> publish(std::string topic, Object message, std::string sender = {});
    Result<Object> stats();
    // The connection, for streaming subscribe (pubsub::kSubscribe, pubsub::subscribe_params).
    bus::Client& bus() { return client_; }

private:
    bus::Client client_;
};

} // namespace ggl::services
