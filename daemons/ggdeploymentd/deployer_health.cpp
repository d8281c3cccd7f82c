// gghealthd's view of components (Health): waiting for the components a deployment
// started to run or finish; and the journal lines a failure carries.
#include "deployer_steps.hpp"

#include "ggl/systemd.hpp"

#include <algorithm>
#include <ctime>

namespace ggl::deployment {

namespace {

constexpr size_t kJournalLines = 20;

std::string journal_text(const systemd::JournalLine& line) {
    time_t seconds = static_cast<time_t>(line.realtime_usec / 1000000);
    struct tm local {};
    localtime_r(&seconds, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
    return std::string(stamp) + " " + line.identifier + "[" + std::to_string(line.pid) + "]: " + line.message;
}

} // namespace

std::vector<std::string> journal_of(const std::string& component) {
    std::vector<std::string> lines;
    auto tail = systemd::journal_tail(component, kJournalLines);
    if (tail) {
        for (const auto& line : *tail) {
            lines.push_back(journal_text(line));
        }
    }
    return lines;
}

Result<void> Health::open() {
    auto id = events_.send(bus::Op::Subscribe, services::health::kSubscribeToAllComponentStateChanges.name, Map{});
    if (!id) return std::move(id).error();
    subscription_ = *id;
    if (auto flushed = events_.flush(); !flushed) return flushed;
    // The subscription is accepted (or refused) before anything else arrives for it.
    for (;;) {
        auto reply = events_.receive(std::chrono::milliseconds(10000));
        if (!reply) return std::move(reply).error();
        if (reply->id != subscription_) continue;
        if (reply->kind == bus::ReplyKind::Accepted) return {};
        if (reply->kind == bus::ReplyKind::Event) {
            pending_.push_back(std::move(reply->value));
            return {};
        }
        return make_error(ErrorCode::Remote, "gghealthd refused the state subscription: " + reply->error.message);
    }
}

Result<void> Health::wait(std::vector<std::string> names, int64_t since_ms, Clock::time_point deadline,
                          std::chrono::milliseconds settle, Failure& failure) {
    Targets targets;
    for (const std::string& name : names) {
        targets[name].name = name;
    }
    services::HealthClient status_client;
    if (auto caught_up = catch_up(targets, status_client, since_ms, failure); !caught_up) return caught_up;
    for (;;) {
        auto now = Clock::now();
        Clock::time_point next_check = deadline;
        if (settled(targets, now, settle, next_check)) return {};
        if (now >= deadline) {
            if (auto late = time_out(targets, failure); !late) return late;
        }
        auto wait_for =
            std::chrono::duration_cast<std::chrono::milliseconds>(next_check - now) + std::chrono::milliseconds(1);
        auto readable = events_.wait_readable(wait_for);
        if (readable && !*readable) continue; // a timer of ours is due
        Result<bus::Reply> reply = readable ? events_.receive(std::chrono::milliseconds(10000))
                                            : Result<bus::Reply>(std::move(readable).error());
        if (auto taken = take_reply(targets, std::move(reply), since_ms, failure); !taken) return taken;
    }
}

bool Health::observe(Targets& targets, const Object& event, int64_t since_ms, Failure& failure) {
    const Map* map = event.if_map();
    if (map == nullptr) return true;
    const Object* name = map->find("component_name");
    const Object* state = map->find("lifecycle_state");
    if (name == nullptr || state == nullptr || !name->is_buffer() || !state->is_buffer()) return true;
    auto it = targets.find(std::string(name->as_buffer()));
    if (it == targets.end()) return true;
    // Transitions from before this wait (the stop of an old version) carry an
    // older timestamp. 0 means gghealthd did not learn when: such an event counts,
    // but a FINISHED must then follow activity seen during this wait.
    const Object* since = map->find("since");
    int64_t since_value = since != nullptr && since->is_i64() ? since->as_i64() : 0;
    if (since_value != 0 && since_value < since_ms) return true;
    Target& target = it->second;
    target.state = std::string(state->as_buffer());
    if (target.state == "ERRORED" || target.state == "BROKEN") {
        const Object* phase = map->find("phase");
        failure = failure_of(target.name, phase && phase->is_buffer() ? std::string(phase->as_buffer()) : "run",
                             "the component became " + target.state);
        if (const Object* status = map->find("exit_status"); status && status->is_i64()) {
            failure.exit_status = status->as_i64();
            failure.reason += " (exit status " + std::to_string(status->as_i64()) + ")";
        }
        return false;
    }
    if (target.state == "FINISHED") {
        target.done = target.active_seen || since_value != 0;
    } else if (target.state == "RUNNING") {
        target.active_seen = true;
        if (!target.running_since) target.running_since = Clock::now();
    } else {
        target.active_seen = target.active_seen || target.state == "STARTING" || target.state == "STOPPING";
        target.running_since.reset();
        target.done = false;
    }
    return true;
}

// The events that came with the subscription, then the states as they are now, for
// targets whose last transition came before the subscription caught up.
Result<void> Health::catch_up(Targets& targets, services::HealthClient& status_client, int64_t since_ms,
                              Failure& failure) {
    for (const Object& event : pending_) {
        if (!observe(targets, event, since_ms, failure)) return make_error(ErrorCode::Failure, failure.reason);
    }
    pending_.clear();
    for (auto& [name, target] : targets) {
        auto status = status_client.get_status(name);
        if (status && !observe(targets, *status, since_ms, failure))
            return make_error(ErrorCode::Failure, failure.reason);
    }
    return {};
}

// Whether every target is done: FINISHED, or RUNNING for settle by now; next_check is
// brought forward to when the next one will have been RUNNING long enough.
bool Health::settled(Targets& targets, Clock::time_point now, std::chrono::milliseconds settle,
                     Clock::time_point& next_check) {
    bool all_done = true;
    for (auto& [name, target] : targets) {
        if (!target.done && target.running_since) {
            if (now - *target.running_since >= settle) {
                target.done = true;
            } else {
                next_check = std::min(next_check, *target.running_since + settle);
            }
        }
        all_done = all_done && target.done;
    }
    return all_done;
}

// The deadline passed: the first target not done fails the wait.
Result<void> Health::time_out(const Targets& targets, Failure& failure) {
    for (const auto& [name, target] : targets) {
        if (!target.done) {
            failure =
                failure_of(name, "run", "did not become RUNNING or FINISHED in time (last state " + target.state + ")");
            return make_error(ErrorCode::Timeout, failure.reason);
        }
    }
    return {};
}

// One reply on the subscription: a state change, or the end of the subscription.
Result<void> Health::take_reply(Targets& targets, Result<bus::Reply> reply, int64_t since_ms, Failure& failure) {
    if (!reply) {
        failure = failure_of("", "health", "lost gghealthd: " + reply.error().message);
        return std::move(reply).error();
    }
    if (reply->id != subscription_) return {};
    if (reply->kind == bus::ReplyKind::Event) {
        if (!observe(targets, reply->value, since_ms, failure)) return make_error(ErrorCode::Failure, failure.reason);
    } else if (reply->kind == bus::ReplyKind::End || reply->kind == bus::ReplyKind::Error) {
        failure = failure_of("", "health", "gghealthd ended the state subscription: " + reply->error.message);
        return make_error(ErrorCode::Failure, failure.reason);
    }
    return {};
}

} // namespace ggl::deployment
