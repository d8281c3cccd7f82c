// `ggl recipe validate`: every problem of every recipe, not only the first.
#include "recipe_verbs.hpp"

#include "ggl/cli/error_report.hpp"

#include <cstdio>

namespace ggl::recipe_cli {

int run_validate(const VerbArguments& arguments) {
    // The device the recipes must run on: this machine, or another with --platform.
    auto platform = platform_of(arguments);
    if (!platform) {
        return cli::report_usage_error("--platform: " + platform.error().message);
    }
    cli::Table table({"recipe", "component", "version", "valid", "problems"});
    bool all_valid = true;
    for (const std::string& path : arguments.recipes) {
        RecipeLoad load = load_recipe_file(path);
        report_warnings(load);
        List problems;
        for (const RecipeProblem& problem : load.problems) {
            problems.emplace_back(problem.to_string(""));
            cli::print_error(problem.to_string(load.source));
        }
        // A recipe that cannot run on the platform is a problem too: it would not deploy.
        if (load.recipe) {
            if (auto manifest = select_manifest(*load.recipe, *platform); !manifest) {
                std::string problem = no_manifest_problem(manifest.error(), arguments);
                problems.emplace_back(problem);
                cli::print_error(path + ": " + problem);
            }
        }
        all_valid = all_valid && problems.empty();
        table.add_row({path, load.recipe ? Object(load.recipe->name) : Object(),
                       load.recipe ? Object(load.recipe->version.to_string()) : Object(), problems.empty(),
                       Object(static_cast<int64_t>(problems.size()))});
    }
    table.print(arguments.format);
    return all_valid ? cli::kExitOk : cli::kExitFailed;
}

} // namespace ggl::recipe_cli
