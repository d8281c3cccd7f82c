// gg_deployment over the bus: a deployment request to and from its params, and
// DeploymentClient (ggl/services/deployment.hpp).
#include "ggl/services/deployment.hpp"

namespace ggl::services {

namespace deployment {
namespace {

Error invalid(std::string message) { return make_error(ErrorCode::Invalid, std::move(message)); }

// A path a daemon can use whatever its working directory: absolute, and a directory.
Result<std::string> directory_param(const Map& params, std::string_view key) {
    const Object* value = params.find(key);
    if (value == nullptr || value->is_null()) {
        return std::string{};
    }
    if (!value->is_buffer()) {
        return invalid(std::string(key) + ": expected a string (a directory path)");
    }
    std::string path(value->as_buffer());
    if (path.empty() || path.front() != '/') {
        return invalid(std::string(key) + ": \"" + path + "\" is not an absolute path");
    }
    return path;
}

bool is_safe_group_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name == "." || name == "..") {
        return false;
    }
    for (unsigned char c : name) {
        if (c < 0x20 || c == '/' || c == 0x7f) {
            return false;
        }
    }
    return true;
}

bool is_component_name(const RequestRules& rules, std::string_view name) {
    return rules.component_name == nullptr || rules.component_name(name);
}

// {name: version}.
Result<void> read_add(const Object& add, const RequestRules& rules, Request& request) {
    const std::string key = param::kRootComponentVersionsToAdd;
    if (!add.is_map()) {
        return invalid(key + ": expected a map of component name to version");
    }
    for (const auto& [name, version] : add.as_map()) {
        if (!is_component_name(rules, name)) {
            return invalid(key + ": \"" + name + "\" is not a valid component name");
        }
        if (!version.is_buffer()) {
            return invalid(key + "." + name + ": expected a version string");
        }
        if (rules.version != nullptr) {
            if (auto parsed = rules.version(version.as_buffer()); !parsed) {
                return invalid(key + "." + name + ": \"" + std::string(version.as_buffer()) +
                               "\" is not a SemVer 2.0 version: " + parsed.error().message);
            }
        }
        request.add[name] = std::string(version.as_buffer());
    }
    return {};
}

// [name], none of them added as well.
Result<void> read_remove(const Object& remove, const RequestRules& rules, Request& request) {
    const std::string key = param::kRootComponentVersionsToRemove;
    if (!remove.is_list()) {
        return invalid(key + ": expected a list of component names");
    }
    for (const Object& name : remove.as_list()) {
        if (!name.is_buffer() || !is_component_name(rules, name.as_buffer())) {
            return invalid(key + ": expected component names");
        }
        std::string text(name.as_buffer());
        if (request.add.count(text)) {
            return invalid("component " + text + " is both added and removed");
        }
        request.remove.push_back(std::move(text));
    }
    return {};
}

// {name: {MERGE: map, RESET: [JSON pointer]}}.
Result<void> read_configuration(const Object& configuration, const RequestRules& rules, Request& request) {
    const std::string key = param::kComponentToConfiguration;
    if (!configuration.is_map()) {
        return invalid(key + ": expected a map of component name to {MERGE, RESET}");
    }
    for (const auto& [name, update] : configuration.as_map()) {
        std::string where = key + "." + name;
        if (!is_component_name(rules, name)) {
            return invalid(where + ": not a valid component name");
        }
        if (!update.is_map()) {
            return invalid(where + ": expected a map with MERGE and/or RESET");
        }
        for (const auto& [operation, value] : update.as_map()) {
            if (operation == "MERGE") {
                if (!value.is_map()) {
                    return invalid(where + ".MERGE: expected a map");
                }
            } else if (operation == "RESET") {
                if (!value.is_list()) {
                    return invalid(where + ".RESET: expected a list of JSON pointers");
                }
                for (const Object& pointer : value.as_list()) {
                    if (!pointer.is_buffer() || (!pointer.as_buffer().empty() && pointer.as_buffer().front() != '/')) {
                        return invalid(where + ".RESET: expected JSON pointers (\"\" or \"/a/b\")");
                    }
                }
            } else {
                return invalid(where + ": unknown key \"" + operation + "\" (expected MERGE or RESET)");
            }
        }
    }
    request.configuration = configuration.as_map();
    return {};
}

// A whole number of seconds, 1 to 86400.
Result<void> read_seconds(const Object& value, std::string_view key, int64_t& seconds) {
    if (!value.is_i64() || value.as_i64() <= 0 || value.as_i64() > 86400) {
        return invalid(std::string(key) + ": expected a whole number of seconds, 1 to 86400");
    }
    seconds = value.as_i64();
    return {};
}

// The scalar params: group, policy, dry run and timeouts.
Result<void> read_options(const Map& params, Request& request) {
    if (const Object* group = params.find(param::kGroupName); group != nullptr && !group->is_null()) {
        if (!group->is_buffer() || !is_safe_group_name(group->as_buffer())) {
            return invalid(std::string(param::kGroupName) + ": expected a name without '/' or control characters");
        }
        request.group = std::string(group->as_buffer());
    }
    if (const Object* policy = params.find(param::kFailureHandlingPolicy); policy != nullptr && !policy->is_null()) {
        std::string_view text = policy->is_buffer() ? policy->as_buffer() : "";
        if (text == "ROLLBACK") {
            request.rollback = true;
        } else if (text == "DO_NOTHING") {
            request.rollback = false;
        } else {
            return invalid(std::string(param::kFailureHandlingPolicy) + ": expected ROLLBACK or DO_NOTHING");
        }
    }
    if (const Object* dry = params.find(param::kDryRun); dry != nullptr && !dry->is_null()) {
        if (!dry->is_bool()) {
            return invalid(std::string(param::kDryRun) + ": expected true or false");
        }
        request.dry_run = dry->as_bool();
    }
    if (const Object* timeout = params.find(param::kTimeoutSeconds); timeout != nullptr && !timeout->is_null()) {
        if (auto read = read_seconds(*timeout, param::kTimeoutSeconds, request.timeout_seconds); !read) {
            return read;
        }
    }
    if (const Object* timeout = params.find(param::kConfigurationValidationTimeoutSeconds);
        timeout != nullptr && !timeout->is_null()) {
        if (auto read = read_seconds(*timeout, param::kConfigurationValidationTimeoutSeconds,
                                     request.configuration_validation_timeout_seconds);
            !read) {
            return read;
        }
    }
    return {};
}

} // namespace

