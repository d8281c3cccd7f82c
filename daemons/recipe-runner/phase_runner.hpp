// One lifecycle phase of one component: find the recipe, interpolate, set up, exec /bin/sh.
#pragma once

#include "ggl/device_settings.hpp"
#include "ggl/error.hpp"
#include "ggl/recipe.hpp"

#include <optional>
#include <string>

namespace ggl::runner {

struct RunRequest {
    std::string component;
    std::string version;
    Phase phase = Phase::Run;
    std::string recipe_path; // --recipe; empty: the store copy
    std::string platform_spec; // --platform
    std::string config_file; // --config: used instead of ggconfigd
    bool skipif_only = false; // --skipif: only evaluate the phase's Skipif
};

// Exit statuses of the runner (for ExecCondition=, 1 means "skip the phase").
inline constexpr int kRunnerConditionSkip = 1;
inline constexpr int kRunnerFailed = 1;
inline constexpr int kRunnerUsage = 2;

// The recipe file: --recipe, else <root>/packages/recipes/<name>-<version>.{yaml,yml,json}.
Result<std::string> locate_recipe(const RunRequest& request, const std::string& root_path);

// Runs the request. Returns only on failure, or for --skipif and absent phases, with
// the process exit status; on success the process has become /bin/sh.
int run_phase(const RunRequest& request);

// configuration_source.cpp: the device settings and this component's configuration,
// from ggconfigd when it answers, else from request.config_file or
// $GGL_CONFIG_DIR/config.yaml (with the recipe defaults under them).
Result<DeviceSettings> load_device_settings(const RunRequest& request, const Recipe& recipe);

} // namespace ggl::runner
