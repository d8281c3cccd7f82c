// Deployment records: request validation, (de)serialization and their files.
#include "deployment_record.hpp"

#include "ggl/file.hpp"
#include "ggl/json.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"

#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace ggl::deployment {
namespace {

namespace fs = std::filesystem;

constexpr std::pair<State, std::string_view> kStateNames[] = {
    {State::Queued, "QUEUED"},
    {State::InProgress, "IN_PROGRESS"},
    {State::Succeeded, "SUCCEEDED"},
    {State::FailedNoStateChange, "FAILED_NO_STATE_CHANGE"},
    {State::FailedRollbackComplete, "FAILED_ROLLBACK_COMPLETE"},
    {State::FailedRollbackNotRequested, "FAILED_ROLLBACK_NOT_REQUESTED"},
    {State::FailedUnableToRollback, "FAILED_UNABLE_TO_ROLLBACK"},
    {State::Canceled, "CANCELED"},
};

Error invalid(std::string message) {
    return make_error(ErrorCode::Invalid, std::move(message));
}

List string_list(const std::vector<std::string>& strings) {
    List list;
    for (const std::string& text : strings) {
        list.emplace_back(text);
    }
    return list;
}

std::vector<std::string> strings_of(const Map& map, std::string_view key) {
    std::vector<std::string> strings;
    if (const Object* value = map.find(key); value != nullptr && value->is_list()) {
        for (const Object& item : value->as_list()) {
            if (item.is_buffer()) {
                strings.emplace_back(item.as_buffer());
            }
        }
    }
    return strings;
}

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

} // namespace

std::string_view state_name(State state) {
    for (const auto& [value, name] : kStateNames) {
        if (value == state) {
            return name;
        }
    }
    return "UNKNOWN";
}

std::optional<State> state_from_name(std::string_view name) {
    for (const auto& [value, text] : kStateNames) {
        if (text == name) {
            return value;
        }
    }
    return std::nullopt;
}

bool is_final(State state) {
    return state != State::Queued && state != State::InProgress;
}

