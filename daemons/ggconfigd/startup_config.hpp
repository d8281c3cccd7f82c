// The configuration files read at start: config.yaml, then config.d in name order.
#pragma once

#include "ggl/config_store.hpp"

#include <string>

namespace ggl::configd {

// Writes each file at timestamp 2 (docs/configuration.md), one transaction per file. A file that
// cannot be read or merged is logged with its name, line and column, and skipped: the
// daemon still serves what is stored. Returns the number of files that failed.
size_t load_startup_config(config::ConfigStore& store, const std::string& config_dir);

} // namespace ggl::configd
