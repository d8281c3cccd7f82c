// MQTT-style topic and topic filter validation and matching.
#include "ggl/topic.hpp"

#include "ggl/text.hpp"

#include <string>

namespace ggl::topic {
namespace {

std::string shown(std::string_view text) {
    constexpr size_t kShown = 80;
    if (text.size() <= kShown) {
        return "\"" + std::string(text) + "\"";
    }
    return "\"" + std::string(text.substr(0, kShown)) + "...\"";
}

Result<void> validate_text(std::string_view text, const char* what) {
    if (text.empty()) {
        return make_error(ErrorCode::Invalid, std::string(what) + " is empty");
    }
    if (text.size() > kMaxTopicBytes) {
        return make_error(ErrorCode::Invalid, std::string(what) + " is " + std::to_string(text.size()) +
                                                  " bytes long; the limit is " + std::to_string(kMaxTopicBytes));
    }
    if (text.find('\0') != std::string_view::npos) {
        return make_error(ErrorCode::Invalid, std::string(what) + " " + shown(text) + " contains a NUL character");
    }
    if (!is_valid_utf8(text)) {
        return make_error(ErrorCode::Invalid, std::string(what) + " is not valid UTF-8");
    }
    return {};
}

} // namespace

Result<void> validate_topic(std::string_view topic) {
    if (auto ok = validate_text(topic, "topic"); !ok) {
        return ok;
    }
    size_t wildcard = topic.find_first_of("+#");
    if (wildcard != std::string_view::npos) {
        return make_error(ErrorCode::Invalid, "topic " + shown(topic) + " contains the wildcard '" +
                                                  std::string(1, topic[wildcard]) +
                                                  "'; wildcards are for topic filters, not for publishing");
    }
    return {};
}

Result<void> validate_filter(std::string_view filter) {
    if (auto ok = validate_text(filter, "topic filter"); !ok) {
        return ok;
    }
    size_t number = 0;
    Result<void> outcome;
    for_each_level(filter, [&](std::string_view level, bool last) {
        ++number;
        if (!outcome.ok()) {
            return;
        }
        if (level.size() > 1 && level.find_first_of("+#") != std::string_view::npos) {
            char wildcard = level[level.find_first_of("+#")];
            outcome = make_error(ErrorCode::Invalid, "topic filter " + shown(filter) + ": '" +
                                                         std::string(1, wildcard) + "' must fill a whole level, not " +
                                                         shown(level) + " (level " + std::to_string(number) + ")");
        } else if (level == "#" && !last) {
            outcome = make_error(ErrorCode::Invalid, "topic filter " + shown(filter) +
                                                         ": '#' must be the last level (it is level " +
                                                         std::to_string(number) + ")");
        }
    });
    return outcome;
}

bool covers(std::string_view pattern, std::string_view filter) {
    constexpr auto npos = std::string_view::npos;
    size_t p = 0;
    size_t f = 0;
    for (;;) {
        size_t p_end = pattern.find('/', p);
        std::string_view p_level = pattern.substr(p, p_end == npos ? npos : p_end - p);
        if (p_level == "#") {
            return true; // the rest, including nothing ("a/#" covers "a")
        }
        if (f == npos) {
            return false; // the filter ended first: "a/b" does not cover "a"
        }
        size_t f_end = filter.find('/', f);
        std::string_view f_level = filter.substr(f, f_end == npos ? npos : f_end - f);
        if (f_level == "#") {
            return false; // only "#" covers "#"
        }
        if (p_level != "+" && p_level != f_level) {
            return false; // a literal covers only itself ("a" does not cover "+")
        }
        f = f_end == npos ? npos : f_end + 1;
        if (p_end == npos) {
            return f == npos;
        }
        p = p_end + 1;
    }
}

bool matches(std::string_view filter, std::string_view topic) { return covers(filter, topic); }

} // namespace ggl::topic
