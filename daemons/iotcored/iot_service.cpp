// aws_iot_mqtt: publish, shared subscriptions, connection status and status.
#include "iot_service.hpp"

#include "iot_limits.hpp"

#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"
#include "ggl/topic.hpp"

#include <algorithm>

namespace ggl::iotcored {

namespace contract = services::iot_mqtt;

namespace {

// The filters of a subscribe request: a string or a list of strings.
Result<std::vector<std::string>> filters_of(const Object* value) {
    std::vector<std::string> filters;
    if (value != nullptr && value->is_string()) {
        filters.emplace_back(value->as_string());
    } else if (value != nullptr && value->is_list()) {
        for (const Object& item : value->as_list()) {
            if (!item.is_string()) {
                return make_error(ErrorCode::Invalid, "topic_filter: a list of strings expected");
            }
            filters.emplace_back(item.as_string());
        }
    } else {
        return make_error(ErrorCode::Invalid, "topic_filter: a string or a list of strings expected");
    }
    if (auto checked = check_filters(filters); !checked) {
        return std::move(checked).error();
    }
    return filters;
}

} // namespace

IotService::IotService(EventLoop& loop, bus::Server& server, Backoff backoff, std::unique_ptr<Spool> spool,
                       std::string spool_error, DrainRate drain_rate)
    : loop_(loop), backoff_(backoff), spool_(std::move(spool)), spool_error_(std::move(spool_error)),
      drain_rate_(drain_rate) {
    server.add_async_call(contract::kPublish.spec(), [this](bus::Call call) { publish(std::move(call)); });
    server.add_subscribe(contract::kSubscribe.spec(),
                         [this](bus::Subscription subscription) { subscribe(std::move(subscription)); });
    server.add_subscribe(contract::kConnectionStatus.spec(),
                         [this](bus::Subscription subscription) { connection_status(std::move(subscription)); });
    server.add_call(contract::kStatus.spec(), [this](const bus::Call&) { return status(); });
}

IotService::~IotService() {
    for (auto& connection : connections_) connection->stop();
    if (drain_timer_) loop_.cancel_timer(*drain_timer_);
    if (spool_) {
        if (auto flushed = spool_->flush(); !flushed) GGL_LOGW("%s", flushed.error().message.c_str());
    }
}

MqttConnection::Events IotService::events_for(size_t index) {
    return MqttConnection::Events{
        [this, index] { on_connected(index); },
        [this, index](const std::string& why) { on_disconnected(index, why); },
        [this](const std::string& topic, std::string payload) { on_message(topic, payload); },
        [this, index](int mid, Result<void> outcome) { on_published(index, mid, std::move(outcome)); },
        [this, index](int mid, std::vector<int> granted) { on_subscribed(index, mid, granted); },
    };
}

Result<void> IotService::configure(IotConfiguration configuration) {
    if (!configuration.spool_problem.empty() && configuration.spool != spool_settings_) {
        GGL_LOGW("%s", configuration.spool_problem.c_str());
    }
    spool_settings_ = configuration.spool;
    auto& settings = configuration.settings;
    if (settings == settings_ && (settings || last_error_ == configuration.why_not)) {
        return {};
    }
    for (auto& connection : connections_) connection->stop();
    // What the old connections had in flight will not be acknowledged now: callers hear
    // it, and spooled messages go again on the new connection.
    for (auto it = publishes_.begin(); it != publishes_.end();) {
        if (it->second.call) {
            it->second.call->fail(ErrorCode::Retry, "the connection to AWS IoT Core was restarted with new settings "
                                                    "before the message was acknowledged");
        }
        it = publishes_.erase(it);
    }
    forget_spooled_in_flight();
    settings_ = std::move(settings);
    for (auto& [filter, entry] : filters_) entry.active = false;
    if (!settings_) {
        last_error_ = std::move(configuration.why_not);
        broadcast_status();
        return {};
    }
    // One connection for the thing, more (<thing>#2, #3 ...) as the subscriptions need them.
    size_t needed = 1;
    for (const auto& [filter, entry] : filters_) needed = std::max(needed, entry.connection + 1);
    connections_.clear();
    for (size_t i = 0; i < needed; ++i) {
        std::string client_id = settings_->thing_name + (i == 0 ? "" : "#" + std::to_string(i + 1));
        connections_.push_back(std::make_unique<MqttConnection>(loop_, client_id, backoff_, events_for(i)));
    }
    last_error_.clear();
    for (auto& connection : connections_) {
        // A connection that cannot start (the identity files) stays, stopped, with its
        // subscriptions, until the configuration changes again.
        if (auto started = connection->start(*settings_); !started) {
            last_error_ = started.error().message;
            broadcast_status();
            return started;
        }
    }
    GGL_LOGI("connecting to %s:%d as %s%s", settings_->endpoint.c_str(), settings_->port, settings_->thing_name.c_str(),
             settings_->alpn() ? " (ALPN x-amzn-mqtt-ca)" : "");
    return {};
}

size_t IotService::connection_with_room() {
    std::vector<size_t> used(connections_.size(), 0);
    for (const auto& [filter, entry] : filters_) ++used[entry.connection];
    for (size_t i = 0; i < used.size(); ++i) {
        if (used[i] < kMaxSubscriptionsPerConnection) return i;
    }
    size_t index = connections_.size();
    auto connection = std::make_unique<MqttConnection>(loop_, settings_->thing_name + "#" + std::to_string(index + 1),
                                                       backoff_, events_for(index));
    if (auto started = connection->start(*settings_); !started) {
        last_error_ = started.error().message;
    } else {
        GGL_LOGI("%zu subscriptions: opening connection %s (AWS IoT Core allows %zu a connection)", filters_.size(),
                 connection->client_id().c_str(), kMaxSubscriptionsPerConnection);
    }
    connections_.push_back(std::move(connection));
    return index;
}

void IotService::subscribe(bus::Subscription subscription) {
    auto filters = filters_of(subscription.param(contract::param::kTopicFilter));
    if (!filters) {
        subscription.reject(filters.error());
        return;
    }
    const Object* qos = subscription.param(contract::param::kQos);
    if (qos != nullptr && qos->is_i64()) {
        if (auto checked = check_qos(qos->as_i64()); !checked) {
            subscription.reject(checked.error());
            return;
        }
    }
    if (!settings_) {
        subscription.reject(
            make_error(ErrorCode::Retry, last_error_.empty() ? "not configured for AWS IoT Core" : last_error_));
        return;
    }
    std::map<size_t, std::vector<std::string>> to_send;
    for (const std::string& filter : *filters) {
        auto [it, added] = filters_.try_emplace(filter);
        if (added) {
            // Find room before counting this filter in.
            filters_.erase(it);
            size_t index = connection_with_room();
            it = filters_.try_emplace(filter).first;
            it->second.connection = index;
            to_send[index].push_back(filter);
        }
        it->second.subscribers.push_back(subscription);
    }
    subscription.on_cancel([this, filters = *filters] {
        for (const std::string& filter : filters) remove_subscriber(filter);
    });
    for (auto& [index, new_filters] : to_send) {
        if (connections_[index]->connected()) send_subscribe(index, new_filters);
    }
}

void IotService::send_subscribe(size_t index, const std::vector<std::string>& filters) {
    for (size_t first = 0; first < filters.size(); first += kMaxFiltersPerSubscribe) {
        std::vector<std::string> batch(
            filters.begin() + static_cast<ptrdiff_t>(first),
            filters.begin() + static_cast<ptrdiff_t>(std::min(filters.size(), first + kMaxFiltersPerSubscribe)));
        auto mid = connections_[index]->subscribe(batch, kMaxQos);
        if (mid) {
            subacks_[{index, *mid}] = batch;
        } else {
            GGL_LOGW("subscribing on %s: %s", connections_[index]->client_id().c_str(), mid.error().message.c_str());
        }
    }
}

void IotService::on_subscribed(size_t index, int mid, const std::vector<int>& granted) {
    auto it = subacks_.find({index, mid});
    if (it == subacks_.end()) return;
    std::vector<std::string> filters = std::move(it->second);
    subacks_.erase(it);
    bool refused = false;
    for (size_t i = 0; i < filters.size(); ++i) {
        auto entry = filters_.find(filters[i]);
        if (entry == filters_.end()) continue;
        int code = i < granted.size() ? granted[i] : 0x80;
        if (code < 0x80) {
            entry->second.active = true;
            continue;
        }
        std::string why = "AWS IoT Core refused the subscription to '" + filters[i] + "' (reason code " +
                          std::to_string(code) + (code == 0x87 ? ": not authorized by the IoT policy" : "") + ")";
        GGL_LOGW("%s", why.c_str());
        for (bus::Subscription& subscriber : entry->second.subscribers)
            subscriber.end(make_error(ErrorCode::Remote, why));
        filters_.erase(entry);
        refused = true;
    }
    if (!refused) return;
    // A subscription ended with the refusal leaves its other filters too; those nobody
    // else wants are unsubscribed.
    std::vector<std::string> all;
    for (const auto& [filter, entry] : filters_) all.push_back(filter);
    for (const std::string& filter : all) remove_subscriber(filter);
}

void IotService::remove_subscriber(const std::string& filter) {
    auto entry = filters_.find(filter);
    if (entry == filters_.end()) return;
    // The subscription that went is no longer active, nor any other that ended.
    auto& subscribers = entry->second.subscribers;
    subscribers.erase(
        std::remove_if(subscribers.begin(), subscribers.end(), [](const bus::Subscription& s) { return !s.active(); }),
        subscribers.end());
    if (!subscribers.empty()) return;
    size_t index = entry->second.connection;
    filters_.erase(entry);
    if (index < connections_.size()) {
        if (auto gone = connections_[index]->unsubscribe({filter}); !gone) {
            GGL_LOGW("%s", gone.error().message.c_str());
        }
    }
}

void IotService::on_connected(size_t index) {
    if (index >= connections_.size()) return;
    GGL_LOGI("connected to AWS IoT Core as %s", connections_[index]->client_id().c_str());
    if (index == 0) last_error_.clear();
    // A clean start: every filter of this connection is subscribed again.
    std::vector<std::string> filters;
    for (auto& [filter, entry] : filters_) {
        if (entry.connection == index) {
            entry.active = false;
            filters.push_back(filter);
        }
    }
    send_subscribe(index, filters);
    broadcast_status();
    if (index == 0) drain();
}

void IotService::on_disconnected(size_t index, const std::string& why) {
    if (index >= connections_.size()) return;
    if (index == 0 || last_error_.empty()) {
        if (why != last_error_) {
            GGL_LOGW("%s: %s", connections_[index]->client_id().c_str(), why.c_str());
        }
        last_error_ = why;
    }
    // QoS 0 messages not yet written are not sent again (a spooled one goes again from
    // the spool); libmosquitto sends QoS 1 ones again after the reconnect.
    for (auto it = publishes_.begin(); it != publishes_.end();) {
        if (it->first.first == index && it->second.qos == 0) {
            if (it->second.call) {
                it->second.call->fail(ErrorCode::Retry,
                                      "the connection to AWS IoT Core was lost before the message went");
            } else {
                spool_in_flight_.erase(it->second.spool_id);
                last_sent_id_ = std::min(last_sent_id_, it->second.spool_id - 1);
            }
            it = publishes_.erase(it);
        } else {
            ++it;
        }
    }
    if (index == 0 && drain_timer_) {
        loop_.cancel_timer(*drain_timer_);
        drain_timer_.reset();
    }
    for (auto& [filter, entry] : filters_) {
        if (entry.connection == index) entry.active = false;
    }
    broadcast_status();
}

void IotService::on_message(const std::string& topic, const std::string& payload) {
    for (auto& [filter, entry] : filters_) {
        if (!topic::matches(filter, topic)) continue;
        for (bus::Subscription& subscriber : entry.subscribers) {
            subscriber.send(Map{{contract::event::kTopic, topic}, {contract::event::kPayload, Bytes{payload}}});
        }
    }
}

void IotService::connection_status(bus::Subscription subscription) {
    bool connected = !connections_.empty() && connections_[0]->connected();
    subscription.send(Map{{contract::event::kConnected, connected}});
    status_watchers_.push_back(subscription);
}

void IotService::broadcast_status() {
    bool connected = !connections_.empty() && connections_[0]->connected();
    status_watchers_.erase(std::remove_if(status_watchers_.begin(), status_watchers_.end(),
                                          [](const bus::Subscription& s) { return !s.active(); }),
                           status_watchers_.end());
    if (connected == reported_connected_) return;
    reported_connected_ = connected;
    for (bus::Subscription& watcher : status_watchers_) watcher.send(Map{{contract::event::kConnected, connected}});
}

Result<Object> IotService::status() const {
    List connections;
    size_t index = 0;
    for (const auto& connection : connections_) {
        int64_t count = 0;
        for (const auto& [filter, entry] : filters_) count += entry.connection == index ? 1 : 0;
        connections.push_back(Map{{"client_id", connection->client_id()},
                                  {"connected", connection->connected()},
                                  {"subscriptions", count},
                                  {"since", connection->since_ms()}});
        ++index;
    }
    int64_t subscribers = 0;
    for (const auto& [filter, entry] : filters_) subscribers += static_cast<int64_t>(entry.subscribers.size());
    Map status{
        {"configured", settings_.has_value()},   {"connected", !connections_.empty() && connections_[0]->connected()},
        {"connections", std::move(connections)}, {"subscriptions", static_cast<int64_t>(filters_.size())},
        {"local_subscribers", subscribers},      {"last_error", last_error_}};
    Map spool{{"max_bytes", static_cast<int64_t>(spool_settings_.max_bytes)}, {"keep_qos0", spool_settings_.keep_qos0}};
    if (spool_) {
        spool.set("path", spool_->path());
        spool.set("messages", static_cast<int64_t>(spool_->depth()));
        spool.set("bytes", static_cast<int64_t>(spool_->bytes()));
    } else {
        spool.set("error", spool_error_);
    }
    status.set("spool", std::move(spool));
    if (settings_) {
        status.set("endpoint", settings_->endpoint);
        status.set("port", int64_t{settings_->port});
        status.set("alpn", settings_->alpn() ? std::string(tls::kMqttAlpn) : std::string());
        status.set("thing_name", settings_->thing_name);
    }
    return Object(std::move(status));
}

} // namespace ggl::iotcored
