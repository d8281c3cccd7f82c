// msgpack encoding and bounded decoding of Objects, on msgpack-c.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <string>
#include <string_view>

namespace ggl {

// Nesting deeper than this is refused when decoding (docs/bus.md).
inline constexpr size_t kMaxDecodeDepth = 32;

// Appends the msgpack encoding of value to out.
void msgpack_append(const Object& value, std::string& out);
void msgpack_append(const Map& value, std::string& out);
std::string msgpack_encode(const Object& value);

// Decodes exactly one msgpack object spanning all of data.
// Total and bounded: malformed, truncated or trailing input, nesting deeper than
// kMaxDecodeDepth and element counts that the remaining bytes cannot hold are PARSE
// errors; unsigned integers above INT64_MAX are RANGE; ext types are UNSUPPORTED.
// Nothing is allocated before the input is known to be well formed.
Result<Object> msgpack_decode(std::string_view data);

} // namespace ggl
