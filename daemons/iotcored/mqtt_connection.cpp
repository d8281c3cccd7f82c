// One MQTT 5 connection on libmosquitto: network thread, backoff, callbacks to the loop.
#include "mqtt_connection.hpp"

#include "ggl/aws_endpoint.hpp"
#include "ggl/log.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <netdb.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace ggl::iotcored {

namespace {

// How long a TCP connect to the endpoint may take before the attempt counts as failed.
constexpr std::chrono::milliseconds kConnectTimeout{10000};

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

std::chrono::milliseconds Backoff::next(unsigned attempt, uint64_t random) const {
    auto ceiling = base.count();
    for (unsigned i = 0; i < attempt && ceiling < cap.count(); ++i) {
        ceiling *= 2;
    }
    ceiling = std::min<int64_t>(ceiling, cap.count());
    return std::chrono::milliseconds(static_cast<int64_t>(random % static_cast<uint64_t>(ceiling + 1)));
}

// libmosquitto's callbacks, on the network thread: what they report goes to the loop.
struct MqttCallbacks {
    static MqttConnection& self(void* object) { return *static_cast<MqttConnection*>(object); }

    static void on_connect(mosquitto*, void* object, int reason, int, const mosquitto_property*) {
        MqttConnection& connection = self(object);
        if (reason != 0) {
            std::string why = std::string("AWS IoT Core refused the connection: ") + mosquitto_reason_string(reason);
            if (reason == MQTT_RC_NOT_AUTHORIZED) {
                why += " (the certificate's IoT policy does not allow iot:Connect for client id " +
                       connection.client_id_ + ")";
            }
            connection.refused_ = true;
            connection.post([&connection, why] { connection.events_.disconnected(why); });
            return;
        }
        connection.connected_ = true;
        connection.since_ms_ = now_ms();
        connection.post([&connection] { connection.events_.connected(); });
    }

    static void on_disconnect(mosquitto*, void* object, int reason, const mosquitto_property*) {
        MqttConnection& connection = self(object);
        bool was_connected = connection.connected_.exchange(false);
        if (connection.stopping_ || !was_connected) {
            return;
        }
        std::string why = reason == MOSQ_ERR_KEEPALIVE   ? "AWS IoT Core stopped answering (no PINGRESP in time)"
                          : reason == MOSQ_ERR_CONN_LOST ? "the connection to " + connection.where_ + " was lost"
                          : reason > 0 && reason < 0x80
                              ? std::string("the connection ended: ") + mosquitto_strerror(reason)
                              : std::string("AWS IoT Core disconnected: ") + mosquitto_reason_string(reason);
        connection.since_ms_ = now_ms();
        connection.post([&connection, why] { connection.events_.disconnected(why); });
    }

    static void on_publish(mosquitto*, void* object, int mid, int reason, const mosquitto_property*) {
        MqttConnection& connection = self(object);
        Result<void> outcome;
        if (reason >= 0x80) {
            outcome = make_error(ErrorCode::Remote,
                                 std::string("AWS IoT Core refused the message: ") + mosquitto_reason_string(reason));
        }
        connection.post([&connection, mid, outcome] { connection.events_.published(mid, outcome); });
    }

    static void on_subscribe(mosquitto*, void* object, int mid, int count, const int* granted,
                             const mosquitto_property*) {
        MqttConnection& connection = self(object);
        std::vector<int> codes(granted, granted + count);
        connection.post([&connection, mid, codes] { connection.events_.subscribed(mid, codes); });
    }

    static void on_message(mosquitto*, void* object, const mosquitto_message* message, const mosquitto_property*) {
        MqttConnection& connection = self(object);
        std::string topic = message->topic;
        std::string payload(static_cast<const char*>(message->payload), static_cast<size_t>(message->payloadlen));
        connection.post([&connection, topic = std::move(topic), payload = std::move(payload)]() mutable {
            connection.events_.message(topic, std::move(payload));
        });
    }

