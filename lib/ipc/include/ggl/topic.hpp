// MQTT-style topics and topic filters (`+` one level, `#` the rest): validation with
// messages naming the fault, and matching. Used by ggpubsubd and by IPC policies.
#pragma once

#include "ggl/error.hpp"

#include <cstddef>
#include <string_view>

namespace ggl::topic {

// MQTT's limit for a UTF-8 string; also far above anything a bus frame should carry.
inline constexpr size_t kMaxTopicBytes = 65535;

// A topic to publish to: non-empty, at most kMaxTopicBytes, valid UTF-8 without NUL,
// and no wildcard characters. INVALID with the reason otherwise.
Result<void> validate_topic(std::string_view topic);

// A topic filter to subscribe with: as a topic, but `+` may fill a whole level and `#`
// may fill the last level. INVALID with the reason otherwise.
Result<void> validate_filter(std::string_view filter);

// Whether a valid topic matches a valid filter. `a/#` also matches `a` (MQTT 4.7.1.2);
// levels may be empty (`a//b`), and an empty level is matched by `+`.
bool matches(std::string_view filter, std::string_view topic);

// Whether every topic that `filter` matches is also matched by `pattern` (both valid
// filters): "a/#" covers "a/+/c" and "a", "+/b" covers "x/b", "a/+" does not cover "a/#".
// For a filter without wildcards (a topic) this is matches(pattern, filter).
bool covers(std::string_view pattern, std::string_view filter);

// Splits on '/': calls fn(level, is_last) for each level, the empty ones included.
template <typename Fn>
void for_each_level(std::string_view text, Fn&& fn) {
    size_t start = 0;
    for (;;) {
        size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) {
            fn(text.substr(start), true);
            return;
        }
        fn(text.substr(start, slash - start), false);
        start = slash + 1;
    }
}

} // namespace ggl::topic
