// Bus server dispatch: a request to its method (parameter checks, ggl.describe, the loop
// or a worker thread) and a call's answer back to its client.
#include "ggl/log.hpp"

#include "bus_server_core.hpp"

namespace ggl::bus {

namespace {

bool param_matches(ParamType type, const Object& value) {
    switch (type) {
    case ParamType::Any: return true;
    case ParamType::Null: return value.is_null();
    case ParamType::Bool: return value.is_bool();
    case ParamType::Int: return value.is_i64();
    case ParamType::Float: return value.is_f64();
    case ParamType::Number: return value.is_i64() || value.is_f64();
    case ParamType::String:
    case ParamType::Bytes: return value.is_buffer();
    case ParamType::List: return value.is_list();
    case ParamType::Map: return value.is_map();
    }
    return false;
}

} // namespace

std::string_view param_type_name(ParamType type) {
    switch (type) {
    case ParamType::Any: return "any";
    case ParamType::Null: return "null";
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::Number: return "number";
    case ParamType::String: return "string";
    case ParamType::Bytes: return "bytes";
    case ParamType::List: return "list";
    case ParamType::Map: return "map";
    }
    return "any";
}

// ---- Call ----

Call::~Call() {
    if (state_ && !state_->notify && !state_->answered.load()) {
        fail(ErrorCode::Failure, "the handler of " + state_->method + " did not answer");
    }
}

const std::string& Call::method() const { return state_->method; }
const Map& Call::params() const { return state_->params; }
const Object* Call::param(std::string_view name) const { return state_->params.find(name); }
const PeerCredentials& Call::peer() const { return state_->peer; }
bool Call::is_notify() const { return state_->notify; }

namespace {
void deliver_answer(const std::shared_ptr<CallState>& state, Result<Object> outcome) {
    if (state->answered.exchange(true) || state->notify) {
        if (state->notify && !outcome) {
            GGL_LOGW("notify %s failed: %s", state->method.c_str(), outcome.error().to_string().c_str());
        }
        return;
    }
    if (state->loop->in_loop_thread()) {
        if (auto core = state->core.lock()) {
            core->answer(state, outcome);
        }
        return;
    }
    state->loop->post([state, outcome = std::move(outcome)] {
        if (auto core = state->core.lock()) {
            core->answer(state, outcome);
        }
    });
}
} // namespace

void Call::reply(Object result) { deliver_answer(state_, Result<Object>(std::move(result))); }
void Call::fail(Error error) { deliver_answer(state_, Result<Object>(std::move(error))); }

// ---- ServerCore: dispatch ----

void ServerCore::handle_frame(const std::shared_ptr<Connection>& conn, std::string_view body) {
    uint64_t id = 0;
    auto request = decode_request(body, id);
    if (!request) {
        GGL_LOGD("%s: bad request from pid %d: %s", service_.c_str(), static_cast<int>(conn->peer.pid),
                 request.error().message.c_str());
        append_error(conn->out, id, request.error());
        mark_dirty(conn);
        return;
    }
    handle_request(conn, std::move(*request));
}

void ServerCore::handle_request(const std::shared_ptr<Connection>& conn, Request request) {
    if (request.op == Op::Cancel) {
        cancel_subscription(conn, request.id);
        return;
    }
    auto reply_error = [&](Error error) {
        if (request.op == Op::Notify) {
            GGL_LOGW("%s: notify %s from pid %d: %s", service_.c_str(), request.method.c_str(),
                     static_cast<int>(conn->peer.pid), error.to_string().c_str());
            return;
        }
        append_error(conn->out, request.id, error);
        mark_dirty(conn);
    };
    if (request.method == "ggl.describe") {
        if (request.op == Op::Subscribe) {
            reply_error(make_error(ErrorCode::Invalid, "ggl.describe is a call, not a subscription"));
        } else if (request.op == Op::Call) {
            if (auto ok = append_result(conn->out, request.id, describe(), options_.max_frame); !ok) {
                append_error(conn->out, request.id, ok.error());
            }
            mark_dirty(conn);
        }
        return;
    }
    auto it = methods_.find(request.method);
    if (it == methods_.end()) {
        reply_error(
            make_error(ErrorCode::Noentry, "no method \"" + request.method.substr(0, 128) + "\" on " + service_));
        return;
    }
    const Method& method = it->second;
    for (const auto& param : method.spec.params) {
        const Object* value = request.params.find(param.name);
        if (value == nullptr) {
            if (param.required) {
                reply_error(
                    make_error(ErrorCode::Invalid, request.method + ": missing required param \"" + param.name + "\""));
                return;
            }
            continue;
        }
        if (!param_matches(param.type, *value)) {
            reply_error(make_error(ErrorCode::Invalid, request.method + ": param \"" + param.name + "\" must be " +
                                                           std::string(param_type_name(param.type)) + ", not " +
                                                           std::string(type_name(value->type()))));
            return;
        }
    }
    if (method.kind == MethodKind::Subscribe) {
        if (request.op != Op::Subscribe) {
            reply_error(make_error(ErrorCode::Invalid, request.method + " is a subscription; use subscribe"));
            return;
        }
        start_subscription(conn, method, std::move(request));
        return;
    }
    if (request.op == Op::Subscribe) {
        reply_error(make_error(ErrorCode::Invalid, request.method + " is a call, not a subscription"));
        return;
    }
    auto state = std::make_shared<CallState>();
    state->core = weak_from_this();
    state->connection = conn;
    state->loop = &loop_;
    state->id = request.id;
    state->notify = request.op == Op::Notify;
    state->method = std::move(request.method);
    state->params = std::move(request.params);
    state->peer = conn->peer;
    if (method.spec.dispatch == Dispatch::Worker) {
        auto handler = method.call;
        workers_.submit([handler, state] { handler(Call(state)); });
    } else {
        method.call(Call(state));
    }
}
void ServerCore::answer(const std::shared_ptr<CallState>& state, const Result<Object>& outcome) {
    auto conn = state->connection.lock();
    if (!conn || conn->closed) {
        GGL_LOGD("%s: %s answered after its client left", service_.c_str(), state->method.c_str());
        return;
    }
    if (outcome) {
        if (auto ok = append_result(conn->out, state->id, *outcome, options_.max_frame); !ok) {
            GGL_LOGE("%s: %s: %s", service_.c_str(), state->method.c_str(), ok.error().message.c_str());
            append_error(conn->out, state->id, ok.error());
        }
    } else {
        append_error(conn->out, state->id, outcome.error());
    }
    mark_dirty(conn);
}

Object ServerCore::describe() const {
    List methods;
    auto describe_method = [](const std::string& name, const char* kind, const std::vector<ParamSpec>& params,
                              const std::string& help) {
        List param_list;
        for (const auto& param : params) {
            param_list.emplace_back(Map{{"name", param.name},
                                        {"type", std::string(param_type_name(param.type))},
                                        {"required", param.required},
                                        {"help", param.help}});
        }
        return Object{Map{{"name", name}, {"kind", kind}, {"params", std::move(param_list)}, {"help", help}}};
    };
    methods.push_back(describe_method("ggl.describe", "call", {}, "This description of the service."));
    for (const auto& name : method_order_) {
        const Method& method = methods_.at(name);
        methods.push_back(describe_method(name, method.kind == MethodKind::Call ? "call" : "subscribe",
                                          method.spec.params, method.spec.help));
    }
    return Map{{"service", service_}, {"version", version_}, {"methods", std::move(methods)}};
}

} // namespace ggl::bus
