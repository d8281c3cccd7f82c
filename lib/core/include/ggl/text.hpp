// Small text helpers shared by codecs, recipes and CLIs: UTF-8 validation, base64, ASCII case,
// safe path segments.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ggl {

bool is_valid_utf8(std::string_view text);
std::string base64_encode(std::string_view data);
// nullopt when text is not canonical base64 (RFC 4648, padded).
std::optional<std::string> base64_decode(std::string_view text);
// ASCII case folding, the same in every locale (recipe keys, platform names, URI schemes).
std::string ascii_lowercase(std::string_view text);
bool ascii_iequals(std::string_view a, std::string_view b);
// One path component that cannot climb out of or alias its directory: non-empty, not "."
// or "..", no '/', no NUL or other control character (nor DEL), at most 255 bytes. The
// component store's names and versions, and every name in a ZIP artifact, must be one.
bool is_safe_path_segment(std::string_view segment);

} // namespace ggl
