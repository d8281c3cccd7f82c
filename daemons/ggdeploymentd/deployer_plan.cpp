// The plan (make_plan): what a deployment will do, resolved and validated before anything
// changes; and the dynamic validation of the new configuration (validate_configuration).
#include "deployer_steps.hpp"

#include "ggl/artifact_directory.hpp"
#include "ggl/device_settings.hpp"
#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/ipc_policy.hpp"
#include "ggl/log.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/ipc_component.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace ggl::deployment {

namespace fs = std::filesystem;

// The platform manifests are selected for: detected, or GGL_PLATFORM's overrides.
Platform deployment_platform() {
    Platform platform = detect_platform();
    if (const char* spec = std::getenv("GGL_PLATFORM"); spec != nullptr && *spec != '\0') {
        auto overridden = parse_platform_overrides(spec, platform);
        if (overridden) platform = std::move(*overridden);
    }
    return platform;
}

// "/a/b~1c" -> {"a", "b/c"}; "" -> {}.
config::KeyPath pointer_segments(std::string_view pointer) {
    config::KeyPath segments;
    if (pointer.empty()) {
        return segments;
    }
    size_t start = 1;
    while (start <= pointer.size()) {
        size_t slash = pointer.find('/', start);
        std::string_view raw =
            pointer.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        std::string segment;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                segment += raw[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                segment += raw[i];
            }
        }
        segments.push_back(std::move(segment));
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return segments;
}

Map string_map(const std::map<std::string, std::string>& values) {
    Map map;
    for (const auto& [key, value] : values) map.set(key, value);
    return map;
}

namespace {

const config::KeyPath kServices{"services"};

void erase_pointer(Object& tree, const config::KeyPath& segments) {
    if (segments.empty()) {
        tree = Map{};
        return;
    }
    Object* node = &tree;
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
        if (!node->is_map()) return;
        node = node->as_map().find(segments[i]);
        if (node == nullptr) return;
    }
    if (node->is_map()) {
        node->as_map().erase(segments.back());
    }
}

// Recipes in a directory (the deployment's, or the store's): name -> versions.
void index_recipes(const fs::path& directory, bool in_store, CandidateIndex& index,
                   std::map<std::string, std::string>& problems) {
    std::error_code error;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
        std::string extension = entry.path().extension().string();
        if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
        RecipeLoad load = load_recipe_file(path.string());
        std::string stem = path.stem().string();
        if (!load.ok()) {
            problems[stem] = load.describe_problems();
            continue;
        }
        auto recipe = std::make_shared<const Recipe>(std::move(*load.recipe));
        std::string expected = recipe->name + "-" + recipe->version.to_string();
        if (stem != expected) {
            problems[stem] = path.string() + ": the file name does not match the recipe, which is " + recipe->name +
                             " " + recipe->version.to_string() + " (expected " + expected + path.extension().string() +
                             ")";
            continue;
        }
        auto& versions = index[recipe->name];
        bool duplicate = std::any_of(versions.begin(), versions.end(), [&](const Candidate& candidate) {
            return candidate.version() == recipe->version && candidate.in_store == in_store;
        });
        if (!duplicate) {
            versions.push_back(Candidate{recipe, path.string(), in_store});
        }
    }
}

// What is deployed now: the services' and system configuration, the versions installed.
std::optional<Failure> read_deployed(services::ConfigClient& config, Plan& plan) {
    if (auto connected = config.connect(); !connected) {
        return failure_of("", "validate", "cannot reach ggconfigd: " + connected.error().message);
    }
    auto services = config.read_optional(kServices);
    auto system = config.read_optional({"system"});
    if (!services || !system) {
        return failure_of("", "validate", (!services ? services.error() : system.error()).message);
    }
    if (*services && (*services)->is_map()) plan.services = **services;
    if (*system && (*system)->is_map()) plan.system = **system;

    for (const auto& [name, node] : plan.services.as_map()) {
        const Map* map = node.if_map();
        const Object* version = map ? map->find("version") : nullptr;
        if (version != nullptr && version->is_buffer() && !is_builtin_component(name) && name != kDeploymentService) {
            plan.installed[name] = std::string(version->as_buffer());
        }
    }
    return std::nullopt;
}

