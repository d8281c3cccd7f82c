// The verbs of the `ggl` command, and finding the daemons' programs.
#include "front_verbs.hpp"

#include "programs.hpp"
#include "ggl/env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

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
};

bool is_executable_file(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

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

std::optional<std::string> find_program(std::string_view program) {
    // Beside ggl first, so that a build tree or an install under any prefix uses its
    // own programs rather than whatever PATH offers.
    std::string sibling = env::executable_dir() + '/' + std::string(program);
    if (is_executable_file(sibling)) {
        return sibling;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "";
    while (!dirs.empty()) {
        size_t colon = dirs.find(':');
        std::string_view dir = dirs.substr(0, colon);
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
        std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + '/' + std::string(program);
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return std::nullopt;
}

} // namespace ggl::front
