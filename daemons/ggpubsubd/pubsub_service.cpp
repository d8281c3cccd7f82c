// The gg_pubsub methods: parameter checks, the subscription index, and fan-out through
// per-subscriber queues.
#include "pubsub_service.hpp"

#include "ggl/log.hpp"
#include "ggl/services/pubsub.hpp"
#include "ggl/topic.hpp"

#include <vector>

namespace ggl::pubsubd {
namespace {

namespace contract = services::pubsub;
namespace param = services::pubsub::param;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kReceiveAll = contract::kReceiveAllMessages;
constexpr std::string_view kReceiveFromOthers = contract::kReceiveMessagesFromOthers;
constexpr auto kDropLogInterval = std::chrono::seconds(10);

// {json: any} or {binary: bytes}; a binary given as a string travels on as bytes.
// Checked without copying: the message is copied once, into the event.
Result<void> check_message(const Object& message) {
    const Map& map = message.as_map();
    const Object* json = map.find("json");
    const Object* binary = map.find("binary");
    if (map.size() != 1 || (json == nullptr && binary == nullptr)) {
        return make_error(ErrorCode::Invalid,
                          "message must be a map with exactly one key, \"json\" (any value) or \"binary\" (bytes)");
    }
    if (json == nullptr && !binary->is_buffer()) {
        return make_error(ErrorCode::Invalid,
                          "message.binary must be bytes, not " + std::string(type_name(binary->type())));
    }
    return {};
}

Object message_for_event(const Object& message) {
    const Object* binary = message.as_map().find("binary");
    if (binary != nullptr && binary->is_string()) {
        Map converted;
        converted.append("binary", Bytes{binary->as_string()});
        return converted;
    }
    return message;
}

Result<std::string> optional_name(const Object* value, const char* what) {
    if (value == nullptr || value->is_null()) {
        return std::string();
    }
    std::string name(value->as_buffer());
    if (name.size() > 256) {
        return make_error(ErrorCode::Invalid, std::string(what) + " is longer than 256 bytes");
    }
    return name;
}

} // namespace

size_t approximate_size(const Object& value) {
    switch (value.type()) {
    case Type::String:
    case Type::Bytes: return 5 + value.as_buffer().size();
    case Type::List: {
        size_t total = 5;
        for (const Object& item : value.as_list()) {
            total += approximate_size(item);
        }
        return total;
    }
    case Type::Map: {
        size_t total = 5;
        for (const auto& [key, item] : value.as_map()) {
            total += 5 + key.size() + approximate_size(item);
        }
        return total;
    }
    default: return 9;
    }
}

PubsubService::PubsubService(bus::Server& server, QueueLimits limits) : limits_(limits) { register_methods(server); }

PubsubService::~PubsubService() {
    for (auto& [id, subscriber] : subscribers_) {
        log_drops(*subscriber, "at exit");
    }
}

void PubsubService::register_methods(bus::Server& server) {
    server.add_call(contract::kPublish.spec(), [this](const bus::Call& call) { return publish(call); });
    server.add_subscribe(contract::kSubscribe.spec(), [this](bus::Subscription s) { subscribe(std::move(s)); });
    server.add_call(contract::kStats.spec(), [this](const bus::Call& call) { return stats(call); });
}

Result<Object> PubsubService::publish(const bus::Call& call) {
    std::string topic(call.param(param::kTopic)->as_buffer());
    if (auto valid = topic::validate_topic(topic); !valid) {
        return make_error(ErrorCode::Invalid, "publish: " + valid.error().message);
    }
    const Object& message = *call.param(param::kMessage);
    if (auto valid = check_message(message); !valid) {
        return make_error(ErrorCode::Invalid, "publish: " + valid.error().message);
    }
    auto sender = optional_name(call.param(param::kSender), "sender");
    if (!sender) {
        return make_error(ErrorCode::Invalid, "publish: " + sender.error().message);
    }
    ++published_;

    // Collected first: delivering may end a subscription (its client gone), which
    // changes the index.
    matched_.clear();
    trie_.match(topic, [&](uint64_t id) {
        auto it = subscribers_.find(id);
        if (it == subscribers_.end()) {
            return;
        }
        const Subscriber& subscriber = *it->second;
        if (subscriber.from_others_only && !sender->empty() && subscriber.name == *sender) {
            return;
        }
        matched_.push_back(id);
    });
    if (matched_.empty()) {
        return Object{Map{}};
    }
    Map event;
    event.reserve(3);
    event.append("topic", std::move(topic));
    event.append("message", message_for_event(message));
    if (!sender->empty()) {
        event.append("sender", std::move(*sender));
    }
    Object event_object(std::move(event));
    size_t bytes = approximate_size(event_object);
    auto matched = std::move(matched_);
    for (size_t i = 0; i < matched.size(); ++i) {
        auto it = subscribers_.find(matched[i]);
        if (it == subscribers_.end()) {
            continue;
        }
        // Each subscriber but the last gets a copy; the last one takes the event itself.
        deliver(*it->second, i + 1 == matched.size() ? std::move(event_object) : Object(event_object), bytes);
    }
    matched_ = std::move(matched);
    return Object{Map{}};
}

void PubsubService::deliver(Subscriber& subscriber, Object event, size_t bytes) {
    if (subscriber.queue.empty() && subscriber.subscription.backlog() < limits_.socket_backlog) {
        if (subscriber.subscription.send(std::move(event))) {
            ++subscriber.delivered;
            ++delivered_;
        }
        return;
    }
    if (subscriber.queue.size() >= limits_.queue_messages || subscriber.queued_bytes + bytes > limits_.queue_bytes) {
        note_drop(subscriber);
        return;
    }
    subscriber.queue.push_back({std::move(event), bytes});
    subscriber.queued_bytes += bytes;
    await_drain(subscriber);
}

void PubsubService::await_drain(Subscriber& subscriber) {
    if (subscriber.awaiting_drain) {
        return;
    }
    subscriber.awaiting_drain = true;
    std::weak_ptr<const bool> alive = alive_;
    uint64_t id = subscriber.id;
    subscriber.subscription.when_drained([this, alive, id] {
        if (!alive.expired()) {
            drain(id);
        }
    });
}

void PubsubService::drain(uint64_t id) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) {
        return;
    }
    Subscriber& subscriber = *it->second;
    subscriber.awaiting_drain = false;
    while (!subscriber.queue.empty() && subscriber.subscription.backlog() < limits_.socket_backlog) {
        Queued& next = subscriber.queue.front();
        subscriber.queued_bytes -= next.bytes;
        if (subscriber.subscription.send(std::move(next.event))) {
            ++subscriber.delivered;
            ++delivered_;
        }
        subscriber.queue.pop_front();
    }
    if (!subscriber.queue.empty()) {
        await_drain(subscriber);
    }
}

