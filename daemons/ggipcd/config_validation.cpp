// Deployments ask components to validate their new configuration; components answer.
#include "config_validation.hpp"

#include "operations.hpp"

#include "ggl/log.hpp"
#include "ggl/services/ipc_component.hpp"

#include <algorithm>

namespace ggl::ipc {

ConfigValidation::~ConfigValidation() {
    for (auto& [key, pending] : pending_) loop_.cancel_timer(pending.timer);
}

void ConfigValidation::add_subscriber(const std::string& component, std::shared_ptr<Stream> stream) {
    subscribers_[component].push_back(std::move(stream));
}

void ConfigValidation::remove_subscriber(const std::string& component, const Stream* stream) {
    auto it = subscribers_.find(component);
    if (it == subscribers_.end()) return;
    std::erase_if(it->second, [stream](const std::shared_ptr<Stream>& held) { return held.get() == stream; });
    if (it->second.empty()) subscribers_.erase(it);
}

void ConfigValidation::validate(const std::string& component, const std::string& deployment_id,
                                const Object& configuration, std::chrono::milliseconds timeout, Done done) {
    Key key{component, deployment_id};
    if (pending_.count(key) != 0) {
        finish(key, {Verdict::TimedOut, "replaced by another validation of the same deployment"});
    }
    size_t delivered = 0;
    if (auto it = subscribers_.find(component); it != subscribers_.end()) {
        Map event{
            {"validateConfigurationUpdateEvent",
             Map{{"componentName", component}, {"configuration", configuration}, {"deploymentId", deployment_id}}}};
        // A stream that no longer takes events (closed, or its client stopped reading) is dropped.
        std::erase_if(it->second, [&](const std::shared_ptr<Stream>& stream) {
            bool sent = stream->send_event(model_name("ValidateConfigurationUpdateEvents"), event);
            delivered += sent ? 1 : 0;
            return !sent && !stream->open();
        });
        if (it->second.empty()) subscribers_.erase(it);
    }
    if (delivered == 0) {
        loop_.post([done = std::move(done)] { done({Verdict::NoSubscriber, "no validation subscriber"}); });
        return;
    }
    GGL_LOGI("deployment %s: %s has %zu ms to validate its new configuration", deployment_id.c_str(), component.c_str(),
             static_cast<size_t>(timeout.count()));
    Pending& pending = pending_[key];
    pending.done = std::move(done);
    pending.timer = loop_.add_timer(timeout, [this, key] {
        pending_[key].timer = 0;
        GGL_LOGW("deployment %s: %s sent no configuration validity report in time", key.second.c_str(),
                 key.first.c_str());
        finish(key, {Verdict::TimedOut, "no report in time"});
    });
}

Result<void> ConfigValidation::report(const std::string& component, const std::string& deployment_id, bool accepted,
                                      std::string message) {
    Key key{component, deployment_id};
    if (pending_.count(key) == 0) {
        return make_error(ErrorCode::Invalid, "no validation of deployment " + deployment_id +
                                                  " awaits a report from " + component +
                                                  " (it timed out, was answered, or was never requested)");
    }
    GGL_LOGI("deployment %s: %s %s its new configuration%s%s", deployment_id.c_str(), component.c_str(),
             accepted ? "accepted" : "rejected", message.empty() ? "" : ": ", message.c_str());
    finish(key, {accepted ? Verdict::Accepted : Verdict::Rejected, std::move(message)});
    return {};
}

void ConfigValidation::finish(const Key& key, Outcome outcome) {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    Pending pending = std::move(it->second);
    pending_.erase(it);
    if (pending.timer != 0) loop_.cancel_timer(pending.timer);
    pending.done(std::move(outcome));
}

std::string_view ConfigValidation::verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::Accepted: return services::ipc_component::verdict::kAccepted;
    case Verdict::Rejected: return services::ipc_component::verdict::kRejected;
    case Verdict::NoSubscriber: return services::ipc_component::verdict::kNoSubscriber;
    case Verdict::TimedOut: return services::ipc_component::verdict::kTimedOut;
    }
    return services::ipc_component::verdict::kTimedOut;
}

} // namespace ggl::ipc
