// Small text helpers shared by codecs and CLIs: UTF-8 validation, base64.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ggl {

bool is_valid_utf8(std::string_view text);
std::string base64_encode(std::string_view data);
// nullopt when text is not canonical base64 (RFC 4648, padded).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace ggl