// The groups' root components, with this deployment's group changed.
std::optional<Failure> change_group_roots(const Request& request, Plan& plan) {
    if (const Map* services_map = plan.services.if_map()) {
        const Object* deployment = services_map->find(kDeploymentService);
        const Object* groups =
            deployment && deployment->is_map() ? deployment->as_map().find("GroupToRootComponents") : nullptr;
        if (groups != nullptr && groups->is_map()) {
            for (const auto& [group, roots] : groups->as_map()) {
                if (!roots.is_map()) continue;
                for (const auto& [component, entry] : roots.as_map()) {
                    const Object* version = entry.is_map() ? entry.as_map().find("version") : &entry;
                    if (version != nullptr && version->is_buffer()) {
                        plan.groups[group][component] = std::string(version->as_buffer());
                    }
                }
            }
        }
    }
    auto& roots = plan.groups[request.group];
    for (const std::string& name : request.remove) {
        if (roots.erase(name) == 0) {
            return failure_of(name, "validate",
                              "is not a root component of group " + request.group +
                                  ", so it cannot be removed from it");
        }
    }
    for (const auto& [name, version] : request.add) {
        roots[name] = version;
    }
    if (roots.empty()) {
        plan.groups.erase(request.group);
    }
    for (const auto& [name, update] : request.configuration) {
        bool deployed = plan.installed.count(name) != 0 || request.add.count(name) != 0;
        if (!deployed) {
            return failure_of(name, "validate",
                              "configuration given for a component that is neither "
                              "deployed nor being added");
        }
    }
    return std::nullopt;
}

// Candidates: this deployment's recipes, then the store's; the versions that satisfy every group.
std::optional<Failure> resolve_components(const Request& request, const std::string& root_dir, Plan& plan,
                                          Resolution& resolved) {
    plan.layout = store::StoreLayout{root_dir};
    std::map<std::string, std::string> problems;
    if (!request.recipe_directory.empty()) {
        if (!fs::is_directory(request.recipe_directory)) {
            return failure_of("", "validate", "recipe directory " + request.recipe_directory + " does not exist");
        }
        index_recipes(request.recipe_directory, false, plan.candidates, problems);
    }
    index_recipes(plan.layout.recipes_dir(), true, plan.candidates, problems);

    auto resolution = resolve(plan.groups, plan.candidates);
    if (!resolution) {
        std::string reason = resolution.error().message;
        for (const auto& [stem, problem] : problems) {
            reason += "\n" + problem;
        }
        return failure_of("", "resolve", reason);
    }
    // A recipe the deployment needs and could not read is an error even when another
    // version satisfied the requirement: the operator gave it for a reason.
    for (const auto& [stem, problem] : problems) {
        for (const auto& [name, version] : request.add) {
            if (stem == name + "-" + version) {
                return failure_of(name, "validate", problem);
            }
        }
    }
    resolved = std::move(*resolution);
    return std::nullopt;
}