Map id_params(std::string_view deployment_id) { return Map{{param::kDeploymentId, std::string(deployment_id)}}; }

Result<Request> Request::from_object(const Map& params, const RequestRules& rules) {
    for (const auto& [key, value] : params) {
        if (!kCreateLocalDeployment.has_param(key)) {
            return invalid("unknown parameter \"" + key + "\"");
        }
    }
    Request request;
    auto recipes = directory_param(params, param::kRecipeDirectoryPath);
    if (!recipes) return std::move(recipes).error();
    request.recipe_directory = std::move(*recipes);
    auto artifacts = directory_param(params, param::kArtifactsDirectoryPath);
    if (!artifacts) return std::move(artifacts).error();
    request.artifacts_directory = std::move(*artifacts);

    using Reader = Result<void> (*)(const Object&, const RequestRules&, Request&);
    const std::pair<const char*, Reader> kReaders[] = {
        {param::kRootComponentVersionsToAdd, read_add},
        {param::kRootComponentVersionsToRemove, read_remove},
        {param::kComponentToConfiguration, read_configuration},
    };
    for (const auto& [key, reader] : kReaders) {
        if (const Object* value = params.find(key); value != nullptr && !value->is_null()) {
            if (auto read = reader(*value, rules, request); !read) {
                return std::move(read).error();
            }
        }
    }
    if (auto read = read_options(params, request); !read) {
        return std::move(read).error();
    }
    if (request.add.empty() && request.remove.empty() && request.configuration.empty()) {
        return invalid(std::string("nothing to deploy: give ") + param::kRootComponentVersionsToAdd + ", " +
                       param::kRootComponentVersionsToRemove + " or " + param::kComponentToConfiguration);
    }
    return request;
}

Map Request::to_object() const {
    Map add_map;
    for (const auto& [name, version] : add) {
        add_map.set(name, version);
    }
    Map object{
        {param::kRootComponentVersionsToAdd, std::move(add_map)},
        {param::kRootComponentVersionsToRemove, List(remove.begin(), remove.end())},
        {param::kGroupName, group},
        {param::kFailureHandlingPolicy, rollback ? "ROLLBACK" : "DO_NOTHING"},
        {param::kDryRun, dry_run},
        {param::kTimeoutSeconds, timeout_seconds},
        {param::kConfigurationValidationTimeoutSeconds, configuration_validation_timeout_seconds},
    };
    if (!recipe_directory.empty()) object.set(param::kRecipeDirectoryPath, recipe_directory);
    if (!artifacts_directory.empty()) object.set(param::kArtifactsDirectoryPath, artifacts_directory);
    if (!configuration.empty()) object.set(param::kComponentToConfiguration, configuration);
    return object;
}

} // namespace deployment

DeploymentClient::DeploymentClient(bus::ClientOptions options)
    : client_(bus::Client::for_service(deployment::kService, options)) {}

Result<Object> DeploymentClient::create_local_deployment(const deployment::Request& request) {
    return client_.call(deployment::kCreateLocalDeployment.name, request.to_object());
}

Result<Object> DeploymentClient::get_deployment_status(std::string_view deployment_id) {
    return client_.call(deployment::kGetDeploymentStatus.name, deployment::id_params(deployment_id));
}

Result<Object> DeploymentClient::list_deployments() { return client_.call(deployment::kListDeployments.name, Map{}); }

Result<Object> DeploymentClient::cancel_deployment(std::string_view deployment_id) {
    return client_.call(deployment::kCancelDeployment.name, deployment::id_params(deployment_id));
}

} // namespace ggl::services
