// JSON objects given on the command line, or on standard input as "-".
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <string_view>

namespace ggl::cli {

// Input larger than this is refused rather than read into memory.
inline constexpr size_t kMaxJsonInput = 64u << 20;

// Parses argument as a JSON object, or reads standard input when it is "-".
// `what` names the argument in errors ("params"). Errors are local PARSE (not JSON)
// or INVALID (JSON, but not an object), which exit_code_for maps to a usage error.
Result<Map> read_json_object(std::string_view argument, std::string_view what);

} // namespace ggl::cli
