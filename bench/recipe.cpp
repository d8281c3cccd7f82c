// bench-recipe: recipes translated per second (parse, select, interpolate, generate) for a
// typical recipe, and the peak RSS of `ggl recipe translate` on a 200 KB recipe.
#include "ggl/recipe.hpp"
#include "ggl/interpolation.hpp"
#include "ggl/platform.hpp"
#include "ggl/unit_writer.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>

using namespace ggl;
using Clock = std::chrono::steady_clock;

namespace {

// About the size and shape of the public recipes of the external corpus (docs/testing.md).
constexpr const char* kTypicalRecipe = R"(RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Typical
ComponentVersion: 1.4.2
ComponentDescription: A typical component with configuration, dependencies and three phases
ComponentPublisher: Example
ComponentConfiguration:
  DefaultConfiguration:
    interval: 5
    topic: sensors/readings
    accessControl:
      aws.greengrass.ipc.pubsub:
        com.example.Typical:pubsub:1:
          operations: [aws.greengrass#PublishToTopic]
          resources: ['*']
ComponentDependencies:
  aws.greengrass.TokenExchangeService: {VersionRequirement: ^2.0.0, DependencyType: HARD}
  com.example.Helper: {VersionRequirement: '>=1.0.0 <2.0.0', DependencyType: SOFT}
Manifests:
  - Platform: {os: windows}
    Lifecycle: {run: 'powershell -command python {artifacts:path}\main.py'}
  - Platform: {os: linux, architecture: /amd64|aarch64/}
    Lifecycle:
      Setenv: {TOPIC: '{configuration:/topic}'}
      install:
        Script: python3 -m pip install --user -r {artifacts:decompressedPath}/requirements.txt
        Timeout: 300
      run: python3 -u {artifacts:decompressedPath}/main.py --interval {configuration:/interval} "$TOPIC"
      shutdown: pkill -f main.py || true
    Artifacts:
      - {Uri: s3://bucket/typical.zip, Unarchive: ZIP}
)";

// A recipe of about 200 KB: a large default configuration and a long script, as
// components that embed a config file or an installer do.
std::string large_recipe() {
    std::string recipe = "RecipeFormatVersion: 2020-01-25\nComponentName: com.example.Large\nComponentVersion: 1.0.0\n"
                         "ComponentConfiguration:\n  DefaultConfiguration:\n";
    for (int i = 0; recipe.size() < 125'000; ++i) {
        recipe += "    key" + std::to_string(i) + ": {name: 'value number " + std::to_string(i) +
                  "', list: [1, 2, 3], flag: true}\n";
    }
    recipe += "Manifests:\n  - Platform: {os: linux}\n    Lifecycle:\n      run: |\n";
    for (int i = 0; recipe.size() < 205'000; ++i) {
        recipe += "        echo \"line " + std::to_string(i) + " {configuration:/key" + std::to_string(i % 100) +
                  "/name} ${HOME} $(date)\"\n";
    }
    return recipe;
}

bool translate_once(const Platform& platform, const UnitOptions& options, const InterpolationContext& context) {
    RecipeLoad load = load_recipe_text(kTypicalRecipe, RecipeSyntax::Yaml, "typical.yaml");
    if (!load.ok()) return false;
    auto manifest = select_manifest(*load.recipe, platform);
    if (!manifest) return false;
    // What show and recipe-runner do with the scripts; the units do not hold them.
    for (Phase phase : kAllPhases) {
        if (const auto& step = (*manifest)->lifecycle.step(phase)) {
            if (!interpolate(step->script, context, InterpolationTarget::Shell)) return false;
        }
    }
    auto units = generate_units(*load.recipe, **manifest, options);
    return units.ok() && !units->empty();
}

void bench_translations_per_second() {
    Platform platform = *parse_platform_overrides("os=linux,architecture=amd64", detect_platform());
    UnitOptions options;
    options.runner_path = "/usr/bin/recipe-runner";
    options.root_path = "/var/lib/greengrass";
    options.runtime_dir = "/run/greengrass";
    InterpolationContext context;
    context.root_path = options.root_path;
    context.component = {"com.example.Typical", "1.4.2", Map{{"interval", 5}, {"topic", "sensors/readings"}}};
    size_t count = 0;
    Clock::time_point start = Clock::now();
    double elapsed = 0;
    while (elapsed < 2.0) {
        for (int i = 0; i < 100; ++i) {
            if (!translate_once(platform, options, context)) {
                std::fprintf(stderr, "bench-recipe: the typical recipe did not translate\n");
                std::exit(1);
            }
        }
        count += 100;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::printf("typical recipe (%zu bytes): %.0f recipes translated/s (parse+select+interpolate+generate)\n",
                std::string(kTypicalRecipe).size(), count / elapsed);
}

void bench_peak_rss(const std::string& ggl_recipe) {
    std::string dir = std::filesystem::temp_directory_path() / ("bench-recipe-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string path = dir + "/large.yaml";
    std::string recipe = large_recipe();
    std::ofstream(path) << recipe;
    pid_t child = ::fork();
    if (child == 0) {
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::execl(ggl_recipe.c_str(), "ggl-recipe", "translate", path.c_str(), "--platform", "os=linux", nullptr);
        ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    Clock::time_point start = Clock::now();
    ::wait4(child, &status, 0, &usage);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::filesystem::remove_all(dir);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench-recipe: %s translate failed (status %d)\n", ggl_recipe.c_str(), status);
        std::exit(1);
    }
    std::printf("ggl recipe translate on a %zu KB recipe: peak RSS %ld KB, %.1f ms\n", recipe.size() / 1024,
                usage.ru_maxrss, seconds * 1000);
}

} // namespace

int main(int argc, char** argv) {
    // The program under test: given, or the build's bin/ggl-recipe beside bench/.
    std::string ggl_recipe = argc > 1 ? argv[1] : GGL_RECIPE_EXE;
    bench_translations_per_second();
    bench_peak_rss(ggl_recipe);
    return 0;
}
