// UpdateState, GetComponentDetails, ListComponents, RestartComponent and StopComponent
// over gg_health.
#include "operations.hpp"

namespace ggl::ipc {

namespace {

namespace contract = services::health;

constexpr const char* kCliService = "aws.greengrass.Cli";

// gg_health's status map -> the SDK's ComponentDetails.
Object component_details(const Object& status) {
    return Map{{"componentName", string_field(status, "component_name")},
               {"version", string_field(status, "version")},
               {"state", string_field(status, "lifecycle_state", "NEW")}};
}

void update_state(Request& request) {
    auto state = required_string(request, "state");
    if (!state) return;
    if (*state != "RUNNING" && *state != "ERRORED") {
        request.stream->fail(invalid_arguments("state must be RUNNING or ERRORED, not \"" + *state + "\""));
        return;
    }
    auto stream = request.stream;
    BusLink& health = request.services.health;
    Map params = contract::component_params(request.component);
    params.set(contract::param::kLifecycleState, *state);
    health.call(contract::kUpdateStatus.name, std::move(params), [stream, &health](Result<Object> done) {
        if (!done) {
            stream->fail(bus_failure(health, done.error()));
            return;
        }
        stream->respond(Map{});
    });
}

void get_component_details(Request& request) {
    auto name = required_string(request, "componentName");
    if (!name) return;
    if (!request.authorize(kCliService, *name)) return;
    auto stream = request.stream;
    BusLink& health = request.services.health;
    health.call(contract::kGetStatus.name, contract::component_params(*name),
                [stream, &health, name = *name](Result<Object> status) {
                    if (!status) {
                        if (status.error().code == ErrorCode::Noentry) {
                            stream->fail(resource_not_found("Component " + name + " not found"));
                        } else {
                            stream->fail(bus_failure(health, status.error()));
                        }
                        return;
                    }
                    stream->respond(Map{{"componentDetails", component_details(*status)}});
                });
}

void list_components(Request& request) {
    if (!request.authorize(kCliService, "*")) return;
    auto stream = request.stream;
    BusLink& health = request.services.health;
    health.call(contract::kListComponents.name, Map{}, [stream, &health](Result<Object> listed) {
        if (!listed) {
            stream->fail(bus_failure(health, listed.error()));
            return;
        }
        List components;
        if (const Object* list = find_field(*listed, "components"); list != nullptr && list->is_list()) {
            for (const Object& status : list->as_list()) components.push_back(component_details(status));
        }
        stream->respond(Map{{"components", std::move(components)}});
    });
}

// RestartComponent and StopComponent: a failed job is a FAILED status, not an error.
void change_component(Request& request, const services::Method& method, const char* status_field) {
    auto name = required_string(request, "componentName");
    if (!name) return;
    if (!request.authorize(kCliService, *name)) return;
    auto stream = request.stream;
    BusLink& health = request.services.health;
    health.call(method.name, contract::component_params(*name),
                [stream, &health, name = *name, status_field](Result<Object> done) {
                    if (!done) {
                        if (done.error().code == ErrorCode::Noentry) {
                            stream->fail(IpcError{"ComponentNotFoundError", "Component " + name + " not found"});
                        } else if (done.error().code == ErrorCode::Failure) {
                            stream->respond(Map{{status_field, "FAILED"}, {"message", done.error().message}});
                        } else {
                            stream->fail(bus_failure(health, done.error()));
                        }
                        return;
                    }
                    stream->respond(Map{{status_field, "SUCCEEDED"}, {"message", ""}});
                });
}

} // namespace

void add_lifecycle_operations(OperationTable& table) {
    table.add({model_name("UpdateState"), "", update_state});
    table.add({model_name("GetComponentDetails"), kCliService, get_component_details});
    table.add({model_name("ListComponents"), kCliService, list_components});
    table.add({model_name("RestartComponent"), kCliService,
               [](Request& request) { change_component(request, contract::kRestartComponent, "restartStatus"); }});
    table.add({model_name("StopComponent"), kCliService,
               [](Request& request) { change_component(request, contract::kStopComponent, "stopStatus"); }});
}

} // namespace ggl::ipc
