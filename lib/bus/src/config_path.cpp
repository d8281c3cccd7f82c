// Key paths and timestamps of the configuration tree (ggl/config_path.hpp).
#include "ggl/config_path.hpp"

#include <chrono>

namespace ggl::config {

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<KeyPath> key_path_from_object(const Object& value) {
    const List* list = value.if_list();
    if (!list) {
        return make_error(ErrorCode::Invalid,
                          "key_path must be a list of strings, not " + std::string(type_name(value.type())));
    }
    KeyPath path;
    path.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) {
        const Object& segment = (*list)[i];
        if (!segment.is_buffer()) {
            return make_error(ErrorCode::Invalid, "key_path[" + std::to_string(i) + "] must be a string, not " +
                                                      std::string(type_name(segment.type())));
        }
        if (segment.as_buffer().empty()) {
            return make_error(ErrorCode::Invalid, "key_path[" + std::to_string(i) + "] is empty");
        }
        path.emplace_back(segment.as_buffer());
    }
    return path;
}

Object key_path_to_object(const KeyPath& path) {
    List list;
    list.reserve(path.size());
    for (const auto& segment : path) {
        list.emplace_back(segment);
    }
    return list;
}

Result<KeyPath> key_path_from_text(std::string_view text) {
    KeyPath path;
    if (text.empty()) {
        return path;
    }
    size_t start = 0;
    for (;;) {
        size_t slash = text.find('/', start);
        std::string_view segment = text.substr(start, slash == std::string_view::npos ? text.npos : slash - start);
        if (segment.empty()) {
            return make_error(ErrorCode::Invalid, "key path '" + std::string(text) + "' has an empty segment " +
                                                      "(use --path '[\"a\",\"b/c\"]' for names holding '/')");
        }
        path.emplace_back(segment);
        if (slash == std::string_view::npos) {
            return path;
        }
        start = slash + 1;
    }
}

std::string key_path_to_text(const KeyPath& path) {
    std::string text;
    for (const auto& segment : path) {
        if (!text.empty()) {
            text += '/';
        }
        text += segment;
    }
    return text.empty() ? "/" : text;
}

bool key_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (fold(a[i]) != fold(b[i])) {
            return false;
        }
    }
    return true;
}

bool key_path_within(const KeyPath& inner, const KeyPath& outer) {
    if (inner.size() < outer.size()) {
        return false;
    }
    for (size_t i = 0; i < outer.size(); ++i) {
        if (!key_equal(inner[i], outer[i])) {
            return false;
        }
    }
    return true;
}

} // namespace ggl::config
