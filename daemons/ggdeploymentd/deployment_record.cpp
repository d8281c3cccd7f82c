// Deployment records: (de)serialization and their files; requests checked by their contract.
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

Error invalid(std::string message) { return make_error(ErrorCode::Invalid, std::move(message)); }

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

// SemVer's message for a version that is not one (the request's rules).
Result<void> semver_check(std::string_view version) {
    auto parsed = SemVer::parse(version);
    if (!parsed) {
        return std::move(parsed).error();
    }
    return {};
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

bool is_final(State state) { return state != State::Queued && state != State::InProgress; }

Result<Request> parse_request(const Map& params) {
    static const services::deployment::RequestRules kRules{is_valid_component_name, semver_check};
    return Request::from_object(params, kRules);
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
    Map object{{"deployment_id", id},         {"state", std::string(state_name(state))},
               {"group_name", request.group}, {"created", created_ms},
               {"updated", updated_ms},       {"components", std::move(components)},
               {"dry_run", request.dry_run}};
    if (!phase.empty()) object.set("phase", phase);
    if (failure) {
        std::string reason = failure->component.empty()
                                 ? failure->reason
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
    auto parsed = parse_request(request->as_map());
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

void fill_random(unsigned char* bytes, size_t size) {
    size_t filled = 0;
    while (filled < size) {
        ssize_t got = ::getrandom(bytes + filled, size - filled, 0);
        if (got > 0) {
            filled += static_cast<size_t>(got);
        }
    }
}

std::string new_deployment_id() {
    unsigned char bytes[16];
    fill_random(bytes, sizeof bytes);
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

fs::path RecordStore::snapshot_dir(const std::string& id) const { return directory_ / (id + ".units"); }

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
