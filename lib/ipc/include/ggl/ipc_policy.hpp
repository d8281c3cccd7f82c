// Greengrass IPC authorization policies: a component's `accessControl` configuration,
// checked at deployment time (precise errors) and asked per IPC request.
//
//   accessControl: { "<IPC service id>": { "<policy id>": {
//       "policyDescription": "...", "operations": ["aws.greengrass#PublishToTopic" | "*"],
//       "resources": ["pattern", ...] } } }
//
// Resource patterns: `*` matches any run of characters (including none and '/');
// `${*}`, `${?}` and `${$}` stand for a literal '*', '?' and '$'; `{iot:thingName}` is
// replaced by the device's thing name when the policies are parsed. For
// aws.greengrass.ipc.mqttproxy a pattern that is a valid MQTT topic filter also matches
// with MQTT wildcards (`+` one level, `#` the rest), including a subscription filter it
// covers. Other services treat '+' and '#' as ordinary characters.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::ipc_policy {

inline constexpr std::string_view kPubsubService = "aws.greengrass.ipc.pubsub";
inline constexpr std::string_view kMqttProxyService = "aws.greengrass.ipc.mqttproxy";
inline constexpr std::string_view kAnyOperation = "*";

// A resource pattern, compiled: literal runs and `*` wildcards.
class ResourcePattern {
public:
    // The text as written in the policy, after recipe variables were replaced.
    static ResourcePattern compile(std::string text, bool mqtt_wildcards);
    bool matches(std::string_view resource) const;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    // The literal runs between the `*`s (escapes resolved): "a*b*" is {"a", "b", ""}.
    std::vector<std::string> segments_;
    bool mqtt_filter_ = false; // no `*`, and a valid MQTT filter with `+` or `#`
};

struct Policy {
    std::string id;
    std::string service;
    std::string description;
    std::vector<std::string> operations;
    std::vector<ResourcePattern> resources; // empty: only requests that name no resource

    bool allows(std::string_view operation, std::string_view resource) const;
};

// Values of recipe variables that policies may use.
struct Variables {
    std::optional<std::string> thing_name; // {iot:thingName}
};

// One component's policies, grouped by IPC service id.
class ComponentPolicies {
public:
    // Parses the value of the component's `accessControl` key (a map; null or absent
    // means no policies). INVALID errors name the component, the service id, the policy
    // id and what is wrong. Keys inside a policy are matched case-insensitively, as the
    // configuration tree matches keys.
    static Result<ComponentPolicies> parse(std::string_view component, const Object& access_control,
                                           const Variables& variables = {});

    // The id of a policy that allows operation on resource ("" for a request that names
    // no resource), or nullopt when none does.
    std::optional<std::string> authorizing_policy(std::string_view service, std::string_view operation,
                                                  std::string_view resource) const;
    bool is_authorized(std::string_view service, std::string_view operation, std::string_view resource) const {
        return authorizing_policy(service, operation, resource).has_value();
    }
    size_t size() const;

private:
    std::map<std::string, std::vector<Policy>, std::less<>> by_service_;
};

// The policies of every component, by component name.
class PolicyStore {
public:
    void set(std::string component, ComponentPolicies policies);
    void erase(std::string_view component);
    bool is_authorized(std::string_view component, std::string_view service, std::string_view operation,
                       std::string_view resource) const;
    const ComponentPolicies* find(std::string_view component) const;

private:
    std::map<std::string, ComponentPolicies, std::less<>> components_;
};

} // namespace ggl::ipc_policy
