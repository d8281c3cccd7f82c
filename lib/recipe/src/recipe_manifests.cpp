// Manifest selection in a recipe: each manifest's platform, artifacts, and lifecycle (its own, or the global one through its selections).
#include "recipe_loader.hpp"

#include "ggl/json.hpp"
#include "ggl/platform.hpp"
#include "ggl/text.hpp"
#include "ggl/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ggl::recipe_detail {

void Loader::load_manifests(Fields& fields, const Object* global_lifecycle, const std::string& global_path,
                            Recipe& recipe) {
    const Object* manifests = fields.get("Manifests");
    bool has_global = global_lifecycle != nullptr && !global_lifecycle->is_null();
    if (has_global && !global_lifecycle->is_map() &&
        !(global_lifecycle->is_list() &&
          std::all_of(global_lifecycle->as_list().begin(), global_lifecycle->as_list().end(),
                      [](const Object& part) { return part.is_map(); }))) {
        problem(global_path, "expected a map (or a list of maps keyed by selection)");
        has_global = false;
    }
    if (manifests == nullptr || manifests->is_null() || (manifests->is_list() && manifests->as_list().empty())) {
        // A recipe with only a global Lifecycle runs on every platform, as with the Java nucleus.
        Manifest manifest;
        if (has_global) {
            manifest.lifecycle = load_global_lifecycle(*global_lifecycle, {"all"}, global_path);
            manifest.lifecycle_from_global = true;
        }
        recipe.manifests.push_back(std::move(manifest));
        return;
    }
    std::string path = fields.path_of("Manifests");
    if (!manifests->is_list()) {
        problem(path, "expected a list of manifests");
        return;
    }
    size_t index = 0;
    for (const Object& item : manifests->as_list()) {
        std::string item_path = path_index(path, index++);
        if (!item.is_map()) {
            problem(item_path, "expected a map");
            continue;
        }
        Fields manifest_fields(item.as_map(), item_path, *this);
        Manifest manifest;
        manifest.name = string_field(manifest_fields, "Name", false).value_or("");
        if (const Object* platform = manifest_fields.get("Platform"); platform && !platform->is_null()) {
            load_platform(*platform, manifest_fields.path_of("Platform"), manifest);
        }
        if (const Object* selections = manifest_fields.get("Selections"); selections && !selections->is_null()) {
            std::string selections_path = manifest_fields.path_of("Selections");
            if (!selections->is_list()) {
                problem(selections_path, "expected a list of selection keys");
            } else {
                size_t selection_index = 0;
                for (const Object& key : selections->as_list()) {
                    if (auto text = scalar_text(key)) {
                        manifest.selections.push_back(*text);
                    } else {
                        problem(path_index(selections_path, selection_index), "expected a string");
                    }
                    ++selection_index;
                }
            }
        }
        const Object* lifecycle = manifest_fields.get("Lifecycle");
        // "Lifecycle: {}" next to Selections means "use the global one" in nucleus lite's examples.
        bool empty_lifecycle = lifecycle != nullptr && lifecycle->is_map() && lifecycle->as_map().empty();
        if (lifecycle != nullptr && !lifecycle->is_null() && !(empty_lifecycle && has_global)) {
            manifest.lifecycle = load_lifecycle(*lifecycle, manifest_fields.path_of("Lifecycle"));
        } else if (has_global) {
            std::vector<std::string> selections = manifest.selections;
            if (selections.empty()) {
                selections.push_back("all");
            }
            manifest.lifecycle = load_global_lifecycle(*global_lifecycle, selections, global_path);
            manifest.lifecycle_from_global = true;
        }
        if (const Object* artifacts = manifest_fields.get("Artifacts"); artifacts && !artifacts->is_null()) {
            load_artifacts(*artifacts, manifest_fields.path_of("Artifacts"), manifest);
        }
        manifest_fields.report_unread(false, "manifest key");
        recipe.manifests.push_back(std::move(manifest));
    }
}

Lifecycle Loader::load_global_lifecycle(const Object& global, const std::vector<std::string>& selections,
                                        const std::string& global_path) {
    Object resolved = resolve_selections(global, selections, global_path, global_path);
    Lifecycle lifecycle = load_lifecycle(resolved, global_path);
    resolved_paths_.clear();
    return lifecycle;
}

