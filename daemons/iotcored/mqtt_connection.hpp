// One MQTT 5 connection to AWS IoT Core on libmosquitto: its own network thread connects,
// keeps it alive and reconnects with full-jitter exponential backoff; everything it
// reports reaches the owner on the event loop (docs/iot-core.md).
#pragma once

#include "iot_settings.hpp"
#include "proxy_bridge.hpp"

#include "ggl/error.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/tls_client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

struct mosquitto;

namespace ggl::iotcored {

// Full jitter (the AWS architecture blog's "Exponential Backoff And Jitter"): the n-th
// wait since the last good connection is uniform in [0, min(cap, base * 2^n)].
struct Backoff {
    std::chrono::milliseconds base{1000};
    std::chrono::milliseconds cap{120000};
    std::chrono::milliseconds next(unsigned attempt, uint64_t random) const;
};

class MqttConnection {
public:
    // Called on the event loop. Connected: after every CONNACK that accepted (subscriptions
    // are gone with a clean start: the owner subscribes again). Disconnected: with why,
    // in words. Published: a QoS 1 publish's PUBACK (or its failure). Subscribed: a
    // SUBACK's granted QoS or reason code (>= 0x80: refused) per filter, in order.
    struct Events {
        std::function<void()> connected;
        std::function<void(const std::string& why)> disconnected;
        std::function<void(const std::string& topic, std::string payload)> message;
        std::function<void(int mid, Result<void> outcome)> published;
        std::function<void(int mid, std::vector<int> granted)> subscribed;
    };

    MqttConnection(EventLoop& loop, std::string client_id, Backoff backoff, Events events);
    ~MqttConnection();
    MqttConnection(const MqttConnection&) = delete;
    MqttConnection& operator=(const MqttConnection&) = delete;

    // Starts (or restarts, with new settings) connecting; the TLS context is built first,
    // so that a bad certificate or key is reported at once (CONFIG).
    Result<void> start(const IotSettings& settings);
    void stop();

    const std::string& client_id() const { return client_id_; }
    bool connected() const { return connected_; }
    // When the connection last came up or went down (ms since the epoch; 0: never).
    int64_t since_ms() const { return since_ms_; }

    // The message id; NOCONN when not connected (nothing is queued in the library).
    Result<int> publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                        const std::vector<std::pair<std::string, std::string>>& user_properties);
    Result<int> subscribe(const std::vector<std::string>& filters, int qos);
    Result<void> unsubscribe(const std::vector<std::string>& filters);

private:
    void run(IotSettings settings);
    std::string probe(const IotSettings& settings);
    std::string describe_failure(const std::string& logged, const IotSettings& settings);
    void wait_before_retry(unsigned attempt);
    void post(std::function<void()> work);

    EventLoop& loop_;
    std::string client_id_;
    Backoff backoff_;
    Events events_;
    mosquitto* mosq_ = nullptr;
    tls::SslCtx tls_;
    std::unique_ptr<ProxyBridge> proxy_; // when the connection goes through an HTTP proxy
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> connected_{false};
    std::atomic<bool> refused_{false}; // the last CONNACK refused (its reason already told)
    std::string where_; // host:port, for messages
    std::atomic<int64_t> since_ms_{0};
    std::mutex wait_mutex_;
    std::condition_variable wait_;
    // The last error libmosquitto logged (OpenSSL's text for TLS), on the network thread.
    std::string logged_;
    // Set on the loop when this object goes, so that work posted before is dropped.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

    friend struct MqttCallbacks;
};

} // namespace ggl::iotcored
