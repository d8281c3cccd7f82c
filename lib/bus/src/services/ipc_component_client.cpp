// ipc_component over the bus: IpcComponentClient (ggl/services/ipc_component.hpp).
#include "ggl/services/ipc_component.hpp"

namespace ggl::services {

namespace ipc_component {

Map validate_configuration_params(std::string component, std::string deployment_id, Object configuration,
                                  int64_t timeout_ms) {
    return Map{{param::kComponentName, std::move(component)},
               {param::kDeploymentId, std::move(deployment_id)},
               {param::kConfiguration, std::move(configuration)},
               {param::kTimeoutMs, timeout_ms}};
}

} // namespace ipc_component

IpcComponentClient::IpcComponentClient(bus::ClientOptions options)
    : client_(bus::Client::for_service(ipc_component::kService, options)) {}

Result<std::string> IpcComponentClient::verify_svcuid(std::string_view svcuid) {
    auto answer =
        client_.call(ipc_component::kVerifySvcuid.name, Map{{ipc_component::param::kSvcuid, std::string(svcuid)}});
    if (!answer) {
        return std::move(answer).error();
    }
    const Object* name = find_field(*answer, ipc_component::result::kComponentName);
    if (name == nullptr || !name->is_string() || name->as_buffer().empty()) {
        return make_error(ErrorCode::Remote, "ipc_component verify_svcuid answered without a component_name");
    }
    return std::string(name->as_buffer());
}

} // namespace ggl::services