// Configuration: what is stored (kept across versions), RESET, defaults, MERGE.
std::optional<Failure> plan_configuration(const Request& request, const Plan& plan, const DeviceSettings& settings,
                                          Plan::Component& component) {
    Object configuration = Map{};
    if (component.previous_version) {
        const Object* stored = plan.services.as_map().find(component.name);
        const Object* stored_configuration =
            stored && stored->is_map() ? stored->as_map().find("configuration") : nullptr;
        if (stored_configuration != nullptr && stored_configuration->is_map()) configuration = *stored_configuration;
    }
    const Object stored_configuration = configuration;
    const Object* update = request.configuration.find(component.name);
    if (update != nullptr) {
        component.reconfigured = true;
        if (const Object* reset = update->as_map().find("RESET")) {
            for (const Object& pointer : reset->as_list()) {
                erase_pointer(configuration, pointer_segments(pointer.as_buffer()));
            }
        }
    }
    Object defaults = component.recipe->default_configuration;
    merge_configuration(defaults, configuration);
    configuration = std::move(defaults);
    if (update != nullptr) {
        if (const Object* merge = update->as_map().find("MERGE")) merge_configuration(configuration, *merge);
    }
    component.configuration_changed = component.previous_version && !(configuration == stored_configuration);
    // Malformed IPC policies fail here, before anything changes, rather than in ggipcd later.
    if (const Map* configuration_map = configuration.if_map()) {
        for (const auto& [key, access_control] : *configuration_map) {
            if (strcasecmp(key.c_str(), "accessControl") != 0) continue;
            ipc_policy::Variables variables;
            variables.thing_name = settings.thing_name;
            auto policies = ipc_policy::ComponentPolicies::parse(component.name, access_control, variables);
            if (!policies) {
                return failure_of(component.name, "validate", policies.error().message);
            }
        }
    }
    component.configuration = configuration;
    return std::nullopt;
}

// The component's units, and whether they differ from those in unit_dir.
std::optional<Failure> plan_units(const std::string& unit_dir, const DeviceSettings& settings, bool user_scope,
                                  Plan::Component& component) {
    UnitOptions unit_options =
        device_unit_options(settings, {"GGL_CONFIG_DIR", "GGL_CONFIG_DB", "GGL_LOG_LEVEL", "GGL_PLATFORM"});
    if (user_scope) {
        unit_options.posix_user.clear(); // a user manager runs everything as its user
    }
    unit_options.configuration = component.configuration;
    if (const char* spec = std::getenv("GGL_PLATFORM"); spec != nullptr && *spec != '\0') {
        unit_options.platform_override = spec;
    }
    auto units = generate_units(*component.recipe, *component.manifest, unit_options);
    if (!units) {
        return failure_of(component.name, "validate", units.error().message);
    }
    component.units = std::move(*units);
    for (const UnitFile& unit : component.units) {
        auto existing = file::read(unit_dir + "/" + unit.name);
        if (!existing || *existing != unit.text) component.units_changed = true;
    }
    return std::nullopt;
}

// Artifacts must be at hand before anything changes, and the directory they are in
// (copied whole, as the Greengrass CLI does) fit to copy.
std::optional<Failure> check_artifacts(const Request& request, Plan::Component& component) {
    if (!component.in_store && !request.artifacts_directory.empty()) {
        fs::path directory = fs::path(request.artifacts_directory) / component.name / component.version;
        auto copied = store::scan_artifact_directory(directory, component.manifest->artifacts);
        if (!copied) {
            return failure_of(component.name, "artifacts", copied.error().message);
        }
        if (fs::is_directory(directory)) {
            component.artifact_directory = directory.string();
            component.artifact_files =
                static_cast<int64_t>(component.manifest->artifacts.size()) +
                std::count_if(copied->begin(), copied->end(), [](const auto& entry) { return !entry.directory; });
        }
    }
    if (!component.in_store && !component.manifest->artifacts.empty()) {
        if (request.artifacts_directory.empty()) {
            return failure_of(component.name, "artifacts",
                              "the recipe has artifacts but the deployment gives no artifacts directory");
        }
        for (const Artifact& artifact : component.manifest->artifacts) {
            auto file_name = store::artifact_file_name(artifact);
            if (!file_name) {
                return failure_of(component.name, "artifacts", file_name.error().message);
            }
            fs::path source = fs::path(request.artifacts_directory) / component.name / component.version / *file_name;
            if (!fs::is_regular_file(source)) {
                return failure_of(component.name, "artifacts", "artifact " + source.string() + " not found");
            }
        }
    }
    return std::nullopt;
}

