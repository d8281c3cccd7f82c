// recipe-runner: what a component unit's ExecStart/ExecStop/ExecCondition runs for one phase.
#include "phase_runner.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/log.hpp"

#include <cstdio>
#include <string>

using namespace ggl;
using namespace ggl::runner;

namespace {

constexpr const char* kFooter = R"(Reads the recipe (FILE, else $GGL_ROOT/packages/recipes/NAME-VERSION.{yaml,json}),
selects the manifest for this platform, reads the configuration from ggconfigd (else
--config, else $GGL_CONFIG_DIR/config.yaml, over the recipe defaults), sets Setenv,
changes to $GGL_ROOT/work/NAME and execs /bin/sh -c SCRIPT with the variables
substituted. --skipif only evaluates the phase's Skipif: exit 1 to skip, 0 to run.

Exit status: that of the script; 1 the phase could not start (or --skipif: skip);
2 usage error.
)";

} // namespace

int main(int argc, char** argv) {
    cli::ProgramOptions command_line("recipe-runner",
                                     "Runs one lifecycle phase (bootstrap, install, startup, run, shutdown, "
                                     "recover) of a component as its systemd unit asks.",
                                     kFooter);
    RunRequest request;
    std::string phase;
    command_line.text("--component", request.component, "The component", "NAME", true);
    command_line.text("--version", request.version, "Its version", "VERSION", true);
    command_line.text("--phase", phase, "bootstrap, install, startup, run, shutdown or recover", "PHASE", true,
                      [](const std::string& name) -> std::string {
                          if (phase_from_name(name)) return {}; // any case, as recipes spell them
                          return "must be bootstrap, install, startup, run, shutdown or recover, not '" + name + "'";
                      });
    command_line.text("--recipe", request.recipe_path, "The recipe, instead of the one in the component store", "FILE");
    command_line.text("--platform", request.platform_spec, "Platform attributes over the detected ones",
                      "KEY=VALUE,...");
    command_line.text("--config", request.config_file, "A config.yaml to read when ggconfigd does not answer", "FILE");
    command_line.flag("--skipif", request.skipif_only, "Only evaluate the phase's Skipif: exit 1 to skip, 0 to run");
    if (auto status = command_line.parse(argc, argv)) {
        return *status == cli::kExitUsage ? kRunnerUsage : *status;
    }
    if (!is_valid_component_name(request.component)) {
        cli::report_usage_error("--component: invalid component name '" + request.component + "'");
        return kRunnerUsage;
    }
    request.phase = *phase_from_name(phase);
    return run_phase(request);
}
