// systemd units for a component (docs/recipes-and-units.md): ggl.<name>.service and its phase units.
#pragma once

#include "ggl/device_settings.hpp"
#include "ggl/error.hpp"
#include "ggl/interpolation.hpp"
#include "ggl/recipe.hpp"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ggl {

struct UnitOptions {
    std::string runner_path; // recipe-runner, beside the daemons (env::executable_dir())
    std::string root_path; // WorkingDirectory=<root>/work/<name>; what the runner gets as GGL_ROOT
    std::string runtime_dir; // IPC socket directory; what the runner gets as GGL_RUNTIME_DIR
    std::optional<std::string> thing_name;
    std::string aws_region;
    std::string nucleus_version = "2.14.0"; // GGC_VERSION: the Greengrass API level served
    // runWith posixUser "user" or "user:group"; empty: the service manager's own user.
    std::string posix_user;
    // Extra GGL_* variables the runner must see to reach the daemons (non-default paths).
    std::vector<std::pair<std::string, std::string>> runner_environment;
    // Given to the runner as --platform so that it selects the same manifest.
    std::string platform_override;
    // Given to the runner as --recipe; empty: the store copy
    // <root>/packages/recipes/<name>-<version>.{yaml,json} is read.
    std::string recipe_path;
    // The component's configuration, for Timeout/RequiresPrivilege given as variables.
    Object configuration = Map{};
    // TES endpoint port for AWS_CONTAINER_CREDENTIALS_FULL_URI, when the component
    // depends on aws.greengrass.TokenExchangeService.
    int tes_port = 2020;
};

// The options every caller starts from: the runner beside the calling program, the runtime
// directory of this environment, the device's identity and runWith user from settings, and
// of the variables named in pass_through those that are set (and not empty), so that the
// runner reaches the same daemons and files as the caller. The caller adds the rest
// (configuration, platform, recipe path).
UnitOptions device_unit_options(const DeviceSettings& settings, std::initializer_list<const char*> pass_through);

struct UnitFile {
    std::string name; // "ggl.com.example.Hello.service"
    std::string text;
};

// The units of the selected manifest: always ggl.<name>.service (run or startup, or
// an empty oneshot when neither exists so dependents have something to order after),
// plus ggl.<name>.install.service, .bootstrap.service and .recover.service when those
// phases exist. The scripts are not in the units: ExecStart runs
// `recipe-runner --component NAME --version V --phase PHASE`, which reads the recipe,
// so the script reaches /bin/sh byte for byte and sees the configuration current at
// start. INVALID naming the key path for values that cannot be expressed safely.
Result<std::vector<UnitFile>> generate_units(const Recipe& recipe, const Manifest& manifest,
                                             const UnitOptions& options);

// Components the ggl daemons provide themselves (the nucleus, token exchange): they have
// no units, and a dependency on them is always met.
bool is_builtin_component(std::string_view name);

// "ggl.<name>.service", "ggl.<name>.install.service", ...
std::string unit_name(std::string_view component, std::string_view suffix = "");

// Whether file_name is one of the units generate_units can write for component
// (ggl.<name>.service, or its .bootstrap, .install or .recover unit). Not fooled by a
// component whose name extends this one (ggl.com.example.A.B.service is not A's).
bool is_unit_of_component(std::string_view file_name, std::string_view component);

// Unit-file quoting: one argument of an Exec line ("..." with C escapes, %% and $$),
// and free text for Description= (one line, %%).
std::string unit_quote_exec_argument(std::string_view argument);
std::string unit_quote_environment(std::string_view assignment);
std::string unit_escape_text(std::string_view text);

} // namespace ggl
