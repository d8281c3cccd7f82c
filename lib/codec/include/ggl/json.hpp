// Conversion between Objects and JSON text (CLIs, records, config import/export).
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <string>
#include <string_view>

namespace ggl {

enum class JsonStyle { Pretty, Short };

// Strings that are not valid UTF-8, and bytes that are not, are written as base64 text.
// Non-finite floats are written as null (JSON has no NaN or infinity).
std::string to_json(const Object& value, JsonStyle style = JsonStyle::Short);

// Integers that fit i64 become I64, others F64; a PARSE error names line and column.
Result<Object> from_json(std::string_view text);

// The offset of the '"' that closes the JSON string opening at text[open] (backslash
// escapes skipped), or text.size() when the string is not closed.
size_t json_string_end(std::string_view text, size_t open);

} // namespace ggl
