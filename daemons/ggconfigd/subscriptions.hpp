// Who watches which key, and the events a committed change sends them (loop thread only).
#pragma once

#include "ggl/bus_server.hpp"
#include "ggl/config_store.hpp"

#include <cstdint>
#include <functional>
#include <map>

namespace ggl::configd {

class SubscriptionRegistry {
public:
    // Tells whether a key exists now; used for subscribers below a newly created map,
    // which are told only when their own key came with it.
    using ExistenceCheck = std::function<bool(const config::KeyPath&)>;

    explicit SubscriptionRegistry(ExistenceCheck exists) : exists_(std::move(exists)) {}

    void add(config::KeyPath key_path, bus::Subscription subscription);
    // One event per change at or below each subscriber's key, and one for a change above
    // it that reached it (a delete of a parent, a map that brought the key with it).
    void notify(const std::vector<config::Change>& changes);
    size_t size() const { return watchers_.size(); }

private:
    struct Watcher {
        config::KeyPath key_path;
        bus::Subscription subscription;
    };
    void send(Watcher& watcher, const config::KeyPath& key_path, bool deleted);

    ExistenceCheck exists_;
    std::map<uint64_t, Watcher> watchers_;
    uint64_t next_id_ = 1;
};

} // namespace ggl::configd
