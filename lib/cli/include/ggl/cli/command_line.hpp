// Command-line conventions shared by the ggl commands, on CLI11 (CLI::App).
//
// CLI11 reports through exceptions: a program or library that includes this header is
// built with them as a whole (ggl_cli11_targets(), top-level CMakeLists.txt), and
// parse_command_line() catches CLI::ParseError at the parse, so none leaves it. The
// daemons, built without exceptions, use ggl/cli/program_options.hpp instead.
#pragma once

#include "ggl/cli/completion.hpp"
#include "ggl/cli/output.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ggl::cli {

// Parses argv into app (with --version on the program, the --help of ggl (help_text()),
// and app's name as the label of error lines, set_program_label()). Returns nullopt
// when the program should go on, else the exit status to end with: 0 after --help or
// --version, kExitUsage after a one-line error (never the whole help) that points at
// the failing verb's --help: "ggl config: error: --timeout: must be a positive number
// of seconds, not '0' (see 'ggl config get --help')". A command that has verbs needs
// one. `PROGRAM __complete WORDS...` prints shell completions for WORDS instead
// (completion.hpp) and returns 0. argv is what a helper program is then given
// (helper_program.hpp).
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// The --help text of app, as parse_command_line() prints it: description, usage,
// positionals, options, verbs, footer.
std::string help_text(const CLI::App& app);

// Checks (app.add_option(...)->check(...)), each failing with "must be ..., not 'VALUE'",
// which the usage error puts after the option's name.
CLI::Validator positive_seconds(); // a number of seconds, fractions allowed: > 0 and < 1e9
CLI::Validator positive_integer(); // a whole number >= 1
CLI::Validator non_negative_integer(); // a whole number >= 0
CLI::Validator integer_in(int64_t low, int64_t high);
// The only values accepted; completion offers them.
CLI::Validator choices(std::vector<std::string> values);

// What the shell completes a value with, also given as a check that accepts anything:
// the candidates of completer, or file names. An option whose type name is FILE or
// PATH (files) or DIR (directories) completes those unasked.
CLI::Validator completer(Completer completer);
CLI::Validator file_names();

// Sets the text after the options in app's --help: examples, exit statuses.
void set_footer(CLI::App& app, std::string footer);

// One entry of a program's verb table: its name, one-line summary and --help footer,
// the function that gives its command options, and the one that runs it (Run: a
// function pointer taking what the program passes, e.g. int (*)(const Arguments&)).
template <typename Arguments, typename Run>
struct VerbEntry {
    const char* name;
    const char* summary;
    const char* footer;
    void (*add_arguments)(CLI::App& verb, Arguments& arguments);
    Run run;
};

// Adds a verb that the program's help lists under "Verbs:".
CLI::App& add_verb(CLI::App& program, const std::string& name, const std::string& summary, const std::string& footer);

// Adds each verb of a program's verb table (entries with name, summary and footer);
// add_arguments(verb, command) then gives the verb's command its options.
template <typename Verbs, typename AddArguments>
void add_verbs(CLI::App& program, const Verbs& verbs, AddArguments&& add_arguments) {
    for (const auto& verb : verbs) {
        add_arguments(verb, add_verb(program, verb.name, verb.summary, verb.footer));
    }
}

// The name of the verb the parsed command line chose; empty when it chose none.
std::string chosen_verb(const CLI::App& program);
// The usage error for a command line that names no verb.
int report_missing_verb(const CLI::App& program);

// Parses argv into program, then returns run(verb) for the verb it chose, or the exit
// status that parsing ended with (--help, a usage error).
template <typename Verbs, typename Run>
int parse_and_run_verb(CLI::App& program, int argc, char** argv, const Verbs& verbs, Run&& run) {
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

// What a program with verbs says of itself: its name as typed ("ggl config", also the
// label of its error lines), the one line its --help starts with, and its --help footer.
struct ProgramText {
    const char* name;
    const char* description;
    const char* footer;
};

// The whole of a program whose verbs are entries with name, summary, footer and
// add_arguments(command, arguments): the program made from text, global options
// (add_global_options(app, global)) on it and on every verb (so they work before or after
// the verb), each verb's own options, then parse and return run(verb) for the chosen verb.
template <typename Verbs, typename Global, typename Arguments, typename AddGlobalOptions, typename Run>
int run_verb_program(const ProgramText& text, int argc, char** argv, const Verbs& verbs, Global& global,
                     Arguments& arguments, AddGlobalOptions&& add_global_options, Run&& run) {
    CLI::App program{text.description, text.name};
    set_footer(program, text.footer);
    add_global_options(program, global);
    add_verbs(program, verbs, [&](const auto& verb, CLI::App& command) {
        add_global_options(command, global);
        verb.add_arguments(command, arguments);
    });
    return parse_and_run_verb(program, argc, argv, verbs, run);
}

// The same for verbs that share one Arguments value, global options included, and run
// as run(arguments).
template <typename Verbs, typename Arguments, typename AddGlobalOptions>
int run_verb_program(const ProgramText& text, int argc, char** argv, const Verbs& verbs, Arguments& arguments,
                     AddGlobalOptions&& add_global_options) {
    return run_verb_program(text, argc, argv, verbs, arguments, arguments, add_global_options,
                            [&](const auto& verb) { return verb.run(arguments); });
}

// Adds --json[=pretty|short] to app, setting format. Plain --json means pretty.
// Add it to the program and to each verb so it is accepted before or after the verb.
void add_output_option(CLI::App& app, OutputFormat& format);

// Adds --timeout SECONDS to app, setting seconds (positive_seconds()); description says
// what is waited for and the default.
void add_timeout_option(CLI::App& app, double& seconds, const std::string& description);

} // namespace ggl::cli
