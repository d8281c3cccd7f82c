// The gg_deployment contract (ggdeploymentd; docs/deployments.md): the service, its methods
// and their parameters, a deployment request with its checks, and DeploymentClient, the
// typed client every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::services::deployment {

inline constexpr const char* kService = "gg_deployment";
inline constexpr const char* kLocalGroup = "LOCAL_DEPLOYMENTS";

namespace param {
inline constexpr const char* kRecipeDirectoryPath = "recipe_directory_path";
inline constexpr const char* kArtifactsDirectoryPath = "artifacts_directory_path";
inline constexpr const char* kRootComponentVersionsToAdd = "root_component_versions_to_add";
inline constexpr const char* kRootComponentVersionsToRemove = "root_component_versions_to_remove";
inline constexpr const char* kComponentToConfiguration = "component_to_configuration";
inline constexpr const char* kGroupName = "group_name";
inline constexpr const char* kFailureHandlingPolicy = "failure_handling_policy";
inline constexpr const char* kDryRun = "dry_run";
inline constexpr const char* kTimeoutSeconds = "timeout_seconds";
inline constexpr const char* kConfigurationValidationTimeoutSeconds = "configuration_validation_timeout_seconds";
inline constexpr const char* kDeploymentId = "deployment_id";
} // namespace param

inline constexpr Param kCreateParams[] = {
    {param::kRecipeDirectoryPath, ParamType::String, false, "absolute path of a directory of recipes"},
    {param::kArtifactsDirectoryPath, ParamType::String, false, "absolute path: <dir>/<name>/<version>/<files>"},
    {param::kRootComponentVersionsToAdd, ParamType::Map, false, "{name: version}"},
    {param::kRootComponentVersionsToRemove, ParamType::List, false, "[name]"},
    {param::kComponentToConfiguration, ParamType::Map, false, "{name: {MERGE: {...}, RESET: [pointer]}}"},
    {param::kGroupName, ParamType::String, false, "default LOCAL_DEPLOYMENTS"},
    {param::kFailureHandlingPolicy, ParamType::String, false, "ROLLBACK (default) or DO_NOTHING"},
    {param::kDryRun, ParamType::Bool, false, "plan only; change nothing"},
    {param::kTimeoutSeconds, ParamType::Int, false, "for components to run (default 300)"},
    {param::kConfigurationValidationTimeoutSeconds, ParamType::Int, false,
     "for components to report on their new configuration (default 30)"}};
inline constexpr Method kCreateLocalDeployment{"create_local_deployment", MethodKind::Call, kCreateParams,
                                               "Queues a deployment; returns {deployment_id}."};

inline constexpr Param kStatusParams[] = {{param::kDeploymentId, ParamType::String, true, "the deployment"}};
inline constexpr Method kGetDeploymentStatus{"get_deployment_status", MethodKind::Call, kStatusParams,
                                             "The deployment's record: state, steps, plan, failure."};

inline constexpr Method kListDeployments{
    "list_deployments", MethodKind::Call, {}, "Every recorded deployment, oldest first."};

inline constexpr Param kCancelParams[] = {{param::kDeploymentId, ParamType::String, true, "a QUEUED deployment"}};
inline constexpr Method kCancelDeployment{"cancel_deployment", MethodKind::Call, kCancelParams,
                                          "Cancels a deployment that has not started."};

inline constexpr Method kSubscribeToDeployment{"subscribe_to_deployment", MethodKind::Subscribe, kStatusParams,
                                               "Progress events {deployment_id, state, time, message, final}; the "
                                               "final one carries the whole status, then the subscription ends."};

// {deployment_id: ID}: the params of get_deployment_status, cancel_deployment and
// subscribe_to_deployment.
Map id_params(std::string_view deployment_id);

// What libggl cannot check itself: component names and versions are defined by the recipe
// library (is_valid_component_name, SemVer), which ggdeploymentd passes here.
struct RequestRules {
    bool (*component_name)(std::string_view name) = nullptr; // nullptr: any name
    Result<void> (*version)(std::string_view version) = nullptr; // nullptr: any text
};

// create_local_deployment's params, checked (INVALID naming the field otherwise).
struct Request {
    std::string recipe_directory; // absolute, or empty
    std::string artifacts_directory; // absolute, or empty
    std::map<std::string, std::string> add; // component -> version
    std::vector<std::string> remove;
    Map configuration; // component -> {MERGE: map, RESET: [JSON pointer]}
    std::string group = kLocalGroup;
    bool rollback = true; // failure_handling_policy ROLLBACK (else DO_NOTHING)
    bool dry_run = false;
    int64_t timeout_seconds = 300; // for the components to become RUNNING/FINISHED
    // For a component that subscribed to configuration validation to report on its new
    // configuration (Greengrass's configurationValidationPolicy.timeoutInSeconds).
    int64_t configuration_validation_timeout_seconds = 30;

    static Result<Request> from_object(const Map& params, const RequestRules& rules);
    // Every field (directories and configuration when given): the params and the record's form.
    Map to_object() const;
};

} // namespace ggl::services::deployment

namespace ggl::services {

// gg_deployment's typed client: answers as ggdeploymentd gave them. Not thread-safe.
class DeploymentClient {
public:
    explicit DeploymentClient(bus::ClientOptions options = {});

    // {deployment_id}.
    Result<Object> create_local_deployment(const deployment::Request& request);
    Result<Object> get_deployment_status(std::string_view deployment_id);
    // {deployments: [summary]}.
    Result<Object> list_deployments();
    Result<Object> cancel_deployment(std::string_view deployment_id);
    // The connection, for streaming subscribe_to_deployment (deployment::id_params).
    bus::Client& bus() { return client_; }

private:
    bus::Client client_;
};

} // namespace ggl::services
