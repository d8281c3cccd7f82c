// gg_health over the bus: HealthClient (ggl/services/health.hpp).
#include "ggl/services/health.hpp"

namespace ggl::services {

namespace health {

Map component_params(std::string_view component) { return Map{{param::kComponentName, std::string(component)}}; }

} // namespace health

HealthClient::HealthClient(bus::ClientOptions options) : client_(bus::Client::for_service(health::kService, options)) {}

HealthClient HealthClient::at_path(std::string path, bus::ClientOptions options) {
    return HealthClient(bus::Client::for_path(std::move(path), options));
}

Result<Object> HealthClient::get_status(std::string_view component) {
    return client_.call(health::kGetStatus.name, health::component_params(component));
}

Result<Object> HealthClient::list_components() { return client_.call(health::kListComponents.name, Map{}); }

Result<Object> HealthClient::restart_component(std::string_view component) {
    return client_.call(health::kRestartComponent.name, health::component_params(component));
}

Result<Object> HealthClient::stop_component(std::string_view component) {
    return client_.call(health::kStopComponent.name, health::component_params(component));
}

Result<Object> HealthClient::update_status(std::string_view component, std::string_view lifecycle_state) {
    Map params = health::component_params(component);
    params.set(health::param::kLifecycleState, std::string(lifecycle_state));
    return client_.call(health::kUpdateStatus.name, std::move(params));
}

} // namespace ggl::services
