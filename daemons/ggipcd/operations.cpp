// The operation table and what every handler shares.
#include "operations.hpp"

#include "ggl/env.hpp"
#include "ggl/log.hpp"
#include "ggl/services/iot_mqtt.hpp"

namespace ggl::ipc {

Services::Services(EventLoop& loop)
    : loop(loop), config(loop, services::config::kService),
      health(loop, services::health::kService, std::chrono::seconds(120)),
      deployment(loop, services::deployment::kService), pubsub(loop, services::pubsub::kService),
      iot_mqtt(loop, services::iot_mqtt::kService),
      tokens(std::make_unique<SvcuidRegistry>(env::root_dir() + "/ipc/svcuid")), validation(loop) {}

bool Request::authorize(std::string_view service_id, std::string_view resource) const {
    auto denied = services.access.check(component, std::string(service_id), operation, std::string(resource));
    if (!denied) {
        return true;
    }
    GGL_LOGW("denied %s for %s on resource \"%s\": %s", operation.c_str(), component.c_str(),
             std::string(resource).c_str(), denied->c_str());
    stream->fail(unauthorized("Principal " + component + " is not authorized to perform " + std::string(service_id) +
                              ":" + operation + " on resource " + std::string(resource)));
    return false;
}

void OperationTable::add(Operation operation) {
    std::string name = operation.name;
    operations_[name] = std::move(operation);
}

const Operation* OperationTable::find(std::string_view name) const {
    auto it = operations_.find(name);
    return it == operations_.end() ? nullptr : &it->second;
}

std::string model_name(std::string_view short_name) { return std::string(kModelPrefix) + std::string(short_name); }

std::optional<std::string> required_string(const Request& request, std::string_view field) {
    const Object* value = request.params.find(field);
    if (value == nullptr || !value->is_string() || value->as_string().empty()) {
        request.stream->fail(invalid_arguments(std::string(field) + " is required and must be a non-empty string"));
        return std::nullopt;
    }
    return value->as_string();
}

std::string optional_string(const Request& request, std::string_view field, std::string fallback) {
    const Object* value = request.params.find(field);
    if (value == nullptr || !value->is_string()) {
        return fallback;
    }
    return value->as_string();
}

IpcError bus_failure(const BusLink& link, const Error& error) {
    IpcError converted = ipc_error_of(error);
    if (converted.name == "ServiceError" && error.code != ErrorCode::Noconn) {
        converted.message = link.service() + ": " + error.message;
    }
    return converted;
}

} // namespace ggl::ipc
