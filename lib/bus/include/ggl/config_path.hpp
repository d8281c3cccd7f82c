// Key paths and write timestamps of the configuration tree (docs/configuration.md): what
// the store, its daemon and `ggl config` share, without the database (libggl).
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::config {

using KeyPath = std::vector<std::string>;

// Timestamps (docs/configuration.md): recipe defaults, files loaded at start; runtime writes use
// wall-clock ms.
inline constexpr int64_t kRecipeDefaultTimestamp = 1;
inline constexpr int64_t kConfigFileTimestamp = 2;
int64_t now_ms();

// A bus key_path param: a list of non-empty strings. INVALID names the bad segment.
// The empty list (the root) is accepted; callers that must not act on the root check.
Result<KeyPath> key_path_from_object(const Object& value);
Object key_path_to_object(const KeyPath& path);
// "a/b/c" → [a, b, c]; empty segments ("a//b", "/a") are INVALID. "" is the root.
Result<KeyPath> key_path_from_text(std::string_view text);
// [a, b/c] → "a/b/c" for messages; ambiguity with '/' in names is acceptable there.
std::string key_path_to_text(const KeyPath& path);
// ASCII case folding, the same as sqlite's NOCASE collation that the store uses.
bool key_equal(std::string_view a, std::string_view b);
// True when `inner` is `outer` or lies below it (case-insensitively).
bool key_path_within(const KeyPath& inner, const KeyPath& outer);

} // namespace ggl::config
