// `ggl recipe show`: the effective recipe: the selected manifest, configuration and interpolated lifecycle.
#include "recipe_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/yaml.hpp"

#include <cstdio>

namespace ggl::recipe_cli {
namespace {

Map env_map(const EnvList& env, const InterpolationContext& context, std::optional<Error>& error) {
    Map out;
    for (const auto& [name, value] : env) {
        auto interpolated = interpolate(value, context, InterpolationTarget::Raw);
        if (!interpolated) {
            error = interpolated.error();
            return out;
        }
        out.set(name, *interpolated);
    }
    return out;
}

Result<Map> lifecycle_object(const Lifecycle& lifecycle, const InterpolationContext& context) {
    Map out;
    std::optional<Error> error;
    if (!lifecycle.setenv.empty()) {
        out.set("Setenv", env_map(lifecycle.setenv, context, error));
    }
    for (Phase phase : kAllPhases) {
        const auto& step = lifecycle.step(phase);
        if (!step) {
            continue;
        }
        auto script = interpolate(step->script, context, InterpolationTarget::Shell);
        if (!script) {
            return make_error(script.error().code,
                              "Lifecycle." + std::string(phase_name(phase)) + ".Script: " + script.error().message);
        }
        Map entry{{"Script", *script}};
        if (step->requires_privilege || !step->requires_privilege_expression.empty()) {
            entry.set("RequiresPrivilege", step->requires_privilege_expression.empty()
                                               ? Object(true)
                                               : Object(step->requires_privilege_expression));
        }
        if (step->timeout_seconds) {
            entry.set("Timeout", *step->timeout_seconds);
        } else if (!step->timeout_expression.empty()) {
            entry.set("Timeout", step->timeout_expression);
        }
        if (!step->setenv.empty()) {
            entry.set("Setenv", env_map(step->setenv, context, error));
        }
        if (step->skipif) {
            entry.set("Skipif", std::string(step->skipif->kind == Skipif::Kind::OnPath ? "onpath " : "exists ") +
                                    step->skipif->target);
        }
        if (phase == Phase::Bootstrap && step->bootstrap_on_rollback) {
            entry.set("BootstrapOnRollback", true);
        }
        out.set(std::string(phase_name(phase)), std::move(entry));
    }
    if (error) {
        return *error;
    }
    return out;
}

// The selected manifest as the effective recipe shows it: name, platform, selections, artifacts.
Map manifest_object(const Manifest& manifest) {
    Map platform_map;
    for (const auto& [key, value] : manifest.platform) {
        platform_map.set(key, value);
    }
    List artifacts;
    for (const Artifact& artifact : manifest.artifacts) {
        Map entry{{"Uri", artifact.uri},
                  {"Unarchive", artifact.unarchive},
                  {"Permission", Map{{"Read", artifact.read_permission}, {"Execute", artifact.execute_permission}}}};
        if (!artifact.digest.empty()) {
            entry.set("Digest", artifact.digest);
            entry.set("Algorithm", artifact.algorithm);
        }
        artifacts.emplace_back(std::move(entry));
    }
    Map manifest_map;
    if (!manifest.name.empty()) {
        manifest_map.set("Name", manifest.name);
    }
    manifest_map.set("Platform", std::move(platform_map));
    if (!manifest.selections.empty()) {
        List selections(manifest.selections.begin(), manifest.selections.end());
        manifest_map.set("Selections", std::move(selections));
    }
    manifest_map.set("Artifacts", std::move(artifacts));
    return manifest_map;
}

Map dependencies_object(const Recipe& recipe) {
    Map dependencies;
    for (const Dependency& dependency : recipe.dependencies) {
        dependencies.set(dependency.name,
                         Map{{"VersionRequirement", dependency.requirement_text},
                             {"DependencyType", dependency.type == DependencyType::Hard ? "HARD" : "SOFT"}});
    }
    return dependencies;
}

// The recipe as it runs here: the detected platform, its manifest, the configuration and
// the interpolated lifecycle.
Map effective_recipe(const Recipe& recipe, const Manifest& manifest, const Platform& platform,
                     const InterpolationContext& context, Map lifecycle) {
    Map effective{
        {"RecipeFormatVersion", recipe.format_version},
        {"ComponentName", recipe.name},
        {"ComponentVersion", recipe.version.to_string()},
        {"ComponentType", recipe.type},
    };
    if (!recipe.description.empty()) effective.set("ComponentDescription", recipe.description);
    if (!recipe.publisher.empty()) effective.set("ComponentPublisher", recipe.publisher);
    effective.set("Platform", Map{{"detected", platform.to_string()}});
    effective.set("ComponentDependencies", dependencies_object(recipe));
    effective.set("Configuration", context.component.configuration);
    effective.set("Manifest", manifest_object(manifest));
    effective.set("Lifecycle", std::move(lifecycle));
    return effective;
}

// YAML, or JSON as --format asks.
int print_effective(const Map& effective, const VerbArguments& arguments, const std::string& path) {
    if (cli::is_json(arguments.format)) {
        cli::print_json(effective, cli::json_style(arguments.format));
    } else {
        auto yaml = to_yaml(effective);
        if (!yaml) {
            cli::print_error(path + ": " + yaml.error().message);
            return cli::kExitFailed;
        }
        std::fputs(yaml->c_str(), stdout);
        std::fflush(stdout);
    }
    return cli::kExitOk;
}

} // namespace

int run_show(const VerbArguments& arguments) {
    auto device = target_device_of(arguments);
    if (!device) {
        return cli::report_usage_error(device.error().message);
    }
    const std::string& path = arguments.recipes.front();
    std::optional<Recipe> recipe = load_or_report(path);
    if (!recipe) {
        return cli::kExitFailed;
    }
    auto manifest = select_manifest(*recipe, device->platform);
    if (!manifest) {
        cli::print_error(path + ": " + manifest.error().message);
        return cli::kExitFailed;
    }
    InterpolationContext context = device->settings.interpolation_context(*recipe);
    auto lifecycle = lifecycle_object((*manifest)->lifecycle, context);
    if (!lifecycle) {
        cli::print_error(path + ": " + lifecycle.error().message);
        return cli::kExitFailed;
    }
    Map effective = effective_recipe(*recipe, **manifest, device->platform, context, std::move(*lifecycle));
    return print_effective(effective, arguments, path);
}

} // namespace ggl::recipe_cli
