// Shared by the YAML loader and emitter: UTF-8 decoding and the core schema's typing of scalars (yaml_scalar.cpp).
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ggl::yaml_detail {

constexpr std::string_view yaml_tag_prefix = "tag:yaml.org,2002:";

bool is_dec(char c);

// The code point at s[i], advancing i; nullopt (i advanced by one) on an invalid sequence.
std::optional<char32_t> decode_utf8(std::string_view s, size_t& i);
std::string repair_utf8(std::string_view s);
// Characters libyaml accepts in a document and that never act as a line break.
bool is_printable(char32_t cp);

enum class CoreType { Null, Bool, Int, Float, String };
CoreType core_type(std::string_view s);

// Quotes text for an error message, escaping what would garble a terminal, and cut short.
std::string quoted(std::string_view s);
// "!!int" for the standard tags, the tag as written for others.
std::string tag_name(std::string_view tag);
// The Object a scalar stands for; tag is null when the scalar has none.
Result<Object> scalar_value(std::string_view text, const char* tag, bool plain);

} // namespace ggl::yaml_detail
