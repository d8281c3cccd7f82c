// The ipc_component contract (ggipcd's side of the core bus; docs/ipc.md): the service, its
// methods and their parameters and results, and IpcComponentClient, the typed client
// every caller uses.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/services/contract.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::services::ipc_component {

inline constexpr const char* kService = "ipc_component";

namespace param {
inline constexpr const char* kSvcuid = "svcuid";
inline constexpr const char* kComponentName = "component_name";
inline constexpr const char* kDeploymentId = "deployment_id";
inline constexpr const char* kConfiguration = "configuration";
inline constexpr const char* kTimeoutMs = "timeout_ms";
} // namespace param

// What the methods answer.
namespace result {
inline constexpr const char* kComponentName = "component_name"; // verify_svcuid
inline constexpr const char* kStatus = "status"; // validate_configuration: one of the verdicts below
inline constexpr const char* kMessage = "message"; // validate_configuration: the component's own words
} // namespace result

// validate_configuration's status values.
namespace verdict {
inline constexpr const char* kAccepted = "ACCEPTED";
inline constexpr const char* kRejected = "REJECTED";
inline constexpr const char* kNoSubscriber = "NO_SUBSCRIBER";
inline constexpr const char* kTimedOut = "TIMED_OUT";
} // namespace verdict

inline constexpr int64_t kDefaultValidationTimeoutMs = 30000;
inline constexpr int64_t kMaxValidationTimeoutMs = 86400000;

inline constexpr Param kVerifySvcuidParams[] = {
    {param::kSvcuid, ParamType::String, true, "A token a component presented"}};
inline constexpr Method kVerifySvcuid{
    "verify_svcuid", MethodKind::Call, kVerifySvcuidParams,
    "{component_name} of the component the token was issued to; NOENTRY for any other token."};

inline constexpr Param kValidateConfigurationParams[] = {
    {param::kComponentName, ParamType::String, true, "The component whose configuration changes"},
    {param::kDeploymentId, ParamType::String, true, "The deployment that changes it"},
    {param::kConfiguration, ParamType::Map, true, "The component's whole configuration as proposed"},
    {param::kTimeoutMs, ParamType::Int, false, "How long to wait for the component's report (default 30000)"}};
inline constexpr Method kValidateConfiguration{
    "validate_configuration", MethodKind::Call, kValidateConfigurationParams,
    "Sends the proposed configuration to the component's SubscribeToValidateConfigurationUpdates streams and "
    "answers {status, message}: status ACCEPTED or REJECTED (the component's report), NO_SUBSCRIBER (no stream "
    "of that component listens) or TIMED_OUT."};

// validate_configuration's params.
Map validate_configuration_params(std::string component, std::string deployment_id, Object configuration,
                                  int64_t timeout_ms);

} // namespace ggl::services::ipc_component

namespace ggl::services {

// ipc_component's typed client. Not thread-safe.
class IpcComponentClient {
public:
    explicit IpcComponentClient(bus::ClientOptions options = {});

    // The component the token was issued to; NOENTRY for any other token.
    Result<std::string> verify_svcuid(std::string_view svcuid);
    // The connection, for pipelined validate_configuration calls
    // (ipc_component::kValidateConfiguration, ipc_component::validate_configuration_params).
    bus::Client& bus() { return client_; }

private:
    bus::Client client_;
};

} // namespace ggl::services