void PubsubService::note_drop(Subscriber& subscriber) {
    ++subscriber.dropped;
    ++subscriber.dropped_unlogged;
    ++dropped_;
    auto now = Clock::now();
    // One line per subscriber per interval at most, however fast messages are lost.
    if (subscriber.dropped == subscriber.dropped_unlogged || now - subscriber.last_drop_log >= kDropLogInterval) {
        log_drops(subscriber, "its queue is full");
        subscriber.last_drop_log = now;
    }
}

void PubsubService::log_drops(Subscriber& subscriber, const char* when) {
    if (subscriber.dropped_unlogged == 0) {
        return;
    }
    GGL_LOGW("subscription %llu (%s%s%s, client pid %d) does not keep up: dropped %llu messages (%s; %llu in all, "
             "%zu queued)",
             static_cast<unsigned long long>(subscriber.id), subscriber.filter.c_str(),
             subscriber.name.empty() ? "" : " for ", subscriber.name.c_str(),
             static_cast<int>(subscriber.subscription.peer().pid),
             static_cast<unsigned long long>(subscriber.dropped_unlogged), when,
             static_cast<unsigned long long>(subscriber.dropped), subscriber.queue.size());
    subscriber.dropped_unlogged = 0;
}

void PubsubService::subscribe(bus::Subscription subscription) {
    std::string filter(subscription.param(param::kTopicFilter)->as_buffer());
    if (auto valid = topic::validate_filter(filter); !valid) {
        subscription.reject(make_error(ErrorCode::Invalid, "subscribe: " + valid.error().message));
        return;
    }
    std::string mode(kReceiveAll);
    if (const Object* value = subscription.param(param::kReceiveMode)) {
        mode = std::string(value->as_buffer());
    }
    if (mode != kReceiveAll && mode != kReceiveFromOthers) {
        subscription.reject(make_error(ErrorCode::Invalid,
                                       "subscribe: receive_mode must be " + std::string(kReceiveAll) + " or " +
                                           std::string(kReceiveFromOthers) + ", not \"" + mode.substr(0, 64) + "\""));
        return;
    }
    auto name = optional_name(subscription.param(param::kSubscriber), "subscriber");
    if (!name) {
        subscription.reject(make_error(ErrorCode::Invalid, "subscribe: " + name.error().message));
        return;
    }
    bool from_others_only = mode == kReceiveFromOthers;
    if (from_others_only && name->empty()) {
        subscription.reject(make_error(ErrorCode::Invalid, "subscribe: receive_mode " + mode +
                                                               " needs \"subscriber\" (whose messages to skip)"));
        return;
    }
    auto subscriber = std::make_unique<Subscriber>(subscription);
    subscriber->id = next_id_++;
    subscriber->filter = filter;
    subscriber->name = std::move(*name);
    subscriber->from_others_only = from_others_only;
    uint64_t id = subscriber->id;
    trie_.insert(filter, id);
    GGL_LOGD("subscription %llu: %s (%s) from pid %d", static_cast<unsigned long long>(id), filter.c_str(),
             mode.c_str(), static_cast<int>(subscription.peer().pid));
    subscribers_.emplace(id, std::move(subscriber));
    std::weak_ptr<const bool> alive = alive_;
    subscription.on_cancel([this, alive, id] {
        if (!alive.expired()) {
            remove(id);
        }
    });
}

