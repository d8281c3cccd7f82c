// Subscriptions to configuration keys: matching changes to watchers, and shedding slow ones.
#include "subscriptions.hpp"

#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

namespace ggl::configd {
namespace {

// Events queued for one client beyond this end its subscription: a subscriber that
// stopped reading must cost the daemon bounded memory and never hold up a writer.
// It learns with BUSY and can subscribe again and re-read.
constexpr size_t kMaxSubscriberBacklog = 4u << 20;

} // namespace

void SubscriptionRegistry::add(config::KeyPath key_path, bus::Subscription subscription) {
    uint64_t id = next_id_++;
    subscription.on_cancel([this, id] { watchers_.erase(id); });
    watchers_.emplace(id, Watcher{std::move(key_path), std::move(subscription)});
}

void SubscriptionRegistry::send(Watcher& watcher, const config::KeyPath& key_path, bool deleted) {
    Map event{{services::config::event::kKeyPath, config::key_path_to_object(key_path)}};
    if (deleted) {
        event.set(services::config::event::kDeleted, true);
    }
    watcher.subscription.send(std::move(event));
}

void SubscriptionRegistry::notify(const std::vector<config::Change>& changes) {
    if (changes.empty()) {
        return;
    }
    for (auto it = watchers_.begin(); it != watchers_.end();) {
        Watcher& watcher = it->second;
        if (!watcher.subscription.active()) {
            it = watchers_.erase(it);
            continue;
        }
        for (const config::Change& change : changes) {
            if (config::key_path_within(change.key_path, watcher.key_path)) {
                send(watcher, change.key_path, change.deleted);
            } else if (config::key_path_within(watcher.key_path, change.key_path)) {
                if (change.deleted || exists_(watcher.key_path)) {
                    send(watcher, watcher.key_path, change.deleted);
                }
            }
        }
        if (watcher.subscription.backlog() > kMaxSubscriberBacklog) {
            GGL_LOGW("ending a subscription to %s: its client stopped reading (pid %d)",
                     config::key_path_to_text(watcher.key_path).c_str(), watcher.subscription.peer().pid);
            watcher.subscription.end(make_error(ErrorCode::Busy, "too many events left unread; subscribe again"));
            it = watchers_.erase(it);
            continue;
        }
        ++it;
    }
}

} // namespace ggl::configd
