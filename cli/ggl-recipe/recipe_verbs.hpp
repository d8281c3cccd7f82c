// What the `ggl recipe` verbs take from the command line, and the verbs themselves.
#pragma once

#include "ggl/cli/output.hpp"
#include "ggl/device_settings.hpp"
#include "ggl/error.hpp"
#include "ggl/platform.hpp"
#include "ggl/recipe.hpp"

#include <string>
#include <vector>

namespace ggl::recipe_cli {

struct VerbArguments {
    std::vector<std::string> recipes;
    std::string output_dir; // translate -o; "" or "-": standard output
    std::string check_dir; // translate --check
    std::string config_file; // --config
    std::string thing_name; // --thing-name
    std::string root_path; // --root-path
    std::string platform_spec; // --platform os=linux,architecture=aarch64
    cli::OutputFormat format = cli::OutputFormat::Human;
};

int run_translate(const VerbArguments& arguments);
int run_validate(const VerbArguments& arguments);
int run_show(const VerbArguments& arguments);

// recipe_inputs.cpp: what translate and show share.

// The device settings: --config, then --thing-name and --root-path over it.
Result<DeviceSettings> device_settings_of(const VerbArguments& arguments);
// The detected platform with --platform applied.
Result<Platform> platform_of(const VerbArguments& arguments);
// The device that translate and show write for: device_settings_of(), then
// platform_of(); the error is the usage error to report ("--platform: ..." for the
// platform's).
struct TargetDevice {
    DeviceSettings settings;
    Platform platform;
};
Result<TargetDevice> target_device_of(const VerbArguments& arguments);
// select_manifest's error, with how to choose another device's platform when --platform
// was not given.
std::string no_manifest_problem(const Error& error, const VerbArguments& arguments);
// Loads a recipe; on failure prints every problem ("ggl recipe: error: file: where: what").
std::optional<Recipe> load_or_report(const std::string& path);
// Prints the load's warnings as "ggl recipe: warning: ...".
void report_warnings(const RecipeLoad& load);

// unified_diff.cpp: `diff -u` style text, empty when old and new are equal.
std::string unified_diff(const std::string& old_name, const std::string& old_text, const std::string& new_name,
                         const std::string& new_text);

} // namespace ggl::recipe_cli