    static void on_log(mosquitto*, void* object, int level, const char* text) {
        if (level == MOSQ_LOG_ERR || level == MOSQ_LOG_WARNING) {
            self(object).logged_ = text;
        }
    }
};

MqttConnection::MqttConnection(EventLoop& loop, std::string client_id, Backoff backoff, Events events)
    : loop_(loop), client_id_(std::move(client_id)), backoff_(backoff), events_(std::move(events)) {}

MqttConnection::~MqttConnection() {
    stop();
    *alive_ = false;
}

void MqttConnection::post(std::function<void()> work) {
    loop_.post([alive = std::weak_ptr<bool>(alive_), work = std::move(work)] {
        auto live = alive.lock();
        if (live && *live) work();
    });
}

Result<void> MqttConnection::start(const IotSettings& settings) {
    stop();
    auto tls = tls::client_context(settings.identity(), settings.tls_endpoint());
    if (!tls) {
        return std::move(tls).error();
    }
    tls_ = std::move(*tls);
    where_ = settings.endpoint + ":" + std::to_string(settings.port);
    mosq_ = mosquitto_new(client_id_.c_str(), true, this);
    if (mosq_ == nullptr) {
        return make_error(ErrorCode::Failure, std::string("cannot make an MQTT client: ") + std::strerror(errno));
    }
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_void_option(mosq_, MOSQ_OPT_SSL_CTX, tls_.get());
    mosquitto_int_option(mosq_, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_threaded_set(mosq_, true);
    mosquitto_connect_v5_callback_set(mosq_, MqttCallbacks::on_connect);
    mosquitto_disconnect_v5_callback_set(mosq_, MqttCallbacks::on_disconnect);
    mosquitto_publish_v5_callback_set(mosq_, MqttCallbacks::on_publish);
    mosquitto_subscribe_v5_callback_set(mosq_, MqttCallbacks::on_subscribe);
    mosquitto_message_v5_callback_set(mosq_, MqttCallbacks::on_message);
    mosquitto_log_callback_set(mosq_, MqttCallbacks::on_log);
    if (settings.proxy) {
        // libmosquitto speaks SOCKS5 to the bridge, which speaks HTTP CONNECT to the proxy.
        proxy_ = std::make_unique<ProxyBridge>(*settings.proxy, settings.endpoint, settings.port);
        auto port = proxy_->start();
        if (!port) {
            proxy_.reset();
            return std::move(port).error();
        }
        mosquitto_socks5_set(mosq_, "127.0.0.1", *port, nullptr, nullptr);
    }
    stopping_ = false;
    thread_ = std::thread([this, settings] { run(settings); });
    return {};
}

void MqttConnection::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stopping_ = true;
    {
        std::lock_guard lock(wait_mutex_);
        wait_.notify_all();
    }
    mosquitto_disconnect_v5(mosq_, MQTT_RC_NORMAL_DISCONNECTION, nullptr);
    thread_.join();
    if (proxy_) proxy_->stop();
    proxy_.reset();
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    tls_.reset();
    connected_ = false;
}

void MqttConnection::wait_before_retry(unsigned attempt) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    auto delay = backoff_.next(attempt, random());
    std::unique_lock lock(wait_mutex_);
    wait_.wait_for(lock, delay, [this] { return stopping_.load(); });
}

// Whether the endpoint (or the proxy) accepts a TCP connection within kConnectTimeout,
// waiting in short slices so that stop() is never held: libmosquitto's own connect blocks
// for the kernel's whole SYN timeout (about 2 minutes) on a path that drops packets.
// Empty when it does, else why not, in words.
std::string MqttConnection::probe(const IotSettings& settings) {
    const std::string& host = settings.proxy ? settings.proxy->host : settings.endpoint;
    int port = settings.proxy ? settings.proxy->port : settings.port;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    std::string why;
    if (int error = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); error != 0) {
        why = settings.proxy ? gai_strerror(error) : "Lookup error";
    } else {
        if (tls::connect_tcp(found, kConnectTimeout, why, [this] { return stopping_.load(); })) why.clear();
        freeaddrinfo(found);
    }
    if (why.empty()) return why;
    return settings.proxy ? "cannot reach the proxy " + settings.proxy->url + ": " + why
                          : tls::describe_connect_failure(why, "", settings.identity(), settings.tls_endpoint());
}

// Why an attempt failed: the proxy's refusal when it had one, else what TLS and
// libmosquitto said, in words.
std::string MqttConnection::describe_failure(const std::string& logged, const IotSettings& settings) {
    if (proxy_) {
        if (std::string refused = proxy_->take_error(); !refused.empty()) return refused;
    }
    return tls::describe_connect_failure(logged, tls::last_server_verify_error(), settings.identity(),
                                         settings.tls_endpoint());
}