Result<Request> Request::from_params(const Map& params) {
    static const std::string_view kKnown[] = {
        "recipe_directory_path", "artifacts_directory_path", "root_component_versions_to_add",
        "root_component_versions_to_remove", "component_to_configuration", "group_name",
        "failure_handling_policy", "dry_run", "timeout_seconds", "configuration_validation_timeout_seconds"};
    for (const auto& [key, value] : params) {
        if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
            return invalid("unknown parameter \"" + key + "\"");
        }
    }
    Request request;
    auto recipes = directory_param(params, "recipe_directory_path");
    if (!recipes) return std::move(recipes).error();
    request.recipe_directory = std::move(*recipes);
    auto artifacts = directory_param(params, "artifacts_directory_path");
    if (!artifacts) return std::move(artifacts).error();
    request.artifacts_directory = std::move(*artifacts);

    if (const Object* add = params.find("root_component_versions_to_add"); add != nullptr && !add->is_null()) {
        if (!add->is_map()) {
            return invalid("root_component_versions_to_add: expected a map of component name to version");
        }
        for (const auto& [name, version] : add->as_map()) {
            if (!is_valid_component_name(name)) {
                return invalid("root_component_versions_to_add: \"" + name + "\" is not a valid component name");
            }
            if (!version.is_buffer()) {
                return invalid("root_component_versions_to_add." + name + ": expected a version string");
            }
            if (auto parsed = SemVer::parse(version.as_buffer()); !parsed) {
                return invalid("root_component_versions_to_add." + name + ": \"" + std::string(version.as_buffer()) +
                               "\" is not a SemVer 2.0 version: " + parsed.error().message);
            }
            request.add[name] = std::string(version.as_buffer());
        }
    }
    if (const Object* remove = params.find("root_component_versions_to_remove");
        remove != nullptr && !remove->is_null()) {
        if (!remove->is_list()) {
            return invalid("root_component_versions_to_remove: expected a list of component names");
        }
        for (const Object& name : remove->as_list()) {
            if (!name.is_buffer() || !is_valid_component_name(name.as_buffer())) {
                return invalid("root_component_versions_to_remove: expected component names");
            }
            std::string text(name.as_buffer());
            if (request.add.count(text)) {
                return invalid("component " + text + " is both added and removed");
            }
            request.remove.push_back(std::move(text));
        }
    }
    if (const Object* configuration = params.find("component_to_configuration");
        configuration != nullptr && !configuration->is_null()) {
        if (!configuration->is_map()) {
            return invalid("component_to_configuration: expected a map of component name to {MERGE, RESET}");
        }
        for (const auto& [name, update] : configuration->as_map()) {
            std::string where = "component_to_configuration." + name;
            if (!is_valid_component_name(name)) {
                return invalid(where + ": not a valid component name");
            }
            if (!update.is_map()) {
                return invalid(where + ": expected a map with MERGE and/or RESET");
            }
            for (const auto& [key, value] : update.as_map()) {
                if (key == "MERGE") {
                    if (!value.is_map()) {
                        return invalid(where + ".MERGE: expected a map");
                    }
                } else if (key == "RESET") {
                    if (!value.is_list()) {
                        return invalid(where + ".RESET: expected a list of JSON pointers");
                    }
                    for (const Object& pointer : value.as_list()) {
                        if (!pointer.is_buffer() ||
                            (!pointer.as_buffer().empty() && pointer.as_buffer().front() != '/')) {
                            return invalid(where + ".RESET: expected JSON pointers (\"\" or \"/a/b\")");
                        }
                    }
                } else {
                    return invalid(where + ": unknown key \"" + key + "\" (expected MERGE or RESET)");
                }
            }
        }
        request.configuration = configuration->as_map();
    }
    if (const Object* group = params.find("group_name"); group != nullptr && !group->is_null()) {
        if (!group->is_buffer() || !is_safe_group_name(group->as_buffer())) {
            return invalid("group_name: expected a name without '/' or control characters");
        }
        request.group = std::string(group->as_buffer());
    }
    if (const Object* policy = params.find("failure_handling_policy"); policy != nullptr && !policy->is_null()) {
        std::string_view text = policy->is_buffer() ? policy->as_buffer() : "";
        if (text == "ROLLBACK") {
            request.rollback = true;
        } else if (text == "DO_NOTHING") {
            request.rollback = false;
        } else {
            return invalid("failure_handling_policy: expected ROLLBACK or DO_NOTHING");
        }
    }
    if (const Object* dry = params.find("dry_run"); dry != nullptr && !dry->is_null()) {
        if (!dry->is_bool()) {
            return invalid("dry_run: expected true or false");
        }
        request.dry_run = dry->as_bool();
    }
    if (const Object* timeout = params.find("timeout_seconds"); timeout != nullptr && !timeout->is_null()) {
        if (!timeout->is_i64() || timeout->as_i64() <= 0 || timeout->as_i64() > 86400) {
            return invalid("timeout_seconds: expected a whole number of seconds, 1 to 86400");
        }
        request.timeout_seconds = timeout->as_i64();
    }
    if (const Object* timeout = params.find("configuration_validation_timeout_seconds");
        timeout != nullptr && !timeout->is_null()) {
        if (!timeout->is_i64() || timeout->as_i64() <= 0 || timeout->as_i64() > 86400) {
            return invalid("configuration_validation_timeout_seconds: expected a whole number of seconds, 1 to 86400");
        }
        request.configuration_validation_timeout_seconds = timeout->as_i64();
    }
    if (request.add.empty() && request.remove.empty() && request.configuration.empty()) {
        return invalid("nothing to deploy: give root_component_versions_to_add, "
                       "root_component_versions_to_remove or component_to_configuration");
    }
    return request;
}

Map Request::to_object() const {
    Map add_map;
    for (const auto& [name, version] : add) {
        add_map.set(name, version);
    }
    Map object{
        {"root_component_versions_to_add", std::move(add_map)},
        {"root_component_versions_to_remove", string_list(remove)},
        {"group_name", group},
        {"failure_handling_policy", rollback ? "ROLLBACK" : "DO_NOTHING"},
        {"dry_run", dry_run},
        {"timeout_seconds", timeout_seconds},
        {"configuration_validation_timeout_seconds", configuration_validation_timeout_seconds},
    };
    if (!recipe_directory.empty()) object.set("recipe_directory_path", recipe_directory);
    if (!artifacts_directory.empty()) object.set("artifacts_directory_path", artifacts_directory);
    if (!configuration.empty()) object.set("component_to_configuration", configuration);
    return object;
}

Map Failure::to_object() const {
    Map object{{"component", component}, {"phase", phase}, {"reason", reason}};
    if (exit_status) {
        object.set("exit_status", *exit_status);
    }
    object.set("journal", string_list(journal));
    return object;
}

Failure Failure::from_object(const Object& object) {
    Failure failure;
    if (const Map* map = object.if_map()) {
        failure.component = string_field(*map, "component");
        failure.phase = string_field(*map, "phase");
        failure.reason = string_field(*map, "reason");
        if (const Object* status = map->find("exit_status"); status != nullptr && status->is_i64()) {
            failure.exit_status = status->as_i64();
        }
        failure.journal = strings_of(*map, "journal");
    }
    return failure;
}

Map Record::summary() const {
    List components;
    for (const auto& [name, version] : request.add) {
        components.emplace_back(name + "=" + version);
    }
    for (const std::string& name : request.remove) {
        components.emplace_back("-" + name);
    }
    Map object{{"deployment_id", id},
               {"state", std::string(state_name(state))},
               {"group_name", request.group},
               {"created", created_ms},
               {"updated", updated_ms},
               {"components", std::move(components)},
               {"dry_run", request.dry_run}};
    if (!phase.empty()) object.set("phase", phase);
    if (failure) {
        std::string reason = failure->component.empty() ? failure->reason
                                                        : failure->component + " (" + failure->phase + "): " + failure->reason;
        object.set("reason", reason);
    }
    return object;
}