// Each resolved component: its recipe, manifest, configuration, units and artifacts.
std::optional<Failure> plan_components(const Request& request, const std::string& unit_dir,
                                       const Resolution& resolution, Plan& plan) {
    Platform platform = deployment_platform();
    // The configuration tree as it will be, for generating units.
    Object predicted_services = plan.services;
    DeviceSettings settings = device_settings_from_tree(Map{{"system", plan.system}, {"services", predicted_services}});
    bool user_scope = env::systemd_scope() == env::SystemdScope::User;
    plan.component_user = user_scope ? "" : settings.posix_user;

    for (const ResolvedComponent& resolved : resolution) {
        const Candidate& candidate = *resolved.candidate;
        Plan::Component component;
        component.name = candidate.name();
        component.version = candidate.version().to_string();
        component.recipe = candidate.recipe;
        component.recipe_path = candidate.recipe_path;
        component.in_store = candidate.in_store;
        component.required_by = resolved.required_by;
        if (auto it = plan.installed.find(component.name); it != plan.installed.end()) {
            component.previous_version = it->second;
        }
        auto manifest = select_manifest(*component.recipe, platform);
        if (!manifest) {
            return failure_of(component.name, "validate", manifest.error().message);
        }
        component.manifest = *manifest;
        std::optional<Failure> failure = plan_configuration(request, plan, settings, component);
        if (!failure) failure = plan_units(unit_dir, settings, user_scope, component);
        if (!failure) failure = check_artifacts(request, component);
        if (failure) return failure;
        plan.components.push_back(std::move(component));
    }
    return std::nullopt;
}

// What was installed and is no longer needed.
void find_removed(Plan& plan) {
    std::set<std::string> kept;
    for (const auto& component : plan.components) kept.insert(component.name);
    for (const auto& [name, version] : plan.installed) {
        if (!kept.count(name)) plan.removed[name] = version;
    }
}

// The plan, as the record and `ggl deploy --dry-run` show it.
Map plan_object(const Request& request, const Plan& plan) {
    List components;
    List units;
    for (const auto& component : plan.components) {
        std::string action = !component.previous_version   ? "add"
                             : component.version_changed() ? "update"
                             : component.needs_restart()   ? "restart"
                                                           : "keep";
        Map entry{{"component_name", component.name}, {"version", component.version}, {"action", action}};
        if (component.previous_version) entry.set("previous_version", *component.previous_version);
        if (!component.artifact_directory.empty()) {
            entry.set("artifact_directory", component.artifact_directory);
            entry.set("artifact_files", component.artifact_files);
        }
        List required_by;
        for (const auto& origin : component.required_by) required_by.emplace_back(origin);
        entry.set("required_by", std::move(required_by));
        components.emplace_back(std::move(entry));
        if (component.units_changed) {
            for (const UnitFile& unit : component.units) units.emplace_back(unit.name);
        }
    }
    List removed;
    for (const auto& [name, version] : plan.removed) {
        removed.emplace_back(Map{{"component_name", name}, {"version", version}});
    }
    Map groups;
    for (const auto& [group, group_roots] : plan.groups) groups.set(group, string_map(group_roots));
    return Map{{"components", std::move(components)},
               {"removed", std::move(removed)},
               {"configuration", request.configuration},
               {"units", std::move(units)},
               {"groups", std::move(groups)}};
}

// "plan: NAME VERSION[ (unchanged)], ..., remove NAME VERSION, ...".
std::string plan_summary(const Plan& plan) {
    std::string summary = "plan: ";
    for (const auto& component : plan.components) {
        summary += component.name + " " + component.version + (component.needs_restart() ? "" : " (unchanged)") + ", ";
    }
    for (const auto& [name, version] : plan.removed) summary += "remove " + name + " " + version + ", ";
    summary.resize(summary.size() - 2);
    return summary;
}

} // namespace

