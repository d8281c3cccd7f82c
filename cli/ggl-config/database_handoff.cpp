// `ggl config --db` in the ggl executable, which does not map sqlite: the command goes
// on in the helper program ggl-config-db (libexec/ggl), which parses the same words
// (config_access.hpp).
#include "config_access.hpp"

#include "ggl/cli/helper_program.hpp"

namespace ggl::config_cli {

Result<void> reach_database() { return cli::run_in_helper("ggl-config-db"); }

Result<std::unique_ptr<ConfigAccess>> make_database_access(const std::string&) {
    return cli::run_in_helper("ggl-config-db");
}

Result<std::unique_ptr<ConfigAccess>> open_database_for_completion(const std::string&) {
    return cli::run_in_helper("ggl-config-db");
}

} // namespace ggl::config_cli
