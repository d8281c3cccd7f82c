// Greengrass IPC authorization policies: parsing `accessControl` and matching requests.
#include "ggl/ipc_policy.hpp"

#include "ggl/text.hpp"
#include "ggl/topic.hpp"

#include <algorithm>
#include <cctype>

namespace ggl::ipc_policy {
namespace {

constexpr std::string_view kThingNameVariable = "{iot:thingName}";

// "a list", "an integer", "null": for "must be X, not Y".
std::string a_type(const Object& value) {
    std::string_view name = type_name(value.type());
    if (value.is_null()) {
        return "null";
    }
    return (name.front() == 'i' ? "an " : "a ") + std::string(name);
}

std::string quoted(std::string_view text) {
    constexpr size_t kShown = 100;
    return "\"" + std::string(text.substr(0, kShown)) + (text.size() > kShown ? "...\"" : "\"");
}

// Where an error is: "accessControl of C: policy "P" (S)".
struct Place {
    std::string_view component;
    std::string_view service;
    std::string_view policy;

    Error error(const std::string& what) const {
        std::string where = "accessControl of " + std::string(component);
        if (!policy.empty()) {
            where += ": policy " + quoted(policy) + " (" + std::string(service) + ")";
        } else if (!service.empty()) {
            where += ": " + std::string(service);
        }
        return make_error(ErrorCode::Invalid, where + ": " + what);
    }
};

Result<std::vector<std::string>> string_list(const Place& place, const Object& value, const char* key) {
    if (!value.is_list()) {
        return place.error(std::string(key) + " must be a list of strings, not " + a_type(value));
    }
    std::vector<std::string> items;
    size_t index = 0;
    for (const Object& item : value.as_list()) {
        if (!item.is_string()) {
            return place.error(std::string(key) + "[" + std::to_string(index) + "] must be a string, not " +
                               a_type(item));
        }
        if (item.as_string().empty()) {
            return place.error(std::string(key) + "[" + std::to_string(index) + "] is empty");
        }
        items.push_back(item.as_string());
        ++index;
    }
    return items;
}

Result<std::string> substitute_variables(const Place& place, std::string resource, const Variables& variables) {
    for (size_t at = resource.find(kThingNameVariable); at != std::string::npos;
         at = resource.find(kThingNameVariable, at)) {
        if (!variables.thing_name || variables.thing_name->empty()) {
            return place.error("resource " + quoted(resource) + " uses " + std::string(kThingNameVariable) +
                               " but the device has no thing name (system/thingName)");
        }
        resource.replace(at, kThingNameVariable.size(), *variables.thing_name);
        at += variables.thing_name->size();
    }
    return resource;
}

Result<Policy> parse_policy(const Place& place, const Object& value, const Variables& variables) {
    if (!value.is_map()) {
        return place.error("a policy must be a map with operations and resources, not " + a_type(value));
    }
    Policy policy;
    policy.id = std::string(place.policy);
    policy.service = std::string(place.service);
    bool has_operations = false;
    for (const auto& [key, field] : value.as_map()) {
        if (ascii_iequals(key, "policyDescription")) {
            if (!field.is_string() && !field.is_null()) {
                return place.error("policyDescription must be a string");
            }
            policy.description = field.is_string() ? field.as_string() : std::string();
        } else if (ascii_iequals(key, "operations")) {
            auto operations = string_list(place, field, "operations");
            if (!operations) {
                return std::move(operations).error();
            }
            for (size_t i = 0; i < operations->size(); ++i) {
                const std::string& operation = (*operations)[i];
                if (operation != kAnyOperation && operation.find('#') == std::string::npos) {
                    return place.error("operations[" + std::to_string(i) + "] " + quoted(operation) +
                                       " is not an operation name: write it with its namespace, as in "
                                       "\"aws.greengrass#" +
                                       operation + "\", or \"*\" for every operation");
                }
            }
            policy.operations = std::move(*operations);
            has_operations = true;
        } else if (ascii_iequals(key, "resources")) {
            auto resources = string_list(place, field, "resources");
            if (!resources) {
                return std::move(resources).error();
            }
            bool mqtt = place.service == kMqttProxyService;
            for (std::string& resource : *resources) {
                auto substituted = substitute_variables(place, std::move(resource), variables);
                if (!substituted) {
                    return std::move(substituted).error();
                }
                policy.resources.push_back(ResourcePattern::compile(std::move(*substituted), mqtt));
            }
        } else {
            return place.error("unknown key " + quoted(key) +
                               " (a policy has policyDescription, operations and resources)");
        }
    }
    if (!has_operations || policy.operations.empty()) {
        return place.error("operations is missing or empty: a policy must allow at least one operation");
    }
    return policy;
}

} // namespace

ResourcePattern ResourcePattern::compile(std::string text, bool mqtt_wildcards) {
    ResourcePattern pattern;
    pattern.segments_.emplace_back();
    for (size_t i = 0; i < text.size();) {
        if (text.compare(i, 2, "${") == 0 && i + 3 < text.size() && text[i + 3] == '}' &&
            (text[i + 2] == '*' || text[i + 2] == '?' || text[i + 2] == '$')) {
            pattern.segments_.back() += text[i + 2];
            i += 4;
        } else if (text[i] == '*') {
            pattern.segments_.emplace_back();
            i += 1;
        } else {
            pattern.segments_.back() += text[i];
            i += 1;
        }
    }
    if (mqtt_wildcards && pattern.segments_.size() == 1) {
        const std::string& literal = pattern.segments_.front();
        pattern.mqtt_filter_ = literal.find_first_of("+#") != std::string::npos && topic::validate_filter(literal).ok();
    }
    pattern.text_ = std::move(text);
    return pattern;
}

bool ResourcePattern::matches(std::string_view resource) const {
    if (mqtt_filter_ && topic::validate_filter(resource).ok() && topic::covers(segments_.front(), resource)) {
        return true;
    }
    if (segments_.size() == 1) {
        return resource == segments_.front();
    }
    // Anchored at both ends by the first and last literal runs; the runs between are
    // found left to right, each as early as possible (which is optimal for `*` alone).
    const std::string& first = segments_.front();
    const std::string& last = segments_.back();
    if (resource.size() < first.size() + last.size() || !resource.starts_with(first) || !resource.ends_with(last)) {
        return false;
    }
    size_t at = first.size();
    size_t end = resource.size() - last.size();
    for (size_t i = 1; i + 1 < segments_.size(); ++i) {
        const std::string& segment = segments_[i];
        size_t found = resource.substr(0, end).find(segment, at);
        if (found == std::string_view::npos) {
            return false;
        }
        at = found + segment.size();
    }
    return true;
}

bool Policy::allows(std::string_view operation, std::string_view resource) const {
    bool operation_allowed = std::any_of(operations.begin(), operations.end(), [&](const std::string& allowed) {
        return allowed == kAnyOperation || allowed == operation;
    });
    if (!operation_allowed) {
        return false;
    }
    if (resources.empty()) {
        return resource.empty();
    }
    return std::any_of(resources.begin(), resources.end(),
                       [&](const ResourcePattern& pattern) { return pattern.matches(resource); });
}

Result<ComponentPolicies> ComponentPolicies::parse(std::string_view component, const Object& access_control,
                                                   const Variables& variables) {
    ComponentPolicies result;
    if (access_control.is_null()) {
        return result;
    }
    Place place{component, {}, {}};
    if (!access_control.is_map()) {
        return place.error("accessControl must be a map from IPC service ids to policies, not " +
                           a_type(access_control));
    }
    for (const auto& [service, policies] : access_control.as_map()) {
        Place service_place{component, service, {}};
        if (service.empty()) {
            return place.error("an IPC service id is empty");
        }
        if (policies.is_null()) {
            continue;
        }
        if (!policies.is_map()) {
            return service_place.error("must be a map from policy ids to policies, not " + a_type(policies));
        }
        auto& list = result.by_service_[service];
        for (const auto& [policy_id, value] : policies.as_map()) {
            if (policy_id.empty()) {
                return service_place.error("a policy id is empty");
            }
            auto policy = parse_policy(Place{component, service, policy_id}, value, variables);
            if (!policy) {
                return std::move(policy).error();
            }
            list.push_back(std::move(*policy));
        }
    }
    return result;
}

std::optional<std::string> ComponentPolicies::authorizing_policy(std::string_view service, std::string_view operation,
                                                                 std::string_view resource) const {
    auto it = by_service_.find(service);
    if (it == by_service_.end()) {
        return std::nullopt;
    }
    for (const Policy& policy : it->second) {
        if (policy.allows(operation, resource)) {
            return policy.id;
        }
    }
    return std::nullopt;
}

size_t ComponentPolicies::size() const {
    size_t total = 0;
    for (const auto& [service, policies] : by_service_) {
        total += policies.size();
    }
    return total;
}

void PolicyStore::set(std::string component, ComponentPolicies policies) {
    components_.insert_or_assign(std::move(component), std::move(policies));
}

void PolicyStore::erase(std::string_view component) {
    if (auto it = components_.find(component); it != components_.end()) {
        components_.erase(it);
    }
}

const ComponentPolicies* PolicyStore::find(std::string_view component) const {
    auto it = components_.find(component);
    return it == components_.end() ? nullptr : &it->second;
}

bool PolicyStore::is_authorized(std::string_view component, std::string_view service, std::string_view operation,
                                std::string_view resource) const {
    const ComponentPolicies* policies = find(component);
    return policies != nullptr && policies->is_authorized(service, operation, resource);
}

} // namespace ggl::ipc_policy
