// `ggl component logs`: a component's lines from the journal, through libsystemd, which
// the ggl executable does not map.
#pragma once

#include "ggl/cli/output.hpp"

#include <cstddef>
#include <string>

namespace ggl::front {

// Prints the last `lines` lines of the processes logging as identifier NAME, then with
// follow the new ones until Ctrl-C; returns the exit status. In the helper program
// ggl-component-logs (component_logs.cpp); in the ggl executable it hands the command
// over to that helper (helper_handoffs.cpp), which parses the same words and runs it.
int run_component_logs(const std::string& name, size_t lines, bool follow, cli::OutputFormat format);

} // namespace ggl::front
