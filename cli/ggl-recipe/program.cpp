// ggl-recipe (`ggl recipe`): Greengrass v2 recipes to systemd units, validation and the effective recipe.
#include "recipe_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"
#include "programs.hpp"

using namespace ggl;
using namespace ggl::recipe_cli;

namespace {

constexpr const char* kProgramFooter = R"(Examples:
  ggl recipe translate recipe.yaml -o units/
  ggl recipe translate recipes/*.yaml --check /etc/systemd/system
  ggl recipe validate recipes/*.yaml
  ggl recipe show recipe.yaml --thing-name dev-42

Works on a workstation: no daemon is needed. Recipes are YAML, or JSON for files
ending in .json (// and /* */ comments allowed); every key is case-insensitive.

Exit status: 0 ok; 1 failed (invalid recipe for validate and show, no manifest for
the platform, differences for translate --check); 2 usage error, or a recipe that
translate cannot read or parse.)";

constexpr const char* kTranslateFooter = R"(
Prints the systemd units of each recipe (the first manifest matching the platform)
on standard output, or writes them to DIR. Nothing is written unless every recipe
translates. The units run recipe-runner (beside this program) for each phase; it
reads the recipe from $GGL_ROOT/packages/recipes/NAME-VERSION.yaml (or .json), where
a deployment puts it, so scripts reach /bin/sh exactly as written.

Device settings come from --config (a config.yaml: system/thingName,
system/rootPath, services/aws.greengrass.NucleusLite/configuration/{awsRegion,
runWithDefault/posixUser}, services/NAME/configuration), then --thing-name and
--root-path. The root path defaults to $GGL_ROOT (/var/lib/greengrass).

Examples:
  ggl recipe translate hello.yaml
  ggl recipe translate hello.yaml -o units/ && systemd-analyze verify units/*.service
  ggl recipe translate hello.yaml --platform os=linux,architecture=aarch64 -o units/
  ggl recipe translate hello.yaml --config /etc/greengrass/config.yaml --check /etc/systemd/system

--check DIR compares instead of writing: a unit that differs or is missing in DIR is
shown as a unified diff, and so is a stale unit, one that DIR holds for a translated
component (ggl.NAME.service, ggl.NAME.bootstrap.service, .install.service or
.recover.service) but that the recipe no longer produces (shown as removed). Units of
components not given are not looked at.

Exit status: 0 ok (with --check: DIR holds the same units); 1 --check found
differences (printed as a unified diff), a unit could not be written, or a recipe has
no manifest for the platform (the error names the platform and what each manifest's
Platform wants); 2 bad arguments, or an unreadable or invalid recipe.)";

constexpr const char* kValidateFooter = R"(
Checks each recipe against the recipe format and lists every problem, each on
stderr as "ggl recipe: error: FILE:LINE:COLUMN: KEY.PATH: problem", e.g.
"recipe.yaml:12:7: Manifests[1].Lifecycle.Run.Timeout: expected a number" (the
position of the offending value or key, or of the map that lacks a required key;
a syntax error has no key path). A recipe with no manifest for the platform is a
problem too, naming the platform and what each manifest's Platform wants: the
platform is this machine's (os, architecture in Greengrass spelling, its detail,
runtime aws_nucleus_lite), or another device's with --platform, e.g.
os=linux,architecture=aarch64 (a machine name as uname -m prints it, such as armv7l,
gives architecture=arm and architecture.detail=armv7l). Prints a table of the
recipes (--json for scripts).

Examples:
  ggl recipe validate recipes/*.yaml
  ggl recipe validate hello.yaml --platform os=linux,architecture=armv7l
  ggl recipe validate hello.json --platform os=linux --json

Exit status: 0 every recipe is valid; 1 at least one is not; 2 bad arguments.)";

constexpr const char* kShowFooter = R"(
Shows the effective recipe: the manifest selected for the platform, the component's
configuration (defaults with services/NAME/configuration of --config over them),
and the lifecycle with recipe variables substituted as recipe-runner would: in
scripts each value is quoted for the shell, in Setenv it is as is. YAML, or --json.

Examples:
  ggl recipe show hello.yaml
  ggl recipe show hello.yaml --thing-name dev-42 --json

Exit status: 0 ok; 1 invalid recipe, no manifest for the platform, or a variable
that cannot be resolved ({iot:thingName} without a thing name); 2 bad arguments.)";

void add_device_options(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("--config", arguments.config_file,
                    "Device configuration file (config.yaml shape) for thing name, root path, region, "
                    "runWith and component configuration")
        ->type_name("FILE");
    verb.add_option("--thing-name", arguments.thing_name, "Thing name ({iot:thingName}, AWS_IOT_THING_NAME)")
        ->type_name("NAME");
    verb.add_option("--root-path", arguments.root_path, "Greengrass root path (default $GGL_ROOT)")->type_name("PATH");
}

void add_platform_option(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("--platform", arguments.platform_spec,
                    "Platform attributes over the detected ones, e.g. os=linux,architecture=aarch64")
        ->type_name("KEY=VALUE,...");
}

void add_translate(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("RECIPE", arguments.recipes, "Recipe files (YAML, or .json)")->required()->check(cli::file_names());
    verb.add_option("-o,--output", arguments.output_dir, "Write the units into DIR (- or absent: standard output)")
        ->type_name("DIR|-");
    verb.add_option("--check", arguments.check_dir, "Compare with the units in DIR instead of writing")
        ->type_name("DIR");
    add_device_options(verb, arguments);
    add_platform_option(verb, arguments);
    verb.get_option("--check")->excludes(verb.get_option("--output"));
}

void add_validate(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("RECIPE", arguments.recipes, "Recipe files (YAML, or .json)")->required()->check(cli::file_names());
    add_platform_option(verb, arguments);
    cli::add_output_option(verb, arguments.format);
}

void add_show(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("RECIPE", arguments.recipes, "Recipe file (YAML, or .json)")
        ->required()
        ->expected(1)
        ->check(cli::file_names());
    add_device_options(verb, arguments);
    add_platform_option(verb, arguments);
    cli::add_output_option(verb, arguments.format);
}

using Verb = cli::VerbEntry<VerbArguments, int (*)(const VerbArguments& arguments)>;

constexpr Verb kVerbs[] = {
    {"translate", "Translate recipes into systemd units", kTranslateFooter, add_translate, run_translate},
    {"validate", "Check recipes and list every problem", kValidateFooter, add_validate, run_validate},
    {"show", "Show the effective, platform-selected, interpolated recipe", kShowFooter, add_show, run_show},
};

} // namespace

int ggl::programs::ggl_recipe(int argc, char** argv) {
    const cli::ProgramText program{
        "ggl recipe", "Translate, validate and show AWS IoT Greengrass v2 component recipes.", kProgramFooter};
    VerbArguments arguments;
    // No global options: each verb has its own.
    return cli::run_verb_program(program, argc, argv, kVerbs, arguments, [](CLI::App&, VerbArguments&) {});
}
