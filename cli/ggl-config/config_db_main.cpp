// ggl-config-db: `ggl config` with the database file (--db) reachable, the helper program
// that ggl hands such a command to (libexec/ggl; config_access.hpp). Run directly, it is
// `ggl config`.
#include "programs.hpp"

int main(int argc, char** argv) { return ggl::programs::ggl_config(argc, argv); }
