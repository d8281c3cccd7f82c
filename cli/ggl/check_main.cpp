// ggl-check: `ggl check` with its checks, the helper program that ggl hands the command
// to (libexec/ggl; check_command.hpp). Run directly, it is `ggl check`.
#include "front_verbs.hpp"

int main(int argc, char** argv) { return ggl::front::run_check_command(argc, argv); }
