// The programs of the one `ggl` executable (cli/ggl/main.cpp), reached by the name it is
// run as: the command-line programs (also as `ggl VERB ...`) and the daemons. Their
// names are links to ggl, in the build's bin/ and in the install tree, and each is a
// separate process with one job, as a separate executable would be. One file carries the
// shared code, the C++ library instances and the ELF overhead once, where seven
// executables and five shared libraries each carried their own.
// Each takes the arguments after its name, argv[0] being its name or label.
#pragma once

namespace ggl::programs {

int ggl_config(int argc, char** argv);  // cli/ggl-config
int ggl_recipe(int argc, char** argv);  // cli/ggl-recipe
int ggl_bus(int argc, char** argv);     // cli/ggl-bus

int ggconfigd(int argc, char** argv);      // daemons/ggconfigd
int ggdeploymentd(int argc, char** argv);  // daemons/ggdeploymentd
int gghealthd(int argc, char** argv);      // daemons/gghealthd
int ggipcd(int argc, char** argv);         // daemons/ggipcd
int ggpubsubd(int argc, char** argv);      // daemons/ggpubsubd
int recipe_runner(int argc, char** argv);  // daemons/recipe-runner

} // namespace ggl::programs
