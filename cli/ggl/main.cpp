// ggl: the command-line tool. `ggl VERB ARGS...` runs the verb with ARGS untouched; run by
// the name of one of its programs (ggl-config, ggl-recipe, ggl-bus: links to ggl), it is
// that program (cli/programs.hpp).
#include "front_verbs.hpp"

#include <string_view>

using namespace ggl;

int main(int argc, char** argv) {
    std::string_view invoked = argc > 0 ? argv[0] : "ggl";
    invoked = invoked.substr(invoked.rfind('/') + 1);
    if (const front::Verb* verb = front::find_verb_by_program(invoked)) {
        return verb->run(argc, argv);
    }
    return front::run_front(argc, argv);
}
