// The verbs of the `ggl` command (run in-process; three finish in a helper program,
// docs/cli.md), and completion.
#pragma once

#include "ggl/cli/completion.hpp"

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::front {

// A verb of ggl (docs/cli.md), run in-process: run(argc, argv) gets argv[0] = "ggl VERB".
// config, recipe and bus are programs linked in (cli/programs.hpp), also reached by
// their own names (`program`: ggl-config, a link to ggl); the others are ggl's own.
struct Verb {
    std::string_view name; // bus
    std::string_view program; // ggl-bus, or empty
    std::string_view summary;
    int (*run)(int argc, char** argv);
};

const Verb* find_verb(std::string_view name);
// The verb whose program has this name (argv[0]'s last component), if any.
const Verb* find_verb_by_program(std::string_view program);

// Every verb, in the order of the help, for completion.
std::span<const Verb> verbs();

// `ggl ARGS...` (front_command.cpp): --help, --version, `__complete WORDS...` (the
// candidates for the last word: the verbs, then the chosen verb's own CLI11 app), or
// the verb ARGS name, run with the words after it.
int run_front(int argc, char** argv);
// Component names as gghealthd lists them (component_command.cpp); none when it does
// not answer within cli::kCompletionTimeout.
std::vector<cli::Candidate> component_candidates(const cli::CompletionContext& context);

// ggl deploy (deploy_command.cpp) and ggl component (component_command.cpp).
int run_deploy_command(int argc, char** argv);
int run_component_command(int argc, char** argv);
// ggl iot (iot_command.cpp): through iotcored.
int run_iot_command(int argc, char** argv);
// ggl check's command line (check_command_line.cpp), also the main of ggl-check.
int run_check_command(int argc, char** argv);

} // namespace ggl::front
