// In the ggl executable: the parts of `ggl check` and `ggl component logs` that need
// libcrypto, sqlite or libsystemd, which ggl does not map, hand the command over to their
// helper programs in libexec/ggl (docs/cli.md), which parse the same words and run them.
#include "check_command.hpp"
#include "component_logs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/helper_program.hpp"

namespace ggl::front {

int run_checks(const CheckArguments&) { return cli::report_error(cli::run_in_helper("ggl-check")); }

int run_component_logs(const std::string&, size_t, bool, cli::OutputFormat) {
    return cli::report_error(cli::run_in_helper("ggl-component-logs"));
}

} // namespace ggl::front
