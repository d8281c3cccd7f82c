// Command-line conventions shared by the ggl commands (on the parser of command.hpp).
#pragma once

#include "ggl/cli/command.hpp"
#include "ggl/cli/output.hpp"

#include <optional>
#include <string>

namespace ggl::cli {

// Parses argv into app (Command::parse, with --version on the program, and app's name
// as the label of error lines, set_program_label()). Returns nullopt when the program
// should go on, else the exit status to end with: 0 after --help, kExitUsage after a
// one-line error (never the whole help) that points at the failing verb's --help.
// `PROGRAM __complete WORDS...` prints shell completions for WORDS instead
// (completion.hpp) and returns 0.
std::optional<int> parse_command_line(Command& app, int argc, char** argv);

// One entry of a program's verb table: its name, one-line summary and --help footer,
// the function that gives its command options, and the one that runs it (Run: a
// function pointer taking what the program passes, e.g. int (*)(const Arguments&)).
template <typename Arguments, typename Run>
struct VerbEntry {
    const char* name;
    const char* summary;
    const char* footer;
    void (*add_arguments)(Command& verb, Arguments& arguments);
    Run run;
};

// Adds a verb that the program's help lists under "Verbs:".
Command& add_verb(Command& program, const std::string& name, const std::string& summary,
                   const std::string& footer);

// Adds each verb of a program's verb table (entries with name, summary and footer);
// add_arguments(verb, command) then gives the verb's command its options.
template <typename Verbs, typename AddArguments>
void add_verbs(Command& program, const Verbs& verbs, AddArguments&& add_arguments) {
    for (const auto& verb : verbs) {
        add_arguments(verb, add_verb(program, verb.name, verb.summary, verb.footer));
    }
}

// The name of the verb the parsed command line chose; empty when it chose none.
std::string chosen_verb(const Command& program);
// The usage error for a command line that names no verb.
int report_missing_verb(const Command& program);

// Parses argv into program, then returns run(verb) for the verb it chose, or the exit
// status that parsing ended with (--help, a usage error).
template <typename Verbs, typename Run>
int parse_and_run_verb(Command& program, int argc, char** argv, const Verbs& verbs, Run&& run) {
    if (auto status = parse_command_line(program, argc, argv)) {
        return *status;
    }
    std::string chosen = chosen_verb(program);
    for (const auto& verb : verbs) {
        if (chosen == verb.name) {
            return run(verb);
        }
    }
    return report_missing_verb(program);
}

// The whole of a program whose verbs (entries with name, summary, footer,
// add_arguments(command, arguments) and run(arguments)) share one Arguments value:
// global options on the program and on every verb (so they work before or after the
// verb), each verb's own options, then parse and run the chosen verb.
template <typename Verbs, typename Arguments, typename AddGlobalOptions>
int run_verb_program(Command& program, int argc, char** argv, const Verbs& verbs, Arguments& arguments,
                     AddGlobalOptions&& add_global_options) {
    add_global_options(program, arguments);
    add_verbs(program, verbs, [&](const auto& verb, Command& command) {
        add_global_options(command, arguments);
        verb.add_arguments(command, arguments);
    });
    return parse_and_run_verb(program, argc, argv, verbs, [&](const auto& verb) { return verb.run(arguments); });
}

// Sets the text after the options in app's --help: examples, exit statuses.
void set_footer(Command& app, std::string footer);

// Adds --json[=pretty|short] to app, setting format. Plain --json means pretty.
// Add it to the program and to each verb so it is accepted before or after the verb.
void add_output_option(Command& app, OutputFormat& format);

} // namespace ggl::cli
