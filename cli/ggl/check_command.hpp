// ggl check's options, shared by its command line (check_command_line.cpp, in ggl and in
// the helper program ggl-check) and the checks (check_command.cpp, in ggl-check only).
#pragma once

#include "ggl/cli/output.hpp"

namespace ggl::front {

struct CheckArguments {
    cli::OutputFormat format = cli::OutputFormat::Human;
    bool ascii = false;
    bool user_scope = false;
    bool system_scope = false;
    double timeout_seconds = 2;
};

// Runs the checks and prints their findings; returns the exit status. They need
// libcrypto, sqlite and libsystemd, which the ggl executable does not map: there, this
// hands the command over to ggl-check (helper_handoffs.cpp), which parses the same words
// and runs them.
int run_checks(const CheckArguments& arguments);

} // namespace ggl::front
