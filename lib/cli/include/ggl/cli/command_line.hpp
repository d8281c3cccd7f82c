// Command-line parsing conventions shared by the ggl commands (built on CLI11).
#pragma once

#include "ggl/cli/output.hpp"

#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace ggl::cli {

// Parses argv into app. Returns nullopt when the program should go on, else the exit
// status to end with: 0 after --help, kExitUsage after a one-line error (never the
// whole help) that points at the failing verb's --help. Requires a verb when the
// program has any, and names an unknown one.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Adds a verb (a CLI11 subcommand) that the program's help lists under "Verbs:".
CLI::App& add_verb(CLI::App& program, const std::string& name, const std::string& summary,
                   const std::string& footer);

// Sets the text after the options in app's --help: examples, exit statuses.
void set_footer(CLI::App& app, std::string footer);

// Adds --json[=pretty|short] to app, setting format. Plain --json means pretty.
// Add it to the program and to each verb so it is accepted before or after the verb.
void add_output_option(CLI::App& app, OutputFormat& format);

} // namespace ggl::cli
