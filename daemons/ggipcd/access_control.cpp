// accessControl policies from gg_config, kept current.
#include "access_control.hpp"

#include "ggl/log.hpp"
#include "ggl/services/config.hpp"

#include <strings.h>

namespace ggl::ipc {

namespace {

bool is(const Object& segment, const char* name) {
    return segment.is_buffer() && strcasecmp(std::string(segment.as_buffer()).c_str(), name) == 0;
}

} // namespace

void AccessControl::start() {
    if (following_) return;
    following_ = true;
    BusLink::SubscriptionHandlers handlers;
    handlers.on_accepted = [this](Result<void> accepted) {
        subscribed_ = accepted.ok();
        if (!accepted) {
            // Without change events nothing can be trusted to stay current: read again
            // at each request until gg_config answers.
            following_ = false;
            for (auto& [name, entry] : entries_) entry.current = false;
        }
    };
    handlers.on_event = [this](const Object& event) { on_change(event); };
    handlers.on_end = [this](const Error*) {
        following_ = false;
        subscribed_ = false;
        for (auto& [name, entry] : entries_) entry.current = false;
    };
    config_.subscribe(services::config::kSubscribe.name, services::config::key_path_params({"services"}),
                      std::move(handlers));
}

void AccessControl::on_change(const Object& event) {
    const Object* path = find_field(event, services::config::event::kKeyPath);
    if (path == nullptr || !path->is_list()) return;
    const List& segments = path->as_list();
    // services/<component>[/configuration[/accessControl...]]: anything at or above the
    // policies may have changed them.
    if (segments.size() < 2 || !segments[1].is_buffer()) return;
    if (segments.size() >= 3 && !is(segments[2], "configuration")) return;
    if (segments.size() >= 4 && !is(segments[3], "accessControl")) return;
    auto it = entries_.find(segments[1].as_buffer());
    if (it != entries_.end()) it->second.current = false;
}

void AccessControl::when_ready(const std::string& component, std::function<void()> then) {
    if (!following_) start();
    Entry& entry = entries_[component];
    if (entry.current) {
        then();
        return;
    }
    entry.waiting.push_back(std::move(then));
    if (!entry.loading) load(component);
}

void AccessControl::load(const std::string& component) {
    entries_[component].loading = true;
    // {iot:thingName} in resources is the device's name: read with the policies, as it
    // may be provisioned after ggipcd started. (Renaming a provisioned device reaches a
    // component's loaded policies when they next change, or when ggipcd restarts.)
    config_.call(services::config::kRead.name, services::config::key_path_params({"system", "thingName"}),
                 [this, component](Result<Object> thing) {
                     ipc_policy::Variables variables;
                     if (thing && thing->is_buffer()) {
                         variables.thing_name = std::string(thing->as_buffer());
                     }
                     load_policies(component, std::move(variables));
                 });
}

void AccessControl::load_policies(const std::string& component, ipc_policy::Variables variables) {
    config_.call(services::config::kRead.name,
                 services::config::key_path_params({"services", component, "configuration", "accessControl"}),
                 [this, component, variables = std::move(variables)](Result<Object> value) {
                     Entry& entry = entries_[component];
                     entry.loading = false;
                     if (value || value.error().code == ErrorCode::Noentry) {
                         auto parsed =
                             ipc_policy::ComponentPolicies::parse(component, value ? *value : Object(), variables);
                         if (parsed) {
                             entry.policies = std::move(*parsed);
                             entry.problem.clear();
                         } else {
                             entry.policies.reset();
                             entry.problem = parsed.error().message;
                             GGL_LOGW("%s", entry.problem.c_str());
                         }
                         // Current until gg_config says otherwise (only while following it).
                         entry.current = subscribed_;
                     } else {
                         entry.policies.reset();
                         entry.problem = "cannot read the policies: " + value.error().message;
                         entry.current = false;
                     }
                     auto waiting = std::move(entry.waiting);
                     entry.waiting.clear();
                     for (auto& then : waiting) then();
                 });
}

std::optional<std::string> AccessControl::check(const std::string& component, const std::string& service,
                                                const std::string& operation, const std::string& resource) const {
    auto it = entries_.find(component);
    if (it == entries_.end() || !it->second.policies) {
        return it == entries_.end() || it->second.problem.empty() ? std::string("no policies loaded")
                                                                  : it->second.problem;
    }
    if (it->second.policies->is_authorized(service, operation, resource)) {
        return std::nullopt;
    }
    return "no accessControl policy of " + component + " allows it";
}

} // namespace ggl::ipc