void PubsubService::remove(uint64_t id) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) {
        return;
    }
    log_drops(*it->second, "before it ended");
    trie_.erase(it->second->filter, id);
    subscribers_.erase(it);
}

Result<Object> PubsubService::stats(const bus::Call&) {
    List subscriptions;
    for (const auto& [id, subscriber] : subscribers_) {
        Map entry{{"id", static_cast<int64_t>(id)},
                  {"topic_filter", subscriber->filter},
                  {"receive_mode", std::string(subscriber->from_others_only ? kReceiveFromOthers : kReceiveAll)},
                  {"delivered", static_cast<int64_t>(subscriber->delivered)},
                  {"queued", static_cast<int64_t>(subscriber->queue.size())},
                  {"dropped", static_cast<int64_t>(subscriber->dropped)}};
        if (!subscriber->name.empty()) {
            entry.set("subscriber", subscriber->name);
        }
        subscriptions.emplace_back(std::move(entry));
    }
    return Object{Map{{"published", static_cast<int64_t>(published_)},
                      {"delivered", static_cast<int64_t>(delivered_)},
                      {"dropped", static_cast<int64_t>(dropped_)},
                      {"queue_limits", Map{{"messages", static_cast<int64_t>(limits_.queue_messages)},
                                           {"bytes", static_cast<int64_t>(limits_.queue_bytes)}}},
                      {"subscriptions", std::move(subscriptions)}}};
}

} // namespace ggl::pubsubd
