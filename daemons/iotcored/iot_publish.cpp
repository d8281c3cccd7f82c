// aws_iot_mqtt's publish: straight to IoT Core when connected, else into the offline
// spool, which empties in order after a reconnect at a rate IoT Core accepts.
#include "iot_limits.hpp"
#include "iot_service.hpp"

#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"

#include <algorithm>
#include <cmath>

namespace ggl::iotcored {

namespace contract = services::iot_mqtt;

namespace {

// IoT Core acknowledges at most 100 QoS 1 publishes in flight per connection.
constexpr size_t kMaxSpooledInFlight = 100;
// Spooled messages read per query.
constexpr size_t kDrainBatch = 50;

Result<OutgoingMessage> message_of(const bus::Call& call) {
    OutgoingMessage message;
    message.topic = std::string(call.param(contract::param::kTopic)->as_buffer());
    message.payload = std::string(call.param(contract::param::kPayload)->as_buffer());
    const Object* qos = call.param(contract::param::kQos);
    int64_t qos_value = qos != nullptr && qos->is_i64() ? qos->as_i64() : 0;
    const Object* retain = call.param(contract::param::kRetain);
    message.retain = retain != nullptr && retain->is_bool() && retain->as_bool();
    if (const Object* properties = call.param(contract::param::kUserProperties); properties && properties->is_map()) {
        for (const auto& [name, value] : properties->as_map()) {
            if (!value.is_string()) {
                return make_error(ErrorCode::Invalid, "user_properties." + name + ": a string expected");
            }
            message.user_properties.emplace_back(name, std::string(value.as_string()));
        }
    }
    for (auto checked : {check_publish_topic(message.topic), check_payload(message.payload), check_qos(qos_value)}) {
        if (!checked) return std::move(checked).error();
    }
    message.qos = static_cast<int>(qos_value);
    return message;
}

} // namespace

void IotService::publish(bus::Call call) {
    auto message = message_of(call);
    if (!message) {
        call.fail(message.error());
        return;
    }
    if (!settings_) {
        call.fail(ErrorCode::Retry, last_error_.empty() ? "not configured for AWS IoT Core" : last_error_);
        return;
    }
    bool connected = !connections_.empty() && connections_[0]->connected();
    // While spooled messages wait, a QoS 1 message queues behind them, to keep the order.
    bool waiting = spool_ && spool_->depth() > 0;
    if (!connected || (waiting && message->qos == 1)) {
        if (message->qos == 1 || spool_settings_.keep_qos0) {
            spool_publish(std::move(call), std::move(*message));
            return;
        }
        call.fail(ErrorCode::Retry, "not connected to AWS IoT Core" +
                                        (last_error_.empty() ? std::string() : ": " + last_error_) +
                                        " (QoS 0 messages are spooled only with mqtt/spooler/keepQos0WhenOffline)");
        return;
    }
    auto mid = connections_[0]->publish(message->topic, message->payload, message->qos, message->retain,
                                        message->user_properties);
    if (!mid) {
        if (mid.error().code == ErrorCode::Noconn && (message->qos == 1 || spool_settings_.keep_qos0)) {
            spool_publish(std::move(call), std::move(*message));
            return;
        }
        call.fail(mid.error().code == ErrorCode::Noconn ? ErrorCode::Retry : mid.error().code, mid.error().message);
        return;
    }
    publishes_.insert_or_assign({0, *mid}, PendingPublish{std::move(call), message->qos, 0, 0});
}

void IotService::spool_publish(bus::Call call, OutgoingMessage message) {
    if (!spool_) {
        call.fail(ErrorCode::Retry, "not connected to AWS IoT Core, and there is no offline spool: " + spool_error_);
        return;
    }
    auto spooled = spool_->add(std::move(message), spool_settings_.max_bytes);
    if (!spooled) {
        GGL_LOGW("%s", spooled.error().message.c_str());
        call.fail(spooled.error());
        return;
    }
    call.reply(Map{{contract::result::kSpooled, true}});
    drain();
}

void IotService::on_published(size_t index, int mid, Result<void> outcome) {
    auto it = publishes_.find({index, mid});
    if (it == publishes_.end()) return;
    PendingPublish pending = std::move(it->second);
    publishes_.erase(it);
    if (pending.call) {
        if (outcome) {
            pending.call->reply(Map{});
        } else {
            pending.call->fail(outcome.error());
        }
        return;
    }
    // A spooled message: IoT Core has it, or refused it for good (an IoT policy that does
    // not allow the topic): either way it leaves the spool.
    if (!outcome) {
        GGL_LOGW("dropped a spooled message: %s", outcome.error().message.c_str());
    }
    spool_in_flight_.erase(pending.spool_id);
    spool_->remove(pending.spool_id, pending.spool_size);
    flush_spool_soon();
    drain();
}

void IotService::flush_spool_soon() {
    if (flush_posted_) return;
    flush_posted_ = true;
    // Acknowledgements that arrive together are deleted in one transaction.
    loop_.post([this] {
        flush_posted_ = false;
        if (auto flushed = spool_->flush(); !flushed) {
            GGL_LOGW("%s", flushed.error().message.c_str());
        }
    });
}

void IotService::forget_spooled_in_flight() {
    for (auto it = publishes_.begin(); it != publishes_.end();) {
        it = it->second.call ? std::next(it) : publishes_.erase(it);
    }
    spool_in_flight_.clear();
    last_sent_id_ = 0;
    if (drain_timer_) {
        loop_.cancel_timer(*drain_timer_);
        drain_timer_.reset();
    }
}

void IotService::schedule_drain(std::chrono::milliseconds delay) {
    if (drain_timer_) return;
    drain_timer_ = loop_.add_timer(delay, [this] {
        drain_timer_.reset();
        drain();
    });
}

// Sends spooled messages, oldest first, while the connection is up: at most
// kMaxSpooledInFlight unacknowledged, and paced by a token bucket (a burst of a tenth of
// drain_rate_, refilled at 8 tenths a second) that sends at most 9 tenths of drain_rate_
// in any second, leaving room for live publishes and for network jitter that bunches
// packets up on their way.
void IotService::drain() {
    if (!spool_ || spool_->depth() == 0 || connections_.empty() || !connections_[0]->connected()) return;
    double burst = 0;
    double refill = 0;
    if (drain_rate_.per_second > 0) {
        burst = std::max(1.0, std::floor(drain_rate_.per_second / 10.0));
        refill = std::max(1.0, drain_rate_.per_second * 0.8);
        auto now = std::chrono::steady_clock::now();
        double seconds = std::chrono::duration<double>(now - drain_refilled_).count();
        drain_tokens_ = std::min(burst, drain_tokens_ + seconds * refill);
        drain_refilled_ = now;
    }
    while (spool_in_flight_.size() < kMaxSpooledInFlight && (refill == 0 || drain_tokens_ >= 1)) {
        auto batch = spool_->after(last_sent_id_, kDrainBatch);
        if (!batch) {
            GGL_LOGW("%s", batch.error().message.c_str());
            schedule_drain(std::chrono::seconds(1));
            return;
        }
        if (batch->empty()) return;
        for (SpooledMessage& spooled : *batch) {
            if (spool_in_flight_.size() >= kMaxSpooledInFlight || (refill > 0 && drain_tokens_ < 1)) break;
            last_sent_id_ = spooled.id;
            if (spool_in_flight_.count(spooled.id) != 0) continue; // sent before a reconnect, libmosquitto resends it
            const OutgoingMessage& message = spooled.message;
            auto mid = connections_[0]->publish(message.topic, message.payload, message.qos, message.retain,
                                                message.user_properties);
            if (!mid) {
                if (mid.error().code == ErrorCode::Noconn) return; // again after the reconnect
                GGL_LOGW("dropped a spooled message to '%s': %s", message.topic.c_str(), mid.error().message.c_str());
                spool_->remove(spooled.id, spooled.size);
                flush_spool_soon();
                continue;
            }
            spool_in_flight_.insert(spooled.id);
            publishes_.insert_or_assign({0, *mid}, PendingPublish{std::nullopt, message.qos, spooled.id, spooled.size});
            drain_tokens_ -= 1;
        }
    }
    if (refill > 0 && drain_tokens_ < 1 && spool_in_flight_.size() < kMaxSpooledInFlight) {
        auto wait = std::chrono::milliseconds(static_cast<int64_t>(std::ceil((1 - drain_tokens_) / refill * 1000)));
        schedule_drain(std::max(wait, std::chrono::milliseconds(1)));
    }
}

} // namespace ggl::iotcored
