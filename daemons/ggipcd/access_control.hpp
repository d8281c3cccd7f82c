// Each component's accessControl policies, read from gg_config before a component's
// first authorized request and read again after gg_config reports a change under
// services/<component>/configuration/accessControl.
#pragma once

#include "bus_link.hpp"

#include "ggl/ipc_policy.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ggl::ipc {

class AccessControl {
public:
    explicit AccessControl(BusLink& config) : config_(config) {}

    // Follows configuration changes (once gg_config answers; retried on later requests).
    void start();
    // Runs then() once component's policies are current (at once when they are).
    void when_ready(const std::string& component, std::function<void()> then);
    // nullopt: allowed; otherwise why not (for the log).
    std::optional<std::string> check(const std::string& component, const std::string& service,
                                     const std::string& operation, const std::string& resource) const;

private:
    struct Entry {
        bool current = false;
        bool loading = false;
        std::optional<ipc_policy::ComponentPolicies> policies; // nullopt: malformed, nothing allowed
        std::string problem;
        std::vector<std::function<void()>> waiting;
    };
    void load(const std::string& component);
    void load_policies(const std::string& component, ipc_policy::Variables variables);
    void on_change(const Object& event);

    BusLink& config_;
    std::map<std::string, Entry, std::less<>> entries_;
    bool following_ = false; // a subscription to gg_config was sent
    bool subscribed_ = false; // ... and accepted: loaded policies stay current
};

} // namespace ggl::ipc
