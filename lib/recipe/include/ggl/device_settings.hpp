// What recipes need from the device configuration: root path, thing name, region, runWith, component configuration.
#pragma once

#include "ggl/error.hpp"
#include "ggl/interpolation.hpp"
#include "ggl/object.hpp"
#include "ggl/recipe.hpp"

#include <optional>
#include <string>

namespace ggl {

inline constexpr const char* kNucleusComponent = "aws.greengrass.NucleusLite";

struct DeviceSettings {
    std::string root_path; // system/rootPath, else $GGL_ROOT
    std::optional<std::string> thing_name; // system/thingName
    std::string root_ca_path; // system/rootCaPath
    std::string aws_region; // services/aws.greengrass.NucleusLite/configuration/awsRegion
    std::string posix_user; // .../configuration/runWithDefault/posixUser
    Object services = Map{}; // services/..., for component configuration and versions

    // The recipe's DefaultConfiguration with services/<name>/configuration merged over it
    // (maps merge key by key, anything else replaces), as a deployment leaves it.
    Object component_configuration(const Recipe& recipe) const;
    // services/<name>/configuration and services/<name>/version of another component.
    ComponentVariables component_variables(const std::string& name) const;
    // The variables of recipe and of its direct dependencies.
    InterpolationContext interpolation_context(const Recipe& recipe) const;
};

// Reads the configuration tree shape of docs/configuration.md (config.yaml, or what gg_config
// returns): {system: {...}, services: {...}}. Keys of the well-known parts are matched
// case-insensitively. Missing parts leave defaults ($GGL_ROOT for the root path).
DeviceSettings device_settings_from_tree(const Object& tree);

// device_settings_from_tree on a YAML or JSON file (.json is JSON).
Result<DeviceSettings> read_device_settings_file(const std::string& path);

// Recursive merge of configuration: maps merge, anything else replaces.
void merge_configuration(Object& into, const Object& from);

} // namespace ggl
