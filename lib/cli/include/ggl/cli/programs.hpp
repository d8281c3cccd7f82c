// The command-line programs linked into the one `ggl` executable. Each is reached as
// `ggl VERB ...` or by its own name, ggl-VERB, a link to ggl (cli/ggl/main.cpp picks by
// argv[0]). Each takes the arguments after its name, argv[0] being its label.
#pragma once

namespace ggl::cli {

int config_program(int argc, char** argv);  // ggl-config (cli/ggl-config)
int recipe_program(int argc, char** argv);  // ggl-recipe (cli/ggl-recipe)
int bus_program(int argc, char** argv);     // ggl-bus (cli/ggl-bus)

} // namespace ggl::cli
