// GetConfiguration, UpdateConfiguration and SubscribeToConfigurationUpdate over gg_config;
// SubscribeToValidateConfigurationUpdates and SendConfigurationValidityReport for deployments.
#include "operations.hpp"

#include <cmath>
#include <strings.h>

namespace ggl::ipc {

namespace {

namespace contract = services::config;

// keyPath: a list of strings, or absent (the whole configuration).
std::optional<std::vector<std::string>> key_path_of(const Request& request) {
    std::vector<std::string> path;
    const Object* value = request.params.find("keyPath");
    if (value == nullptr || value->is_null()) {
        return path;
    }
    if (!value->is_list()) {
        request.stream->fail(invalid_arguments("keyPath must be a list of strings"));
        return std::nullopt;
    }
    for (const Object& segment : value->as_list()) {
        if (!segment.is_string() || segment.as_string().empty()) {
            request.stream->fail(invalid_arguments("keyPath must be a list of non-empty strings"));
            return std::nullopt;
        }
        path.push_back(segment.as_string());
    }
    return path;
}

// Whose configuration and where in it: componentName (the caller when absent or empty), then keyPath.
struct ConfigTarget {
    std::string component;
    std::vector<std::string> key_path;
};

std::optional<ConfigTarget> config_target_of(const Request& request) {
    std::string component = optional_string(request, "componentName", request.component);
    if (component.empty()) component = request.component;
    auto key_path = key_path_of(request);
    if (!key_path) return std::nullopt;
    return ConfigTarget{std::move(component), std::move(*key_path)};
}

// {key_path: services/<component>/configuration/<key_path>}.
Map path_params(const std::string& component, const std::vector<std::string>& key_path) {
    config::KeyPath path{"services", component, "configuration"};
    path.insert(path.end(), key_path.begin(), key_path.end());
    return contract::key_path_params(path);
}

void get_configuration(Request& request) {
    auto target = config_target_of(request);
    if (!target) return;
    auto stream = request.stream;
    BusLink& config = request.services.config;
    config.call(
        contract::kRead.name, path_params(target->component, target->key_path),
        [stream, component = target->component, key_path = target->key_path, &config](Result<Object> value) {
            if (!value) {
                if (value.error().code == ErrorCode::Noentry) {
                    stream->fail(resource_not_found("Key not found"));
                } else {
                    stream->fail(bus_failure(config, value.error()));
                }
                return;
            }
            // A leaf comes back as {<its key>: value}, as Greengrass answers.
            Object wrapped = std::move(*value);
            if (!wrapped.is_map()) {
                wrapped = Map{{key_path.empty() ? std::string("configuration") : key_path.back(), std::move(wrapped)}};
            }
            stream->respond(Map{{"componentName", component}, {"value", std::move(wrapped)}});
        });
}

bool names_access_control(const std::vector<std::string>& key_path, const Object& value) {
    if (!key_path.empty()) {
        return strcasecmp(key_path.front().c_str(), "accessControl") == 0;
    }
    if (const Map* map = value.if_map()) {
        for (const auto& [key, unused] : *map) {
            if (strcasecmp(key.c_str(), "accessControl") == 0) return true;
        }
    }
    return false;
}

void update_configuration(Request& request) {
    auto key_path = key_path_of(request);
    if (!key_path) return;
    const Object* value = request.params.find("valueToMerge");
    if (value == nullptr) {
        request.stream->fail(invalid_arguments("valueToMerge is required"));
        return;
    }
    if (names_access_control(*key_path, *value)) {
        request.stream->fail(invalid_arguments("accessControl cannot be changed over IPC; deploy it instead"));
        return;
    }
    // The SDKs send the timestamp as seconds since the epoch (a number, maybe fractional).
    Map params = path_params(request.component, *key_path);
    params.set(contract::param::kValue, *value);
    if (const Object* timestamp = request.params.find("timestamp"); timestamp != nullptr && !timestamp->is_null()) {
        double seconds = timestamp->is_i64()   ? static_cast<double>(timestamp->as_i64())
                         : timestamp->is_f64() ? timestamp->as_f64()
                                               : -1;
        if (!(seconds >= 0) || !std::isfinite(seconds)) {
            request.stream->fail(invalid_arguments("timestamp must be seconds since the epoch"));
            return;
        }
        params.set(contract::param::kTimestamp, static_cast<int64_t>(std::llround(seconds * 1000)));
        // A stored value newer than the request fails it, as on Greengrass (not ignored).
        params.set(contract::param::kFailIfOlder, true);
    }
    auto stream = request.stream;
    BusLink& config = request.services.config;
    config.call(contract::kWrite.name, std::move(params), [stream, &config](Result<Object> written) {
        if (!written) {
            if (written.error().code == ErrorCode::Expected) {
                stream->fail(IpcError{"FailedUpdateConditionCheckError", written.error().message});
                return;
            }
            stream->fail(bus_failure(config, written.error()));
            return;
        }
        stream->respond(Map{});
    });
}

void subscribe_to_configuration_update(Request& request) {
    auto target = config_target_of(request);
    if (!target) return;
    const std::string& component = target->component;
    auto stream = request.stream;
    BusLink& config = request.services.config;
    BusLink::SubscriptionHandlers handlers;
    handlers.on_accepted = [stream, &config](Result<void> accepted) {
        if (!accepted) {
            stream->fail(bus_failure(config, accepted.error()));
            return;
        }
        stream->accept(Map{});
    };
    handlers.on_event = [stream, component](const Object& event) {
        // {key_path: ["services", component, "configuration", ...]} -> the part under configuration.
        List changed;
        if (const Object* path = find_field(event, contract::event::kKeyPath); path != nullptr && path->is_list()) {
            const List& segments = path->as_list();
            for (size_t i = 3; i < segments.size(); ++i) changed.push_back(segments[i]);
        }
        stream->send_event(model_name("ConfigurationUpdateEvents"),
                           Map{{"configurationUpdateEvent", Map{{"componentName", component}, {"keyPath", changed}}}});
    };
    handlers.on_end = [stream, &config](const Error* error) {
        if (error) {
            stream->fail(bus_failure(config, *error));
        } else {
            stream->end();
        }
    };
    uint64_t id =
        config.subscribe(contract::kSubscribe.name, path_params(component, target->key_path), std::move(handlers));
    stream->on_close([&config, id] { config.cancel(id); });
}

void subscribe_to_validate_configuration_updates(Request& request) {
    ConfigValidation& validation = request.services.validation;
    std::string component = request.component;
    auto stream = request.stream;
    stream->accept(Map{});
    validation.add_subscriber(component, stream);
    stream->on_close([&validation, component, raw = stream.get()] { validation.remove_subscriber(component, raw); });
}

void send_configuration_validity_report(Request& request) {
    const Object* report = request.params.find("configurationValidityReport");
    if (report == nullptr || !report->is_map()) {
        request.stream->fail(invalid_arguments("configurationValidityReport is required and must be an object"));
        return;
    }
    std::string status = string_field(*report, "status");
    if (status != "ACCEPTED" && status != "REJECTED") {
        request.stream->fail(invalid_arguments("configurationValidityReport.status must be ACCEPTED or REJECTED"));
        return;
    }
    std::string deployment_id = string_field(*report, "deploymentId");
    if (deployment_id.empty()) {
        request.stream->fail(invalid_arguments("configurationValidityReport.deploymentId is required"));
        return;
    }
    auto reported = request.services.validation.report(request.component, deployment_id, status == "ACCEPTED",
                                                       string_field(*report, "message"));
    if (!reported) {
        request.stream->fail(invalid_arguments(reported.error().message));
        return;
    }
    request.stream->respond(Map{});
}

} // namespace

void add_config_operations(OperationTable& table) {
    table.add({model_name("GetConfiguration"), "", get_configuration});
    table.add({model_name("UpdateConfiguration"), "", update_configuration});
    table.add({model_name("SubscribeToConfigurationUpdate"), "", subscribe_to_configuration_update});
    table.add({model_name("SubscribeToValidateConfigurationUpdates"), "", subscribe_to_validate_configuration_updates});
    table.add({model_name("SendConfigurationValidityReport"), "", send_configuration_validity_report});
}

} // namespace ggl::ipc
