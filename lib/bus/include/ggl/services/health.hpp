// The gg_health contract (gghealthd; docs/bus.md): the service, its methods and their
// parameters, and HealthClient, the typed client every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <string>
#include <string_view>

namespace ggl::services::health {

inline constexpr const char* kService = "gg_health";

namespace param {
inline constexpr const char* kComponentName = "component_name";
inline constexpr const char* kLifecycleState = "lifecycle_state";
} // namespace param

inline constexpr Param kGetStatusParams[] = {{param::kComponentName, ParamType::String, true, "Component to describe"}};
inline constexpr Method kGetStatus{"get_status", MethodKind::Call, kGetStatusParams,
                                   "{component_name, version?, lifecycle_state, since (ms), n_restarts, phase, "
                                   "exit_status?, exit_signal?}. NOENTRY for an unknown component."};

inline constexpr Method kListComponents{
    "list_components", MethodKind::Call, {}, "{components: [the get_status map of every component]}"};

inline constexpr Param kRestartParams[] = {{param::kComponentName, ParamType::String, true, "Component to restart"}};
inline constexpr Method kRestartComponent{"restart_component", MethodKind::Call, kRestartParams,
                                          "Clears a failed state (BROKEN) and restarts the component's unit; answers "
                                          "{} when the job is done, FAILURE with the job's result otherwise."};

inline constexpr Param kStopParams[] = {{param::kComponentName, ParamType::String, true, "Component to stop"}};
inline constexpr Method kStopComponent{"stop_component", MethodKind::Call, kStopParams,
                                       "Stops the component's unit; answers {} when the job is done."};

inline constexpr Param kUpdateStatusParams[] = {
    {param::kComponentName, ParamType::String, true, "Component reporting its state"},
    {param::kLifecycleState, ParamType::String, true, "RUNNING or ERRORED"}};
inline constexpr Method kUpdateStatus{"update_status", MethodKind::Call, kUpdateStatusParams,
                                      "IPC UpdateState: RUNNING makes a STARTING component RUNNING; ERRORED is "
                                      "published and stops a component still starting, so that the manager records "
                                      "the failure."};

inline constexpr Param kCompletionParams[] = {
    {param::kComponentName, ParamType::String, true, "Component to follow (it may not exist yet)"}};
inline constexpr Method kSubscribeToLifecycleCompletion{
    "subscribe_to_lifecycle_completion", MethodKind::Subscribe, kCompletionParams,
    "An event (the get_status map) each time the component becomes RUNNING, FINISHED, ERRORED or BROKEN."};

inline constexpr Method kSubscribeToAllComponentStateChanges{
    "subscribe_to_all_component_state_changes",
    MethodKind::Subscribe,
    {},
    "An event {component_name, lifecycle_state, previous_state, since, phase, n_restarts, exit_status?, "
    "exit_signal?} for every change of any component's state."};

// {component_name: NAME}: the params of get_status, restart, stop and the completion subscription.
Map component_params(std::string_view component);

} // namespace ggl::services::health

namespace ggl::services {

// gg_health's typed client: answers as gghealthd gave them. Not thread-safe.
class HealthClient {
public:
    explicit HealthClient(bus::ClientOptions options = {});
    // gghealthd at another socket (`ggl component --socket`).
    static HealthClient at_path(std::string path, bus::ClientOptions options = {});

    Result<Object> get_status(std::string_view component);
    Result<Object> list_components();
    Result<Object> restart_component(std::string_view component);
    Result<Object> stop_component(std::string_view component);
    Result<Object> update_status(std::string_view component, std::string_view lifecycle_state);

    // The connection, for the subscriptions and pipelining.
    bus::Client& bus() { return client_; }

private:
    explicit HealthClient(bus::Client client) : client_(std::move(client)) {}
    bus::Client client_;
};

} // namespace ggl::services
