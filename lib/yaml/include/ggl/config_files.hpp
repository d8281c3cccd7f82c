// Configuration files read into the tree: YAML or JSON files, and Greengrass v2
// config.tlog, parsed without the database (libggl-yaml) for ggconfigd and `ggl config import`.
#pragma once

#include "ggl/config_path.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ggl::config {

// One parsed tlog line; shared by the direct import and the one over the bus.
struct TlogEntry {
    size_t line = 0;
    int64_t timestamp = 0;
    KeyPath key_path;
    enum class Kind { Changed, Removed, InteriorAdded, Ignored } kind = Kind::Changed;
    Object value;
};
struct TlogParse {
    std::vector<TlogEntry> entries;
    std::vector<std::string> problems;
};
// NOENTRY when the file cannot be read.
Result<TlogParse> parse_tlog_file(const std::string& file);

// A YAML or JSON config file (JSON when it ends in .json) whose top level is a map.
// Errors start with the file name and give line and column.
Result<Map> load_config_file(const std::string& file);
// True when the file looks like a tlog (name ends in .tlog, or its first line is a
// JSON object with "TP").
bool looks_like_tlog(const std::string& file);

} // namespace ggl::config
