// The verbs of the `ggl` command.
#include "front_verbs.hpp"

#include "programs.hpp"

namespace ggl::front {
namespace {

// In the order of docs/cli.md.
constexpr Verb kVerbs[] = {
    {"config", "ggl-config", "Read and change the configuration (through ggconfigd, or its database)",
     programs::ggl_config},
    {"recipe", "ggl-recipe", "Translate, validate and show component recipes", programs::ggl_recipe},
    {"bus", "ggl-bus", "Call, subscribe to and inspect the services on the core bus", programs::ggl_bus},
    {"deploy", "", "Deploy components locally, and follow deployments", run_deploy_command},
    {"component", "", "List, inspect, restart and stop components, and read their logs", run_component_command},
    {"check", "", "Diagnose the device: configuration, identity, clock, disk, daemons, components", run_check_command},
    {"iot", "", "Publish, subscribe and check the connection to AWS IoT Core", run_iot_command},
};

} // namespace

const Verb* find_verb(std::string_view name) {
    for (const Verb& verb : kVerbs) {
        if (verb.name == name) {
            return &verb;
        }
    }
    return nullptr;
}

const Verb* find_verb_by_program(std::string_view program) {
    for (const Verb& verb : kVerbs) {
        if (!verb.program.empty() && verb.program == program) {
            return &verb;
        }
    }
    return nullptr;
}

std::span<const Verb> verbs() { return kVerbs; }

} // namespace ggl::front
