// config::Client, the name daemons knew gg_config's typed client by: now services::ConfigClient
// (ggl/services/config.hpp).
#pragma once

#include "ggl/services/config.hpp"

namespace ggl::config {
using Client = services::ConfigClient;
} // namespace ggl::config