Map Record::to_object() const {
    Map object = summary();
    object.set("sequence", static_cast<int64_t>(sequence));
    object.set("request", request.to_object());
    object.set("steps", steps);
    if (failure) object.set("failure", failure->to_object());
    if (rollback_failure) object.set("rollback_failure", rollback_failure->to_object());
    if (!plan.is_null()) object.set("plan", plan);
    object.set("changes_started", changes_started);
    object.set("previous_versions", previous_versions);
    object.set("touched", string_list(touched));
    object.set("added_to_store", string_list(added_to_store));
    if (!boot_id.empty()) object.set("boot_id", boot_id);
    if (!resume.is_null()) object.set("resume", resume);
    return object;
}

Result<Record> Record::from_object(const Object& object) {
    const Map* map = object.if_map();
    if (map == nullptr) {
        return invalid("a deployment record must be a JSON object");
    }
    Record record;
    record.id = string_field(*map, "deployment_id");
    if (!is_valid_deployment_id(record.id)) {
        return invalid("deployment_id missing or malformed");
    }
    auto state = state_from_name(string_field(*map, "state"));
    if (!state) {
        return invalid("state missing or unknown");
    }
    record.state = *state;
    record.created_ms = int_field(*map, "created");
    record.updated_ms = int_field(*map, "updated");
    record.sequence = static_cast<uint64_t>(int_field(*map, "sequence"));
    const Object* request = map->find("request");
    if (request == nullptr || !request->is_map()) {
        return invalid("request missing");
    }
    auto parsed = Request::from_params(request->as_map());
    if (!parsed) {
        return invalid("request: " + parsed.error().message);
    }
    record.request = std::move(*parsed);
    if (const Object* steps = map->find("steps"); steps != nullptr && steps->is_list()) {
        record.steps = steps->as_list();
    }
    if (const Object* failure = map->find("failure")) record.failure = Failure::from_object(*failure);
    if (const Object* failure = map->find("rollback_failure")) record.rollback_failure = Failure::from_object(*failure);
    if (const Object* plan = map->find("plan")) record.plan = *plan;
    record.changes_started = bool_field(*map, "changes_started");
    if (const Object* previous = map->find("previous_versions"); previous != nullptr && previous->is_map()) {
        record.previous_versions = previous->as_map();
    }
    record.touched = strings_of(*map, "touched");
    record.added_to_store = strings_of(*map, "added_to_store");
    record.phase = string_field(*map, "phase");
    record.boot_id = string_field(*map, "boot_id");
    if (const Object* resume = map->find("resume")) record.resume = *resume;
    return record;
}

std::string new_deployment_id() {
    unsigned char bytes[16];
    size_t filled = 0;
    while (filled < sizeof bytes) {
        ssize_t got = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
        if (got > 0) {
            filled += static_cast<size_t>(got);
        }
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                  bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
                  bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
    return text;
}

bool is_valid_deployment_id(std::string_view id) {
    if (id.size() != 36) {
        return false;
    }
    for (size_t i = 0; i < id.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = id[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

RecordStore::RecordStore(fs::path directory) : directory_(std::move(directory)) {}

Result<void> RecordStore::prepare() {
    std::error_code error;
    fs::create_directories(directory_, error);
    if (error) {
        return make_error(ErrorCode::Failure, directory_.string() + ": " + error.message());
    }
    return {};
}

fs::path RecordStore::snapshot_dir(const std::string& id) const {
    return directory_ / (id + ".units");
}

Result<void> RecordStore::save(const Record& record) const {
    std::string text = to_json(record.to_object(), JsonStyle::Pretty) + "\n";
    return file::write_atomically((directory_ / (record.id + ".json")).string(), text, 0640);
}

std::vector<Record> RecordStore::load_all(std::vector<std::string>& problems) const {
    std::vector<Record> records;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(directory_, error)) {
        fs::path path = entry.path();
        if (path.extension() != ".json" || !is_valid_deployment_id(path.stem().string())) {
            continue;
        }
        auto text = file::read(path.string());
        if (!text) {
            problems.push_back(text.error().message);
            continue;
        }
        auto object = from_json(*text);
        if (!object) {
            problems.push_back(path.string() + ": " + object.error().message);
            continue;
        }
        auto record = Record::from_object(*object);
        if (!record) {
            problems.push_back(path.string() + ": " + record.error().message);
            continue;
        }
        records.push_back(std::move(*record));
    }
    if (error) {
        problems.push_back(directory_.string() + ": " + error.message());
    }
    return records;
}

} // namespace ggl::deployment
