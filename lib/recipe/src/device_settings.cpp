// Device settings for recipes, from a configuration tree (a config file, or ggconfigd's answer).
#include "ggl/device_settings.hpp"

#include "ggl/env.hpp"
#include "ggl/json.hpp"
#include "ggl/text.hpp"
#include "ggl/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace ggl {
namespace {

// Configuration keys are case-insensitive (docs/configuration.md).
const Object* find_key(const Object& node, std::string_view key) {
    const Map* map = node.if_map();
    if (map == nullptr) {
        return nullptr;
    }
    for (const auto& [name, value] : *map) {
        if (ascii_iequals(name, key)) {
            return &value;
        }
    }
    return nullptr;
}

const Object* find_path(const Object& node, std::initializer_list<std::string_view> path) {
    const Object* current = &node;
    for (std::string_view key : path) {
        current = current ? find_key(*current, key) : nullptr;
    }
    return current;
}

std::optional<std::string> string_at(const Object& node, std::initializer_list<std::string_view> path) {
    const Object* value = find_path(node, path);
    if (value != nullptr && value->is_string() && !value->as_string().empty()) {
        return value->as_string();
    }
    return std::nullopt;
}

} // namespace

void merge_configuration(Object& into, const Object& from) {
    if (!into.is_map() || !from.is_map()) {
        into = from;
        return;
    }
    Map& target = into.as_map();
    for (const auto& [key, value] : from.as_map()) {
        if (Object* existing = target.find(key)) {
            merge_configuration(*existing, value);
        } else {
            target.set(key, value);
        }
    }
}

Object DeviceSettings::component_configuration(const Recipe& recipe) const {
    Object configuration = recipe.default_configuration;
    if (const Object* overrides = find_path(services, {recipe.name, "configuration"})) {
        merge_configuration(configuration, *overrides);
    }
    return configuration;
}

ComponentVariables DeviceSettings::component_variables(const std::string& name) const {
    ComponentVariables variables{name, string_at(services, {name, "version"}).value_or(""), Map{}};
    if (const Object* configuration = find_path(services, {name, "configuration"})) {
        variables.configuration = *configuration;
    }
    return variables;
}

InterpolationContext DeviceSettings::interpolation_context(const Recipe& recipe) const {
    InterpolationContext context;
    context.root_path = root_path;
    context.thing_name = thing_name;
    context.component = {recipe.name, recipe.version.to_string(), component_configuration(recipe)};
    for (const Dependency& dependency : recipe.dependencies) {
        context.dependencies.push_back(component_variables(dependency.name));
    }
    return context;
}

DeviceSettings device_settings_from_tree(const Object& tree) {
    DeviceSettings settings;
    settings.root_path = string_at(tree, {"system", "rootPath"}).value_or(env::root_dir());
    settings.thing_name = string_at(tree, {"system", "thingName"});
    settings.root_ca_path = string_at(tree, {"system", "rootCaPath"}).value_or("");
    settings.aws_region = string_at(tree, {"services", kNucleusComponent, "configuration", "awsRegion"}).value_or("");
    settings.posix_user =
        string_at(tree, {"services", kNucleusComponent, "configuration", "runWithDefault", "posixUser"}).value_or("");
    if (const Object* services = find_key(tree, "services"); services && services->is_map()) {
        settings.services = *services;
    }
    return settings;
}

Result<DeviceSettings> read_device_settings_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return make_error(ErrorCode::Noentry, path + ": cannot read the file");
    }
    std::ostringstream content;
    content << file.rdbuf();
    bool json = path.size() >= 5 && path.substr(path.size() - 5) == ".json";
    Result<Object> tree = json ? from_json(content.str()) : yaml_parse(content.str());
    if (!tree) {
        return make_error(ErrorCode::Parse, path + ": " + tree.error().message);
    }
    if (!tree->is_map() && !tree->is_null()) {
        return make_error(ErrorCode::Invalid, path + ": expected a map with system and services");
    }
    return device_settings_from_tree(*tree);
}

} // namespace ggl
