// ggl-component-logs: `ggl component` with `logs` reading the journal, the helper program
// that ggl hands `ggl component logs` to (libexec/ggl; component_logs.hpp). Run
// directly, it is `ggl component`.
#include "front_verbs.hpp"

int main(int argc, char** argv) { return ggl::front::run_component_command(argc, argv); }
