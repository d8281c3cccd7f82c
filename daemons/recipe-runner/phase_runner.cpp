// Running one phase: recipe, manifest, environment, working directory, then exec /bin/sh -c SCRIPT.
#include "phase_runner.hpp"

#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/interpolation.hpp"
#include "ggl/log.hpp"
#include "ggl/platform.hpp"
#include "ggl/service_manager.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace ggl::runner {
namespace {

bool is_regular_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// Skipif "onpath X": X is an executable on PATH (or a path to one).
bool on_path(const std::string& program) {
    if (program.find('/') != std::string::npos) {
        return is_regular_file(program) && ::access(program.c_str(), X_OK) == 0;
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        size_t colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
        if (is_regular_file(candidate) && ::access(candidate.c_str(), X_OK) == 0) {
            return true;
        }
        if (colon == std::string_view::npos) {
            return false;
        }
        dirs.remove_prefix(colon + 1);
    }
}

Result<void> apply_environment(const EnvList& variables, const InterpolationContext& context) {
    for (const auto& [name, value] : variables) {
        auto interpolated = interpolate(value, context, InterpolationTarget::Raw);
        if (!interpolated) {
            return make_error(interpolated.error().code, "Setenv " + name + ": " + interpolated.error().message);
        }
        if (::setenv(name.c_str(), interpolated->c_str(), 1) != 0) {
            return make_error(ErrorCode::Failure, "cannot set " + name + ": " + std::strerror(errno));
        }
    }
    return {};
}

// The run unit is Type=notify: it becomes active, and the component RUNNING, when its
// script starts rather than when this runner did, so a deployment's settle time measures
// the script alone, however slowly the runner started.
void report_started(const RunRequest& request) {
    if (request.phase == Phase::Run) {
        service_manager::notify("READY=1");
    }
}

} // namespace

Result<std::string> locate_recipe(const RunRequest& request, const std::string& root_path) {
    if (!request.recipe_path.empty()) {
        return request.recipe_path;
    }
    std::string base = root_path + "/packages/recipes/" + request.component + "-" + request.version;
    for (const char* extension : {".yaml", ".yml", ".json"}) {
        if (is_regular_file(base + extension)) {
            return base + extension;
        }
    }
    return make_error(ErrorCode::Noentry, "no recipe " + base + ".{yaml,yml,json} in the component store");
}