bool Deployer::make_plan(Record& record, Plan& plan) {
    const Request& request = record.request;
    progress_(record, "validating");
    services::ConfigClient config;
    Resolution resolution;
    std::optional<Failure> failure = read_deployed(config, plan);
    if (!failure) failure = change_group_roots(request, plan);
    if (!failure) failure = resolve_components(request, options_.root_dir, plan, resolution);
    if (!failure) failure = plan_components(request, options_.unit_dir, resolution, plan);
    if (failure) {
        fail(record, std::move(*failure));
        return false;
    }
    find_removed(plan);
    record.plan = plan_object(request, plan);
    progress_(record, plan_summary(plan));
    return true;
}

// Greengrass's dynamic configuration validation: each deployed component whose
// configuration changes may have subscribed (SubscribeToValidateConfigurationUpdates) to
// see it first. ggipcd forwards the proposal and answers with the component's report;
// all are asked at once (pipelined on one connection), so the wait is the slowest
// answer. A rejection fails the deployment before anything changes; no answer in time,
// or no ggipcd at all, lets it proceed, as on Greengrass.
bool Deployer::validate_configuration(Record& record, const Plan& plan) {
    bool any_changed = std::any_of(plan.components.begin(), plan.components.end(),
                                   [](const Plan::Component& component) { return component.configuration_changed; });
    if (!any_changed) return true;
    auto timeout = std::chrono::seconds(record.request.configuration_validation_timeout_seconds);
    namespace contract = services::ipc_component;
    services::IpcComponentClient client(bus::ClientOptions{std::chrono::seconds(5), 0});
    bus::Client& ipc = client.bus();
    if (auto connected = ipc.connect(); !connected) {
        GGL_LOGI("deployment %s: ggipcd is not running (%s): no component can validate its configuration",
                 record.id.c_str(), connected.error().message.c_str());
        return true;
    }
    std::map<uint64_t, std::string> asked;
    std::string list;
    for (const auto& component : plan.components) {
        if (!component.configuration_changed) continue;
        auto id = ipc.send(bus::Op::Call, contract::kValidateConfiguration.name,
                           contract::validate_configuration_params(component.name, record.id, component.configuration,
                                                                   static_cast<int64_t>(timeout.count()) * 1000));
        if (!id) {
            progress_(record, "cannot ask ggipcd to validate configuration (" + id.error().message + "); proceeding");
            return true;
        }
        asked[*id] = component.name;
        list += (list.empty() ? "" : ", ") + component.name;
    }
    progress_(record, "offering the new configuration of " + list + " to validation subscribers, if any");
    // ggipcd answers each call by the timeout; the margin covers a busy ggipcd.
    auto deadline = Clock::now() + timeout + std::chrono::seconds(10);
    while (!asked.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        auto reply = ipc.receive(std::max(left, std::chrono::milliseconds(1)));
        if (!reply && reply.error().code == ErrorCode::Retry) continue;
        if (!reply) {
            progress_(record, "no answer from ggipcd about configuration validation (" + reply.error().message +
                                  "); proceeding");
            return true;
        }
        auto it = asked.find(reply->id);
        if (it == asked.end()) continue;
        std::string name = it->second;
        asked.erase(it);
        if (reply->kind != bus::ReplyKind::Result) {
            progress_(record,
                      name + ": configuration validation failed in ggipcd (" + reply->error.message + "); proceeding");
            continue;
        }
        std::string status = string_field(reply->value, contract::result::kStatus);
        std::string message = string_field(reply->value, contract::result::kMessage);
        if (status == contract::verdict::kRejected) {
            fail(record, failure_of(name, "validate",
                                    "the component rejected its new configuration" +
                                        (message.empty() ? std::string() : ": " + message)));
            return false;
        }
        if (status == contract::verdict::kAccepted) {
            progress_(record, name + " accepted its new configuration" + (message.empty() ? "" : ": " + message));
        } else if (status == contract::verdict::kTimedOut) {
            progress_(record, name + " did not report on its new configuration within " +
                                  std::to_string(timeout.count()) + " s; proceeding");
        }
    }
    return true;
}

} // namespace ggl::deployment
