// CreateLocalDeployment, GetLocalDeploymentStatus and ListLocalDeployments over gg_deployment.
#include "operations.hpp"

namespace ggl::ipc {

namespace {

namespace contract = services::deployment;
namespace param = services::deployment::param;

constexpr const char* kCliService = "aws.greengrass.Cli";

// gg_deployment's record summary -> the SDK's LocalDeployment.
Object local_deployment(const Object& record) {
    std::string state = string_field(record, "state");
    std::string status = state;
    std::string detailed;
    if (state == "SUCCEEDED") {
        detailed = "SUCCESSFUL";
    } else if (state.rfind("FAILED", 0) == 0) {
        status = "FAILED";
        detailed = state;
    } else if (state == "CANCELED") {
        status = "CANCELED";
    }
    Map deployment{{"deploymentId", string_field(record, "deployment_id")},
                   {"status", status},
                   {"createdOn", std::to_string(int_field(record, "created"))}};
    if (!detailed.empty()) {
        Map details{{"detailedDeploymentStatus", detailed}};
        std::string reason = string_field(record, "reason");
        if (!reason.empty()) details.set("deploymentFailureCause", reason);
        deployment.set("deploymentStatusDetails", std::move(details));
    }
    return deployment;
}

void create_local_deployment(Request& request) {
    if (!request.authorize(kCliService, "*")) return;
    Map params;
    // The SDK's field names -> gg_deployment's (docs/deployments.md).
    const std::pair<const char*, const char*> kFields[] = {
        {"groupName", param::kGroupName},
        {"rootComponentVersionsToAdd", param::kRootComponentVersionsToAdd},
        {"rootComponentsToRemove", param::kRootComponentVersionsToRemove},
        {"componentToConfiguration", param::kComponentToConfiguration},
        {"recipeDirectoryPath", param::kRecipeDirectoryPath},
        {"artifactsDirectoryPath", param::kArtifactsDirectoryPath},
        {"failureHandlingPolicy", param::kFailureHandlingPolicy},
    };
    for (const auto& [ipc_name, bus_name] : kFields) {
        const Object* value = request.params.find(ipc_name);
        if (value != nullptr && !value->is_null()) params.set(bus_name, *value);
    }
    auto stream = request.stream;
    BusLink& deployment = request.services.deployment;
    deployment.call(contract::kCreateLocalDeployment.name, std::move(params),
                    [stream, &deployment](Result<Object> created) {
                        if (!created) {
                            stream->fail(bus_failure(deployment, created.error()));
                            return;
                        }
                        stream->respond(Map{{"deploymentId", string_field(*created, param::kDeploymentId)}});
                    });
}

void get_local_deployment_status(Request& request) {
    auto id = required_string(request, "deploymentId");
    if (!id) return;
    if (!request.authorize(kCliService, *id)) return;
    auto stream = request.stream;
    BusLink& deployment = request.services.deployment;
    deployment.call(contract::kGetDeploymentStatus.name, contract::id_params(*id),
                    [stream, &deployment, id = *id](Result<Object> record) {
                        if (!record) {
                            if (record.error().code == ErrorCode::Noentry) {
                                stream->fail(resource_not_found("Deployment " + id + " not found"));
                            } else {
                                stream->fail(bus_failure(deployment, record.error()));
                            }
                            return;
                        }
                        stream->respond(Map{{"deployment", local_deployment(*record)}});
                    });
}

void list_local_deployments(Request& request) {
    if (!request.authorize(kCliService, "*")) return;
    auto stream = request.stream;
    BusLink& deployment = request.services.deployment;
    deployment.call(contract::kListDeployments.name, Map{}, [stream, &deployment](Result<Object> listed) {
        if (!listed) {
            stream->fail(bus_failure(deployment, listed.error()));
            return;
        }
        List deployments;
        if (const Object* list = find_field(*listed, "deployments"); list != nullptr && list->is_list()) {
            for (const Object& record : list->as_list()) deployments.push_back(local_deployment(record));
        }
        stream->respond(Map{{"localDeployments", std::move(deployments)}});
    });
}

} // namespace

void add_deployment_operations(OperationTable& table) {
    table.add({model_name("CreateLocalDeployment"), kCliService, create_local_deployment});
    table.add({model_name("GetLocalDeploymentStatus"), kCliService, get_local_deployment_status});
    table.add({model_name("ListLocalDeployments"), kCliService, list_local_deployments});
}

} // namespace ggl::ipc
