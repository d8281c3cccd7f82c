// recipe-runner: what a component unit's ExecStart/ExecStop/ExecCondition runs for one phase.
#include "phase_runner.hpp"

#include "ggl/log.hpp"

#include <getopt.h>

#include <cstdio>
#include <cstring>

using namespace ggl;
using namespace ggl::runner;

namespace {

constexpr const char* kUsage =
    "Usage: recipe-runner --component NAME --version VERSION --phase PHASE\n"
    "                     [--recipe FILE] [--platform KEY=VALUE,...] [--config FILE] [--skipif]\n"
    "\n"
    "Runs one lifecycle phase (bootstrap, install, startup, run, shutdown, recover) of a\n"
    "component as its systemd unit asks: reads the recipe (FILE, else\n"
    "$GGL_ROOT/packages/recipes/NAME-VERSION.{yaml,json}), selects the manifest for this\n"
    "platform, reads the configuration from ggconfigd (else --config, else\n"
    "$GGL_CONFIG_DIR/config.yaml, over the recipe defaults), sets Setenv, changes to\n"
    "$GGL_ROOT/work/NAME and execs /bin/sh -c SCRIPT with the variables substituted.\n"
    "--skipif only evaluates the phase's Skipif: exit 1 to skip, 0 to run.\n"
    "\n"
    "Exit status: that of the script; 1 the phase could not start (or --skipif: skip);\n"
    "2 usage error.\n";

} // namespace

int main(int argc, char** argv) {
    RunRequest request;
    std::string phase;
    const option options[] = {
        {"component", required_argument, nullptr, 'c'}, {"version", required_argument, nullptr, 'v'},
        {"phase", required_argument, nullptr, 'p'},     {"recipe", required_argument, nullptr, 'r'},
        {"platform", required_argument, nullptr, 'P'},  {"config", required_argument, nullptr, 'C'},
        {"skipif", no_argument, nullptr, 's'},          {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    int option_char;
    while ((option_char = ::getopt_long(argc, argv, "h", options, nullptr)) != -1) {
        switch (option_char) {
        case 'c': request.component = optarg; break;
        case 'v': request.version = optarg; break;
        case 'p': phase = optarg; break;
        case 'r': request.recipe_path = optarg; break;
        case 'P': request.platform_spec = optarg; break;
        case 'C': request.config_file = optarg; break;
        case 's': request.skipif_only = true; break;
        case 'h': std::fputs(kUsage, stdout); return 0;
        default: std::fputs(kUsage, stderr); return kRunnerUsage;
        }
    }
    auto parsed_phase = phase_from_name(phase);
    if (optind != argc || request.component.empty() || request.version.empty() || !parsed_phase) {
        std::fprintf(stderr, "recipe-runner: error: %s\n%s",
                     optind != argc ? "unexpected argument" : "--component, --version and a valid --phase are required",
                     kUsage);
        return kRunnerUsage;
    }
    if (!is_valid_component_name(request.component)) {
        std::fprintf(stderr, "recipe-runner: error: invalid component name\n");
        return kRunnerUsage;
    }
    request.phase = *parsed_phase;
    return run_phase(request);
}
