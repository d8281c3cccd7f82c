// ggl: the front command. `ggl VERB ARGS...` runs the ggl-VERB program with ARGS untouched.
#include "front_verbs.hpp"

#include "ggl/cli/error_report.hpp"

#include <cstdio>
#include <string>

using namespace ggl;

int main(int argc, char** argv) {
    cli::set_program_label("ggl");
    if (argc < 2) {
        return cli::report_usage_error("no verb given (see 'ggl --help')");
    }
    std::string_view first = argv[1];
    if (first == "--help" || first == "-h") {
        front::print_help(stdout);
        return cli::kExitOk;
    }
    if (first == cli::kCompleteVerb) {
        return front::run_completion(argc - 2, argv + 2);
    }
    if (first == "--version") {
        std::printf("ggl %s\n", GGL_VERSION);
        return cli::kExitOk;
    }
    if (const front::BuiltinVerb* builtin = front::find_builtin_verb(first)) {
        std::string label = "ggl " + std::string(builtin->name);
        cli::set_program_label(label);
        argv[1] = label.data();
        return builtin->run(argc - 1, argv + 1);
    }
    const front::ProgramVerb* verb = front::find_verb(first);
    if (verb == nullptr) {
        std::string what = first.starts_with('-') ? "unknown option" : "unknown verb";
        return cli::report_usage_error(what + " '" + std::string(first) + "' (see 'ggl --help')");
    }
    return front::exec_verb(*verb, argv + 2);
}