namespace {

// The recipe of the requested component version; nullopt (logged) when it is not that.
std::optional<RecipeLoad> load_requested_recipe(const RunRequest& request, const std::string& recipe_path) {
    RecipeLoad load = load_recipe_file(recipe_path);
    if (!load.ok()) {
        GGL_LOGE("%s", load.describe_problems().c_str());
        return std::nullopt;
    }
    const Recipe& recipe = *load.recipe;
    if (recipe.name != request.component || recipe.version.to_string() != request.version) {
        GGL_LOGE("%s holds %s %s, not %s %s", recipe_path.c_str(), recipe.name.c_str(),
                 recipe.version.to_string().c_str(), request.component.c_str(), request.version.c_str());
        return std::nullopt;
    }
    return load;
}

// The environment the script gets: the device's settings, the recipe's Setenv, the
// component's token. False (logged) when a Setenv value cannot be interpolated or set.
bool set_environment(const Recipe& recipe, const Lifecycle& lifecycle, const LifecycleStep& step,
                     const DeviceSettings& settings, const InterpolationContext& context, const std::string& phase) {
    // The configuration now is newer than what the unit was generated with.
    if (settings.thing_name) {
        ::setenv("AWS_IOT_THING_NAME", settings.thing_name->c_str(), 1);
    }
    if (!settings.aws_region.empty()) {
        ::setenv("AWS_REGION", settings.aws_region.c_str(), 1);
        ::setenv("AWS_DEFAULT_REGION", settings.aws_region.c_str(), 1);
    }
    if (!settings.root_ca_path.empty()) {
        ::setenv("GG_ROOT_CA_PATH", settings.root_ca_path.c_str(), 1);
    }
    // The environment comes before Skipif: "onpath" looks along the PATH the script gets.
    for (const EnvList* variables : {&lifecycle.setenv, &step.setenv}) {
        if (auto applied = apply_environment(*variables, context); !applied) {
            GGL_LOGE("%s %s: %s", recipe.name.c_str(), phase.c_str(), applied.error().message.c_str());
            return false;
        }
    }
    // The token a deployment issued this component, for its IPC client (docs/ipc.md).
    if (auto token = file::read(env::svcuid_path(recipe.name)); token && !token->empty()) {
        ::setenv("SVCUID", token->c_str(), 1);
    }
    if (const char* svcuid = std::getenv("SVCUID"); svcuid != nullptr && *svcuid != '\0') {
        ::setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", svcuid, 0);
    }
    return true;
}

// The step's Skipif, for the unit that checks it: kRunnerConditionSkip when it holds.
int check_skipif(const Recipe& recipe, const LifecycleStep& step, const InterpolationContext& context,
                 const std::string& phase) {
    if (!step.skipif) {
        return 0;
    }
    auto target = interpolate(step.skipif->target, context, InterpolationTarget::Raw);
    if (!target) {
        GGL_LOGE("%s %s Skipif: %s", recipe.name.c_str(), phase.c_str(), target.error().message.c_str());
        // 255 fails the unit instead of skipping it: an unknown condition is not "skip".
        return 255;
    }
    bool holds = step.skipif->kind == Skipif::Kind::OnPath ? on_path(*target) : ::access(target->c_str(), F_OK) == 0;
    if (holds) {
        GGL_LOGI("%s %s skipped: %s %s", recipe.name.c_str(), phase.c_str(),
                 step.skipif->kind == Skipif::Kind::OnPath ? "onpath" : "exists", target->c_str());
    }
    return holds ? kRunnerConditionSkip : 0;
}

// Becomes the step's script (/bin/sh -c) in the component's work directory; returns only
// when that fails.
int exec_script(const RunRequest& request, const Recipe& recipe, const LifecycleStep& step,
                const DeviceSettings& settings, const InterpolationContext& context, const std::string& phase) {
    // The whole script is interpolated before anything runs: an error never leaves a
    // partial script to execute.
    auto script = interpolate(step.script, context, InterpolationTarget::Shell);
    if (!script) {
        GGL_LOGE("%s %s: %s", recipe.name.c_str(), phase.c_str(), script.error().message.c_str());
        return kRunnerFailed;
    }

    std::string work_dir = settings.root_path + "/work/" + recipe.name;
    std::error_code ignored;
    std::filesystem::create_directories(work_dir, ignored);
    if (::chdir(work_dir.c_str()) != 0) {
        GGL_LOGE("cannot change to the work directory %s: %s", work_dir.c_str(), std::strerror(errno));
        return kRunnerFailed;
    }
    std::fflush(nullptr);
    report_started(request);
    ::unsetenv("NOTIFY_SOCKET"); // the script, as the unit's main process, would speak for us
    const char* argv[] = {"sh", "-c", script->c_str(), nullptr};
    ::execve("/bin/sh", const_cast<char* const*>(argv), environ);
    GGL_LOGE("cannot run /bin/sh: %s", std::strerror(errno));
    return kRunnerFailed;
}

} // namespace

int run_phase(const RunRequest& request) {
    auto recipe_path = locate_recipe(request, env::root_dir());
    if (!recipe_path) {
        GGL_LOGE("%s", recipe_path.error().message.c_str());
        return kRunnerFailed;
    }
    std::optional<RecipeLoad> load = load_requested_recipe(request, *recipe_path);
    if (!load) {
        return kRunnerFailed;
    }
    const Recipe& recipe = *load->recipe;
    auto platform = parse_platform_overrides(request.platform_spec, detect_platform());
    if (!platform) {
        GGL_LOGE("--platform: %s", platform.error().message.c_str());
        return kRunnerUsage;
    }
    auto manifest = select_manifest(recipe, *platform);
    if (!manifest) {
        GGL_LOGE("%s: %s", recipe_path->c_str(), manifest.error().message.c_str());
        return kRunnerFailed;
    }
    const Lifecycle& lifecycle = (*manifest)->lifecycle;
    const std::optional<LifecycleStep>& step = lifecycle.step(request.phase);
    std::string phase(phase_name(request.phase));
    if (!step) {
        // A unit for a phase the recipe does not have: nothing to do is success.
        GGL_LOGI("%s has no %s step", recipe.name.c_str(), phase.c_str());
        report_started(request);
        return 0;
    }

    auto settings = load_device_settings(request, recipe);
    if (!settings) {
        GGL_LOGE("configuration of %s: %s", recipe.name.c_str(), settings.error().message.c_str());
        return kRunnerFailed;
    }
    InterpolationContext context = settings->interpolation_context(recipe);
    if (!set_environment(recipe, lifecycle, *step, *settings, context, phase)) {
        return kRunnerFailed;
    }
    if (request.skipif_only) {
        return check_skipif(recipe, *step, context, phase);
    }
    return exec_script(request, recipe, *step, *settings, context, phase);
}

} // namespace ggl::runner
