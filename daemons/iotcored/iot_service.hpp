// The aws_iot_mqtt bus service (ggl/services/iot_mqtt.hpp): publishes, shared MQTT
// subscriptions spread over connections of at most 50 each, connection status.
#pragma once

#include "iot_settings.hpp"
#include "mqtt_connection.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/event_loop.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ggl::iotcored {

class IotService {
public:
    IotService(EventLoop& loop, bus::Server& server, Backoff backoff);
    ~IotService();

    // Connects with these settings (again, when they changed); CONFIG when the TLS files
    // cannot be used. Without settings (not configured) it answers and waits.
    Result<void> configure(std::optional<IotSettings> settings, std::string not_configured_reason = {});

private:
    struct Filter {
        size_t connection = 0;
        bool active = false; // granted by a SUBACK on the current connection
        std::vector<bus::Subscription> subscribers;
    };
    struct PendingPublish {
        bus::Call call;
        int qos = 0;
    };

    void publish(bus::Call call);
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
};

} // namespace ggl::iotcored
