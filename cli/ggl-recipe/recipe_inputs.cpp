// Recipes, device settings and the platform, as the `ggl recipe` verbs read them.
#include "recipe_verbs.hpp"

#include "ggl/cli/error_report.hpp"

namespace ggl::recipe_cli {

Result<DeviceSettings> device_settings_of(const VerbArguments& arguments) {
    DeviceSettings settings = device_settings_from_tree(Map{});
    if (!arguments.config_file.empty()) {
        auto from_file = read_device_settings_file(arguments.config_file);
        if (!from_file) {
            return std::move(from_file).error();
        }
        settings = std::move(*from_file);
    }
    if (!arguments.thing_name.empty()) {
        settings.thing_name = arguments.thing_name;
    }
    if (!arguments.root_path.empty()) {
        settings.root_path = arguments.root_path;
    }
    if (settings.root_path.empty() || settings.root_path.front() != '/') {
        return make_error(ErrorCode::Invalid, "the root path must be absolute, not \"" + settings.root_path + "\"");
    }
    while (settings.root_path.size() > 1 && settings.root_path.back() == '/') {
        settings.root_path.pop_back();
    }
    return settings;
}

Result<Platform> platform_of(const VerbArguments& arguments) {
    return parse_platform_overrides(arguments.platform_spec, detect_platform());
}

Result<TargetDevice> target_device_of(const VerbArguments& arguments) {
    auto settings = device_settings_of(arguments);
    if (!settings) {
        return std::move(settings).error();
    }
    auto platform = platform_of(arguments);
    if (!platform) {
        Error error = std::move(platform).error();
        error.message = "--platform: " + error.message;
        return error;
    }
    return TargetDevice{std::move(*settings), std::move(*platform)};
}

std::string no_manifest_problem(const Error& error, const VerbArguments& arguments) {
    if (!arguments.platform_spec.empty()) {
        return error.message;
    }
    return error.message + " (for another device: --platform os=OS,architecture=ARCH)";
}

void report_warnings(const RecipeLoad& load) {
    for (const RecipeProblem& warning : load.warnings) {
        cli::report_warning(warning.to_string(load.source));
    }
}

std::optional<Recipe> load_or_report(const std::string& path) {
    RecipeLoad load = load_recipe_file(path);
    report_warnings(load);
    for (const RecipeProblem& problem : load.problems) {
        cli::print_error(problem.to_string(load.source));
    }
    return std::move(load.recipe);
}

} // namespace ggl::recipe_cli
