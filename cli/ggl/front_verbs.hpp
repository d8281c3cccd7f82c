// The verbs of the `ggl` front command and the programs that implement them.
#pragma once

#include "ggl/cli/completion.hpp"

#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::front {

// Exit statuses for a verb whose program cannot run, as a shell reports them.
inline constexpr int kExitProgramNotRunnable = 126;
inline constexpr int kExitProgramNotFound = 127;

struct ProgramVerb {
    std::string_view name;     // ggl bus
    std::string_view program;  // ggl-bus
    std::string_view summary;
};

const ProgramVerb* find_verb(std::string_view name);

// Verbs built into ggl itself (DESIGN §3): run(argc, argv) gets argv[0] = "ggl VERB".
struct BuiltinVerb {
    std::string_view name;
    std::string_view summary;
    int (*run)(int argc, char** argv);
};

const BuiltinVerb* find_builtin_verb(std::string_view name);

// Every verb of the tables, for completion.
std::span<const ProgramVerb> program_verbs();
std::span<const BuiltinVerb> builtin_verbs();

// ggl __complete WORDS... (completion_command.cpp): the candidates for the last word,
// from the verb tables and then the chosen verb's own command line tree.
int run_completion(int count, char** words);
// Component names as gghealthd lists them (component_command.cpp); none when it does
// not answer within cli::kCompletionTimeout.
std::vector<cli::Candidate> component_candidates(const cli::CompletionContext& context);

// ggl deploy (deploy_command.cpp) and ggl component (component_command.cpp).
int run_deploy_command(int argc, char** argv);
int run_component_command(int argc, char** argv);
// ggl check (check_command.cpp).
int run_check_command(int argc, char** argv);

// The verb's program beside this executable, else on PATH.
std::optional<std::string> find_program(std::string_view program);

// Replaces this process with the verb's program, passing args (argc-style, null-ended)
// untouched. Returns only on failure, with the exit status after reporting it.
int exec_verb(const ProgramVerb& verb, char** args);

// Lists the verbs whose programs are installed.
void print_help(std::FILE* out);

} // namespace ggl::front
