// Error and warning lines on stderr, labelled with the program ("ggl bus: error: ...").
#pragma once

#include "ggl/cli/exit_code.hpp"
#include "ggl/error.hpp"

#include <string>
#include <string_view>

namespace ggl::cli {

// Names the program in every message, e.g. "ggl bus". Set once at the top of main.
void set_program_label(std::string label);
const std::string& program_label();

// Prints "<label>: error: CODE: message" and returns the exit code for the error.
ExitCode report_error(const Error& error);
// Same, with what the program was doing in front of the message:
// "<label>: error: CODE: calling gg_config.read: no such key".
ExitCode report_error(const Error& error, std::string_view context);
// Prints "<label>: error: message": for errors that have no code.
void print_error(std::string_view message);
// Prints "<label>: error: message" for a mistake in the command line; returns kExitUsage.
ExitCode report_usage_error(std::string_view message);
// Prints "<label>: warning: message".
void report_warning(std::string_view message);

} // namespace ggl::cli
