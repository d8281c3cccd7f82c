// Configuration files read into the tree: YAML or JSON files, and Greengrass v2
// config.tlog, parsed without the database (libggl-yaml) for ggconfigd and `ggl config import`.
#pragma once

#include "ggl/config_path.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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
// The errors of read_config_input (NOENTRY when the file does not exist).
Result<TlogParse> parse_tlog_file(const std::string& file);
// The lines of text, read from file: problems read "FILE:LINE: ...".
TlogParse parse_tlog_text(const std::string& file, std::string_view text);

// A config file, tlog or import larger than this is refused rather than read into memory.
inline constexpr size_t kMaxConfigFileBytes = size_t{64} << 20;
// What FILE "-" (standard input) is called in messages.
inline constexpr const char* kStandardInputName = "standard input";

// A file's whole content, read once, and the name to give it in messages.
struct ConfigInput {
    std::string name; // the path as given, or kStandardInputName
    std::string text;
};
// Reads file with a single pass, so that a pipe (/dev/stdin, <(...)) reads whole; "-"
// is standard input. NOENTRY when the file does not exist, RANGE when it holds more
// than kMaxConfigFileBytes, FAILURE otherwise; messages start with the name.
Result<ConfigInput> read_config_input(const std::string& file);

// A YAML or JSON config file (JSON when it ends in .json) whose top level is a map,
// at most kMaxConfigFileBytes. Errors start with the file name and give line and column.
Result<Map> load_config_file(const std::string& file);
// The same on text already read from file (a name only: nothing is opened).
Result<Map> parse_config_text(const std::string& file, std::string_view text);
// True when text read from file looks like a tlog (file ends in .tlog, or the first
// line of text is a JSON object with "TP" and "TS").
bool looks_like_tlog(std::string_view file, std::string_view text);

} // namespace ggl::config
