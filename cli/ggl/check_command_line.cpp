// `ggl check`'s command line: its options, --help, usage errors and completion, in ggl and
// in the helper program ggl-check alike; the checks themselves are run_checks().
#include "check_command.hpp"
#include "front_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"

namespace ggl::front {
namespace {

constexpr const char* kFooter = R"(Checks, in order: the configuration (read through ggconfigd, else from its
database file): system/thingName, the device certificate, private key and root CA
(readable, the key matching the certificate, the certificate valid and not expiring
within 30 days), the AWS IoT endpoints, the root path; free disk space and inodes
under the root path (and under $GGL_ROOT when it is another filesystem); the clock;
each daemon answering on the bus (ggconfigd, gghealthd, ggdeploymentd, and where
installed ggpubsubd, iotcored, tesd, and ggipcd's IPC socket); their systemd units;
components in the BROKEN state.

Each check prints one line: ✓ ok, ‼ warning, × error, – skipped (because of a problem
another line reports), with what to do for warnings and errors on the line below. On a
terminal that is not UTF-8, or with --ascii, the marks are [ OK ] [WARN] [FAIL] [SKIP].
--json prints a list of {check, status (ok|warning|error|skipped), detail, remedy}.

Examples:
  ggl check
  ggl check --user --json=short
  sudo -u ggcore ggl check     # the identity files as the daemons' user reads them

Exit status: 0 no errors (warnings allowed); 1 at least one error; 2 usage error.)";

} // namespace

int run_check_command(int argc, char** argv) {
    CLI::App app{"Check that this device's configuration, identity, clock, disk, daemons and components are healthy.",
                 "ggl check"};
    cli::set_footer(app, kFooter);
    CheckArguments arguments;
    cli::add_output_option(app, arguments.format);
    app.add_flag("--ascii", arguments.ascii, "Mark findings with [ OK ] [WARN] [FAIL] [SKIP] instead of ✓ ‼ × –");
    app.add_flag("--user", arguments.user_scope,
                 "The daemons' units are in the user service manager (default: $GGL_SYSTEMD_SCOPE)");
    app.add_flag("--system", arguments.system_scope, "The daemons' units are in the system service manager");
    cli::add_timeout_option(app, arguments.timeout_seconds, "Seconds to wait for each daemon (default 2)");
    if (auto status = cli::parse_command_line(app, argc, argv)) {
        return *status;
    }
    if (arguments.user_scope && arguments.system_scope) {
        return cli::report_usage_error("--user and --system exclude each other (see 'ggl check --help')");
    }
    return run_checks(arguments);
}

} // namespace ggl::front
