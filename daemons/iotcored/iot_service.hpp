// The aws_iot_mqtt bus service (ggl/services/iot_mqtt.hpp): publishes (through the
// offline spool while IoT Core cannot be reached), shared MQTT subscriptions spread over
// connections of at most 50 each, connection status.
#pragma once

#include "iot_settings.hpp"
#include "mqtt_connection.hpp"
#include "spool.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/event_loop.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ggl::iotcored {

class IotService {
public:
    // How fast the spool empties after a reconnect: at most this many publishes in any
    // second (IoT Core's limit per connection is 100); 0: as fast as IoT Core acknowledges.
    struct DrainRate {
        unsigned per_second = 100;
    };

    // The spool may be missing (spool_error says why): publishing offline then gets RETRY.
    IotService(EventLoop& loop, bus::Server& server, Backoff backoff, std::unique_ptr<Spool> spool,
               std::string spool_error, DrainRate drain_rate);
    ~IotService();

    // Connects with these settings (again, when they changed); CONFIG when the TLS files
    // cannot be used. Without settings (not configured) it answers and waits.
    Result<void> configure(IotConfiguration configuration);

private:
    struct Filter {
        size_t connection = 0;
        bool active = false; // granted by a SUBACK on the current connection
        std::vector<bus::Subscription> subscribers;
    };
    // A publish IoT Core has not acknowledged yet: a caller's, or a spooled message's.
    struct PendingPublish {
        std::optional<bus::Call> call;
        int qos = 0;
        int64_t spool_id = 0; // 0: not from the spool
        uint64_t spool_size = 0;
    };

    void publish(bus::Call call);
    void spool_publish(bus::Call call, OutgoingMessage message);
    void drain();
    void schedule_drain(std::chrono::milliseconds delay);
    void forget_spooled_in_flight();
    void flush_spool_soon();
    void subscribe(bus::Subscription subscription);
    void connection_status(bus::Subscription subscription);
    Result<Object> status() const;

    size_t connection_with_room();
    MqttConnection::Events events_for(size_t index);
    void on_connected(size_t index);
    void on_disconnected(size_t index, const std::string& why);
    void on_message(const std::string& topic, const std::string& payload);
    void on_published(size_t index, int mid, Result<void> outcome);
    void on_subscribed(size_t index, int mid, const std::vector<int>& granted);
    void send_subscribe(size_t index, const std::vector<std::string>& filters);
    void remove_subscriber(const std::string& filter);
    void broadcast_status();

    EventLoop& loop_;
    Backoff backoff_;
    std::optional<IotSettings> settings_;
    std::string last_error_;
    std::vector<std::unique_ptr<MqttConnection>> connections_;
    std::map<std::string, Filter> filters_;
    std::map<std::pair<size_t, int>, PendingPublish> publishes_;
    std::map<std::pair<size_t, int>, std::vector<std::string>> subacks_;
    std::vector<bus::Subscription> status_watchers_;
    bool reported_connected_ = false;

    std::unique_ptr<Spool> spool_;
    std::string spool_error_;
    SpoolSettings spool_settings_;
    DrainRate drain_rate_;
    int64_t last_sent_id_ = 0; // the spooled message sent last on this connection
    std::set<int64_t> spool_in_flight_; // sent, not yet acknowledged
    double drain_tokens_ = 0;
    std::chrono::steady_clock::time_point drain_refilled_;
    std::optional<EventLoop::TimerId> drain_timer_;
    bool flush_posted_ = false;
};

} // namespace ggl::iotcored
