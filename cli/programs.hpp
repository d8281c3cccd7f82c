// The command-line programs linked into the `ggl` executable (cli/ggl), each run as a verb
// (`ggl config ...`) or by its own name (`ggl-config ...`, a link to ggl). Each takes the
// arguments after its name, argv[0] being its name or label.
#pragma once

namespace ggl::programs {

int ggl_config(int argc, char** argv); // cli/ggl-config
int ggl_recipe(int argc, char** argv); // cli/ggl-recipe
int ggl_bus(int argc, char** argv); // cli/ggl-bus

} // namespace ggl::programs
