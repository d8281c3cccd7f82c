// ggl: the command-line tool. `ggl VERB ARGS...` runs the verb with ARGS untouched; run by
// the name of one of its programs (ggl-config, ggl-recipe, ggl-bus: links to ggl), it is
// that program (cli/programs.hpp).
#include "front_verbs.hpp"

#include "ggl/cli/error_report.hpp"

#include <cstdio>
#include <string>

using namespace ggl;

int main(int argc, char** argv) {
    std::string_view invoked = argc > 0 ? argv[0] : "ggl";
    invoked = invoked.substr(invoked.rfind('/') + 1);
    if (const front::Verb* verb = front::find_verb_by_program(invoked)) {
        return verb->run(argc, argv);
    }
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
    const front::Verb* verb = front::find_verb(first);
    if (verb == nullptr) {
        std::string what = first.starts_with('-') ? "unknown option" : "unknown verb";
        return cli::report_usage_error(what + " '" + std::string(first) + "' (see 'ggl --help')");
    }
    std::string label = "ggl " + std::string(verb->name);
    cli::set_program_label(label);
    argv[1] = label.data();
    return verb->run(argc - 1, argv + 1);
}
