// The gg_pubsub bus methods: publish, subscribe (MQTT-style filters), stats. Fan-out
// never waits on a subscriber: each has a bounded queue, and what overflows it is
// dropped, counted and logged.
#pragma once

#include "topic_trie.hpp"

#include "ggl/bus_server.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ggl::pubsubd {

struct QueueLimits {
    // Unwritten bytes on a subscriber's connection below which events go straight to
    // it; above, they wait in the subscriber's own queue (so that one connection's
    // buffer never grows without bound).
    size_t socket_backlog = 256u << 10;
    // The subscriber's own queue; a message that would exceed either limit is dropped.
    size_t queue_messages = 1000;
    size_t queue_bytes = 8u << 20;
};

// Runs on the event loop thread only (every method is a loop handler).
class PubsubService {
public:
    PubsubService(bus::Server& server, QueueLimits limits);
    ~PubsubService();
    PubsubService(const PubsubService&) = delete;
    PubsubService& operator=(const PubsubService&) = delete;

private:
    struct Queued {
        Object event;
        size_t bytes;
    };
    struct Subscriber {
        explicit Subscriber(bus::Subscription s) : subscription(std::move(s)) {}
        uint64_t id = 0;
        bus::Subscription subscription;
        std::string filter;
        std::string name; // the subscribing component, if it said
        bool from_others_only = false; // RECEIVE_MESSAGES_FROM_OTHERS
        std::deque<Queued> queue;
        size_t queued_bytes = 0;
        bool awaiting_drain = false;
        uint64_t delivered = 0; // handed to the connection
        uint64_t dropped = 0;
        uint64_t dropped_unlogged = 0;
        std::chrono::steady_clock::time_point last_drop_log{};
    };

    void register_methods(bus::Server& server);
    Result<Object> publish(const bus::Call& call);
    void subscribe(bus::Subscription subscription);
    Result<Object> stats(const bus::Call& call);

    void deliver(Subscriber& subscriber, Object event, size_t bytes);
    void drain(uint64_t id);
    void await_drain(Subscriber& subscriber);
    void note_drop(Subscriber& subscriber);
    void log_drops(Subscriber& subscriber, const char* when);
    void remove(uint64_t id);

    QueueLimits limits_;
    TopicTrie trie_;
    std::unordered_map<uint64_t, std::unique_ptr<Subscriber>> subscribers_;
    std::vector<uint64_t> matched_; // publish()'s scratch, kept to spare an allocation each time
    uint64_t next_id_ = 1;
    uint64_t published_ = 0;
    uint64_t delivered_ = 0;
    uint64_t dropped_ = 0;
    // Expires with this object: callbacks the server still holds must not touch it then.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

// A rough size of an object on the wire, for the queue's byte limit.
size_t approximate_size(const Object& value);

} // namespace ggl::pubsubd