void MqttConnection::run(IotSettings settings) {
    unsigned attempt = 0;
    bool first = true;
    int keep_alive = static_cast<int>(settings.keep_alive.count());
    while (!stopping_) {
        logged_.clear();
        refused_ = false;
        tls::clear_server_verify_error();
        if (std::string why = probe(settings); !why.empty()) {
            if (stopping_) break;
            post([this, why] { events_.disconnected(why); });
            wait_before_retry(attempt++);
            continue;
        }
        errno = 0;
        int rc = first ? mosquitto_connect_bind_v5(mosq_, settings.endpoint.c_str(), settings.port, keep_alive, nullptr,
                                                   nullptr)
                       : mosquitto_reconnect(mosq_);
        first = false;
        if (rc != MOSQ_ERR_SUCCESS) {
            if (stopping_) break;
            std::string logged = logged_;
            if (rc == MOSQ_ERR_ERRNO && logged.empty()) logged = std::strerror(errno);
            if (rc == MOSQ_ERR_EAI) logged = "Lookup error";
            std::string why = describe_failure(logged, settings);
            post([this, why] { events_.disconnected(why); });
            wait_before_retry(attempt++);
            continue;
        }
        // Served until the connection ends; a connection that reached CONNACK starts the
        // backoff over. One that ended before it failed in the TLS handshake (TLS 1.3
        // reports the server's refusal of the device certificate only on the first read)
        // or was refused by CONNACK.
        bool reached_connack = false;
        while (!stopping_) {
            rc = mosquitto_loop(mosq_, 1000, 1);
            reached_connack = reached_connack || connected_;
            if (rc != MOSQ_ERR_SUCCESS) break;
        }
        if (stopping_) break;
        if (!reached_connack && !refused_) {
            std::string why =
                describe_failure(logged_.empty() ? std::string(mosquitto_strerror(rc)) : logged_, settings);
            post([this, why] { events_.disconnected(why); });
        } else if (connected_.exchange(false)) {
            // Lost without a DISCONNECT callback (a cut socket, a TLS error mid-stream).
            std::string why = "the connection to " + where_ + " was lost (" + mosquitto_strerror(rc) + ")";
            post([this, why] { events_.disconnected(why); });
        }
        if (reached_connack) attempt = 0;
        wait_before_retry(attempt++);
    }
}

Result<int> MqttConnection::publish(const std::string& topic, const std::string& payload, int qos, bool retain,
                                    const std::vector<std::pair<std::string, std::string>>& user_properties) {
    if (!connected_) {
        return make_error(ErrorCode::Noconn, "not connected to AWS IoT Core");
    }
    mosquitto_property* properties = nullptr;
    for (const auto& [name, value] : user_properties) {
        mosquitto_property_add_string_pair(&properties, MQTT_PROP_USER_PROPERTY, name.c_str(), value.c_str());
    }
    int mid = 0;
    int rc = mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                                  retain, properties);
    mosquitto_property_free_all(&properties);
    if (rc != MOSQ_ERR_SUCCESS) {
        return make_error(rc == MOSQ_ERR_NO_CONN ? ErrorCode::Noconn : ErrorCode::Failure,
                          std::string("cannot publish: ") + mosquitto_strerror(rc));
    }
    return mid;
}

Result<int> MqttConnection::subscribe(const std::vector<std::string>& filters, int qos) {
    if (!connected_) {
        return make_error(ErrorCode::Noconn, "not connected to AWS IoT Core");
    }
    std::vector<char*> names;
    for (const std::string& filter : filters) names.push_back(const_cast<char*>(filter.c_str()));
    int mid = 0;
    int rc = mosquitto_subscribe_multiple(mosq_, &mid, static_cast<int>(names.size()), names.data(), qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        return make_error(rc == MOSQ_ERR_NO_CONN ? ErrorCode::Noconn : ErrorCode::Failure,
                          std::string("cannot subscribe: ") + mosquitto_strerror(rc));
    }
    return mid;
}

Result<void> MqttConnection::unsubscribe(const std::vector<std::string>& filters) {
    if (!connected_) {
        return {}; // a clean start forgets them anyway
    }
    std::vector<char*> names;
    for (const std::string& filter : filters) names.push_back(const_cast<char*>(filter.c_str()));
    int rc = mosquitto_unsubscribe_multiple(mosq_, nullptr, static_cast<int>(names.size()), names.data(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
        return make_error(ErrorCode::Failure, std::string("cannot unsubscribe: ") + mosquitto_strerror(rc));
    }
    return {};
}

} // namespace ggl::iotcored