// The global Lifecycle seen through a manifest's selection keys: wherever a map holds
// one of the keys, that key's content stands in for the map (first listed key wins).
// Remembers where in the file each resolved node came from, for problems found in it.
Object Loader::resolve_selections(const Object& node, const std::vector<std::string>& selections,
                                  const std::string& logical_path, const std::string& real_path) {
    resolved_paths_[logical_path] = real_path;
    struct Entry {
        const std::string& key;
        const Object& value;
        std::string real_path;
    };
    std::vector<Entry> entries;
    if (const List* parts = node.if_list()) {
        // Nucleus lite's documented form: "Lifecycle: [{linux: {...}}, {windows: {...}}]".
        for (size_t i = 0; i < parts->size(); ++i) {
            if (const Map* map = (*parts)[i].if_map()) {
                for (const auto& [key, value] : *map) {
                    entries.push_back({key, value, path_join(path_index(real_path, i), key)});
                }
            }
        }
    } else if (const Map* map = node.if_map()) {
        for (const auto& [key, value] : *map) {
            entries.push_back({key, value, path_join(real_path, key)});
        }
    } else {
        return node;
    }
    for (const std::string& selection : selections) {
        for (const Entry& entry : entries) {
            if (ascii_iequals(entry.key, selection) && !phase_from_name(entry.key) &&
                !ascii_iequals(entry.key, "setenv")) {
                return resolve_selections(entry.value, selections, logical_path, entry.real_path);
            }
        }
    }
    Map resolved;
    for (const Entry& entry : entries) {
        resolved.append(entry.key, resolve_selections(entry.value, selections, path_join(logical_path, entry.key),
                                                      entry.real_path));
    }
    return resolved;
}

void Loader::load_platform(const Object& value, const std::string& path, Manifest& manifest) {
    if (!value.is_map()) {
        problem(path, "expected a map of platform attributes");
        return;
    }
    Fields platform_fields(value.as_map(), path, *this);
    for (const auto& [key, attribute] : value.as_map()) {
        std::string attribute_path = path_join(path, key);
        auto text = scalar_text(attribute);
        if (!text) {
            problem(attribute_path, "expected a string");
            continue;
        }
        // "/regex/" values must compile now: a malformed pattern fails the recipe rather
        // than silently matching nothing (or, worse, falling through to the next manifest).
        if (auto malformed = platform_regex_error(*text)) {
            problem(attribute_path, "malformed regular expression " + *text + ": " + *malformed);
            continue;
        }
        manifest.platform.emplace_back(ascii_lowercase(key), *text);
    }
}

void Loader::load_artifacts(const Object& value, const std::string& path, Manifest& manifest) {
    if (!value.is_list()) {
        problem(path, "expected a list of artifacts");
        return;
    }
    size_t index = 0;
    for (const Object& item : value.as_list()) {
        std::string item_path = path_index(path, index++);
        if (!item.is_map()) {
            problem(item_path, "expected a map");
            continue;
        }
        Fields fields(item.as_map(), item_path, *this);
        Artifact artifact;
        artifact.uri = string_field(fields, "Uri", true).value_or("");
        std::string uri_path = fields.path_of("Uri");
        std::string scheme = ascii_lowercase(artifact.uri.substr(0, artifact.uri.find(':')));
        if (!artifact.uri.empty()) {
            if (scheme == "docker") {
                problem(uri_path, "docker artifacts are not supported (" + artifact.uri + ")");
            } else if (scheme != "s3" && scheme != "greengrass" && scheme != "https" && scheme != "file") {
                problem(uri_path, "unsupported artifact URI \"" + artifact.uri + "\" (s3:, greengrass:, https:)");
            }
        }
        artifact.digest = string_field(fields, "Digest", false).value_or("");
        artifact.algorithm =
            string_field(fields, "Algorithm", false).value_or(artifact.digest.empty() ? "" : "SHA-256");
        if (auto unarchive = string_field(fields, "Unarchive", false)) {
            std::string upper = *unarchive;
            std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
            if (upper != "NONE" && upper != "ZIP") {
                problem(fields.path_of("Unarchive"), "expected NONE or ZIP, not \"" + *unarchive + "\"");
            }
            artifact.unarchive = upper;
        }
        if (const Object* permission = fields.get("Permission"); permission && !permission->is_null()) {
            std::string permission_path = fields.path_of("Permission");
            if (!permission->is_map()) {
                problem(permission_path, "expected a map with Read and Execute");
            } else {
                Fields permission_fields(permission->as_map(), permission_path, *this);
                for (auto [name, target] : {std::pair{"Read", &artifact.read_permission},
                                            std::pair{"Execute", &artifact.execute_permission}}) {
                    if (auto level = string_field(permission_fields, name, false)) {
                        std::string upper = *level;
                        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
                        if (upper != "NONE" && upper != "OWNER" && upper != "ALL") {
                            problem(permission_fields.path_of(name), "expected NONE, OWNER or ALL");
                        }
                        *target = upper;
                    }
                }
                permission_fields.report_unread(false, "permission key");
            }
        }
        fields.report_unread(false, "artifact key");
        manifest.artifacts.push_back(std::move(artifact));
    }
}

} // namespace ggl::recipe_detail
