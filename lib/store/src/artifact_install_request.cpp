// The artifact-installer's request and answer as msgpack-ready maps, both directions.
#include "ggl/artifact_install_request.hpp"

#include "ggl/unix_accounts.hpp"

#include <limits>

namespace ggl::store {

namespace {

Error field_error(std::string_view field, std::string_view wanted) {
    return make_error(ErrorCode::Invalid,
                      "artifact install request: \"" + std::string(field) + "\" must be " + std::string(wanted));
}

Result<std::string> string_in(const Map& map, std::string_view field) {
    const Object* value = map.find(field);
    if (value == nullptr || !value->is_string()) {
        return field_error(field, "a string");
    }
    return value->as_string();
}

Result<uint64_t> count_in(const Map& map, std::string_view field) {
    const Object* value = map.find(field);
    if (value == nullptr || !value->is_i64() || value->as_i64() < 0) {
        return field_error(field, "a non-negative integer");
    }
    return static_cast<uint64_t>(value->as_i64());
}

int64_t as_wire_integer(uint64_t value) {
    return value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                              : static_cast<int64_t>(value);
}

Result<Artifact> artifact_from(const Object& object) {
    const Map* map = object.if_map();
    if (map == nullptr) {
        return field_error("artifacts", "a list of maps");
    }
    Artifact artifact;
    std::string* fields[] = {&artifact.uri,       &artifact.digest,          &artifact.algorithm,
                             &artifact.unarchive, &artifact.read_permission, &artifact.execute_permission};
    const char* names[] = {"uri", "digest", "algorithm", "unarchive", "read", "execute"};
    for (size_t i = 0; i < std::size(names); ++i) {
        auto text = string_in(*map, names[i]);
        if (!text) return std::move(text).error();
        *fields[i] = std::move(*text);
    }
    return artifact;
}

} // namespace

Result<FileOwner> file_owner_of(const std::string& run_with) {
    size_t colon = run_with.find(':');
    std::string user = run_with.substr(0, colon);
    auto account = unix_accounts::lookup_user(user);
    if (!account) {
        return make_error(ErrorCode::Config, "runWith posixUser '" + user + "' does not exist on this device");
    }
    FileOwner owner{account->uid, account->gid};
    if (colon != std::string::npos) {
        std::string group = run_with.substr(colon + 1);
        auto gid = unix_accounts::lookup_gid(group);
        if (!gid) {
            return make_error(ErrorCode::Config, "runWith group '" + group + "' does not exist on this device");
        }
        owner.gid = *gid;
    }
    return owner;
}

Object to_object(const ArtifactInstallRequest& request) {
    List artifacts;
    for (const Artifact& artifact : request.component.artifacts) {
        artifacts.emplace_back(Map{{"uri", artifact.uri},
                                   {"digest", artifact.digest},
                                   {"algorithm", artifact.algorithm},
                                   {"unarchive", artifact.unarchive},
                                   {"read", artifact.read_permission},
                                   {"execute", artifact.execute_permission}});
    }
    const ZipLimits& limits = request.zip_limits;
    Map map{{"root", request.layout.root.string()},
            {"component", request.component.name},
            {"version", request.component.version.to_string()},
            {"source_dir", request.source_dir.string()},
            {"artifacts", std::move(artifacts)},
            {"zip_limits", Map{{"max_total_bytes", as_wire_integer(limits.max_total_bytes)},
                               {"max_entries", as_wire_integer(limits.max_entries)},
                               {"max_ratio", as_wire_integer(limits.max_ratio)}}}};
    if (!request.run_with.empty()) {
        map.set("run_with", request.run_with);
    }
    return map;
}

Result<ArtifactInstallRequest> artifact_install_request_from(const Object& object) {
    const Map* map = object.if_map();
    if (map == nullptr) {
        return make_error(ErrorCode::Invalid, "artifact install request: not a map");
    }
    ArtifactInstallRequest request;
    auto root = string_in(*map, "root");
    if (!root) return std::move(root).error();
    request.layout.root = *root;
    auto name = string_in(*map, "component");
    if (!name) return std::move(name).error();
    request.component.name = *name;
    auto version_text = string_in(*map, "version");
    if (!version_text) return std::move(version_text).error();
    auto version = SemVer::parse(*version_text);
    if (!version) return field_error("version", "a semantic version");
    request.component.version = *version;
    auto source = string_in(*map, "source_dir");
    if (!source) return std::move(source).error();
    request.source_dir = *source;

    const Object* artifacts = map->find("artifacts");
    if (artifacts == nullptr || !artifacts->is_list()) {
        return field_error("artifacts", "a list of maps");
    }
    for (const Object& item : artifacts->as_list()) {
        auto artifact = artifact_from(item);
        if (!artifact) return std::move(artifact).error();
        request.component.artifacts.push_back(std::move(*artifact));
    }

    const Object* limits = map->find("zip_limits");
    if (limits == nullptr || !limits->is_map()) {
        return field_error("zip_limits", "a map");
    }
    ZipLimits& zip = request.zip_limits;
    for (auto [field, target] : {std::pair{"max_total_bytes", &zip.max_total_bytes},
                                 std::pair{"max_entries", &zip.max_entries}, std::pair{"max_ratio", &zip.max_ratio}}) {
        auto value = count_in(limits->as_map(), field);
        if (!value) return std::move(value).error();
        *target = *value;
    }

    if (map->contains("run_with")) {
        auto run_with = string_in(*map, "run_with");
        if (!run_with) return std::move(run_with).error();
        request.run_with = std::move(*run_with);
    }
    return request;
}

Object to_object(const Result<void>& outcome) {
    if (outcome) {
        return Map{};
    }
    return Map{{"error", Map{{"code", std::string(error_code_name(outcome.error().code))},
                             {"message", outcome.error().message}}}};
}

Result<void> artifact_install_outcome_from(const Object& object) {
    const Map* map = object.if_map();
    if (map == nullptr) {
        return make_error(ErrorCode::Failure, "artifact-installer answered with something other than a map");
    }
    const Object* error = map->find("error");
    if (error == nullptr) {
        if (!map->empty()) {
            return make_error(ErrorCode::Failure, "artifact-installer answered with unknown fields");
        }
        return {};
    }
    auto code = error_code_from_name(string_field(*error, "code"));
    std::string message = string_field(*error, "message");
    if (!code || message.empty()) {
        return make_error(ErrorCode::Failure, "artifact-installer answered with a malformed error");
    }
    return make_error(*code, std::move(message));
}

} // namespace ggl::store
