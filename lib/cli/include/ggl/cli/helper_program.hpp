// Helper programs: a verb whose work needs a library the ggl executable does not map
// (sqlite, libsystemd, libcrypto) finishes in a program of its own in ggl's libexec
// directory (docs/cli.md). ggl parses the command line; when the verb is to run, it
// replaces itself with the helper (execv: one process, the same pid), which parses the
// same words with the same definitions and does the work.
#pragma once

#include "ggl/error.hpp"

#include <string>
#include <string_view>

namespace ggl::cli {

// Where helper NAME is: ggl's libexec directory relative to the running executable's
// (GGL_HELPER_DIR: ../libexec/ggl from bin/, in the build tree as installed). Programs
// other than ggl find their own libexec programs there too (ggdeploymentd's
// artifact-installer).
std::string helper_path(std::string_view name);

// Remembers the command line a program parses (parse_command_line() calls it), the one a
// helper is given.
void remember_command_line(int argc, char** argv);

// Replaces this process with helper NAME, given the command line parse_command_line()
// parsed last, argv[0] ("ggl config", the program label) included. Returns only when it
// cannot: a FAILURE naming the helper's path and the verb (exit status 1).
Error run_in_helper(std::string_view name);

} // namespace ggl::cli
