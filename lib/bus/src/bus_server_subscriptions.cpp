// Bus server subscriptions: the Subscription handle, and on the loop their start, events,
// end, cancel and drain callbacks.
#include "ggl/log.hpp"

#include "bus_server_core.hpp"

namespace ggl::bus {

// ---- Subscription ----

const std::string& Subscription::method() const { return state_->method; }
const Map& Subscription::params() const { return state_->params; }
const Object* Subscription::param(std::string_view name) const { return state_->params.find(name); }
const PeerCredentials& Subscription::peer() const { return state_->peer; }
bool Subscription::active() const { return state_->active.load(); }

namespace {
template <typename Fn>
void on_loop(const std::shared_ptr<SubscriptionState>& state, Fn&& fn) {
    if (state->loop->in_loop_thread()) {
        if (auto core = state->core.lock()) {
            fn(*core);
        }
        return;
    }
    state->loop->post([state, fn = std::forward<Fn>(fn)]() mutable {
        if (auto core = state->core.lock()) {
            fn(*core);
        }
    });
}
} // namespace

void Subscription::reject(Error error) {
    if (!state_->in_handler || !state_->loop->in_loop_thread()) {
        GGL_LOGE("Subscription::reject called outside the subscribe handler of %s", state_->method.c_str());
        end(std::move(error));
        return;
    }
    if (state_->active.exchange(false)) {
        state_->rejected = std::move(error);
    }
}

bool Subscription::send(Object event) {
    if (!state_->active.load()) {
        return false;
    }
    auto state = state_;
    on_loop(state,
            [state, event = std::move(event)](ServerCore& core) mutable { core.sub_send(state, std::move(event)); });
    return true;
}

void Subscription::end() {
    if (!state_->active.exchange(false)) {
        return;
    }
    auto state = state_;
    on_loop(state, [state](ServerCore& core) { core.sub_end(state, nullptr); });
}

void Subscription::end(Error error) {
    if (!state_->active.exchange(false)) {
        return;
    }
    auto state = state_;
    on_loop(state, [state, error = std::move(error)](ServerCore& core) { core.sub_end(state, &error); });
}

void Subscription::on_cancel(std::function<void()> callback) {
    auto state = state_;
    on_loop(state, [state, callback = std::move(callback)](ServerCore&) mutable {
        if (state->cancelled) {
            callback(); // the client left before the callback was set
        } else if (state->active.load() || state->in_handler) {
            state->on_cancel = std::move(callback);
        }
    });
}

size_t Subscription::backlog() const {
    // Read on the loop thread only; elsewhere an estimate is all anyone could use.
    if (auto conn = state_->connection.lock()) {
        return conn->backlog();
    }
    return 0;
}

void Subscription::when_drained(std::function<void()> callback) {
    auto state = state_;
    on_loop(state, [state, callback = std::move(callback)](ServerCore& core) mutable {
        core.sub_when_drained(state, std::move(callback));
    });
}

// ---- ServerCore: subscriptions ----

void ServerCore::start_subscription(const std::shared_ptr<Connection>& conn, const Method& method, Request request) {
    if (conn->subscriptions.count(request.id) != 0) {
        append_error(
            conn->out, request.id,
            make_error(ErrorCode::Invalid, "id " + std::to_string(request.id) + " is already an active subscription"));
        mark_dirty(conn);
        return;
    }
    auto state = std::make_shared<SubscriptionState>();
    state->core = weak_from_this();
    state->connection = conn;
    state->loop = &loop_;
    state->id = request.id;
    state->method = std::move(request.method);
    state->params = std::move(request.params);
    state->peer = conn->peer;
    conn->subscriptions[state->id] = state;
    method.subscribe(Subscription(state));
    finish_subscribe_handler(conn, state);
}

void ServerCore::finish_subscribe_handler(const std::shared_ptr<Connection>& conn,
                                          const std::shared_ptr<SubscriptionState>& state) {
    state->in_handler = false;
    if (conn->closed) {
        return;
    }
    if (state->rejected) {
        conn->subscriptions.erase(state->id);
        append_error(conn->out, state->id, *state->rejected);
        mark_dirty(conn);
        return;
    }
    append_accepted(conn->out, state->id);
    auto early = std::move(state->early_events);
    for (auto& event : early) {
        if (auto ok = append_event(conn->out, state->id, event, options_.max_frame); !ok) {
            state->active = false;
            state->early_end = ok.error();
            break;
        }
    }
    if (state->early_end) {
        conn->subscriptions.erase(state->id);
        append_end(conn->out, state->id, state->early_end->code == ErrorCode::Ok ? nullptr : &*state->early_end);
    }
    mark_dirty(conn);
}

void ServerCore::sub_send(const std::shared_ptr<SubscriptionState>& state, Object event) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (state->in_handler) {
        state->early_events.push_back(std::move(event));
        return;
    }
    if (conn->subscriptions.count(state->id) == 0) {
        return; // ended meanwhile
    }
    if (auto ok = append_event(conn->out, state->id, event, options_.max_frame); !ok) {
        GGL_LOGE("%s: ending subscription %s: %s", service_.c_str(), state->method.c_str(), ok.error().message.c_str());
        state->active = false;
        conn->subscriptions.erase(state->id);
        append_end(conn->out, state->id, &ok.error());
    }
    mark_dirty(conn);
    if (conn->backlog() > options_.max_backlog) {
        GGL_LOGW("%s: client pid %d does not read its events (%zu bytes queued); closing", service_.c_str(),
                 static_cast<int>(conn->peer.pid), conn->backlog());
        close_connection(conn, nullptr);
    }
}

void ServerCore::sub_end(const std::shared_ptr<SubscriptionState>& state, const Error* error) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (state->in_handler) {
        state->early_end = error ? *error : Error{ErrorCode::Ok, "", false};
        return;
    }
    if (conn->subscriptions.erase(state->id) == 0) {
        return;
    }
    append_end(conn->out, state->id, error);
    mark_dirty(conn);
}

void ServerCore::sub_when_drained(const std::shared_ptr<SubscriptionState>& state, std::function<void()> callback) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        return;
    }
    if (conn->backlog() == 0 && !conn->dirty) {
        loop_.post(std::move(callback));
        return;
    }
    conn->drain_waiters.push_back(std::move(callback));
}

void ServerCore::cancel_subscription(const std::shared_ptr<Connection>& conn, uint64_t id) {
    auto it = conn->subscriptions.find(id);
    if (it == conn->subscriptions.end()) {
        GGL_LOGD("%s: cancel of unknown subscription %llu", service_.c_str(), static_cast<unsigned long long>(id));
        return;
    }
    auto state = it->second;
    conn->subscriptions.erase(it);
    state->active = false;
    state->cancelled = true;
    append_end(conn->out, id, nullptr);
    mark_dirty(conn);
    if (state->on_cancel) {
        auto callback = std::move(state->on_cancel);
        callback();
    }
}

} // namespace ggl::bus
