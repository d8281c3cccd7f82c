// YAML writing on libyaml's emitter: the style each scalar asks for, binary as base64, portable to YAML 1.1 readers.
#include "ggl/yaml.hpp"

#include "yaml_scalar.hpp"

#include "ggl/fd.hpp"
#include "ggl/text.hpp"

#include <yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ggl {
namespace {

using yaml_detail::core_type;
using yaml_detail::CoreType;
using yaml_detail::decode_utf8;
using yaml_detail::is_dec;
using yaml_detail::is_printable;
using yaml_detail::repair_utf8;

// ---------------------------------------------------------------------------------
// Writer: events for libyaml's emitter. libyaml lays the text out (indentation, explicit
// "? key" for long or multi-line keys, block scalar indicators) and falls back from a
// style it cannot use exactly (plain → single → double quoted, literal → double quoted);
// the writer picks the style each scalar asks for, since libyaml knows no schema.

constexpr std::string_view binary_tag = "tag:yaml.org,2002:binary";
constexpr size_t binary_line = 76;

// Strings that YAML 1.1 readers (PyYAML, libyaml users, the Java nucleus) would type
// as something else; quoting them costs nothing and keeps exports portable.
bool looks_typed_to_yaml11(std::string_view s) {
    if (is_dec(s[0])) {
        return true;
    }
    if ((s[0] == '-' || s[0] == '+' || s[0] == '.') && s.size() > 1 && is_dec(s[1])) {
        return true;
    }
    std::string lower;
    for (char c : s) {
        lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return lower == "y" || lower == "n" || lower == "yes" || lower == "no" || lower == "on" || lower == "off" ||
           lower == "=" || lower == "<<";
}

// Whether every character of s may stand in a one-line plain or single-quoted scalar.
bool one_line_printable(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        char32_t cp = *decode_utf8(s, i);
        if (!is_printable(cp) || cp == '\t' || cp == '\n') {
            return false;
        }
    }
    return true;
}

// The style a string asks libyaml for. Plain only when the core schema and YAML 1.1
// readers both take it as a string; libyaml quotes it anyway where its syntax needs.
yaml_scalar_style_t string_style(std::string_view s, bool key) {
    // libyaml itself turns a literal block that would not read back exactly (blanks
    // before a line break, control characters) into a double-quoted scalar; text of only
    // blanks and breaks reads better quoted.
    if (!key && s.find('\n') != std::string_view::npos && s.find_first_not_of(" \t\n") != std::string_view::npos) {
        return YAML_LITERAL_SCALAR_STYLE;
    }
    if (!one_line_printable(s)) {
        return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    }
    if (s.empty() || core_type(s) != CoreType::String || looks_typed_to_yaml11(s)) {
        return YAML_SINGLE_QUOTED_SCALAR_STYLE;
    }
    return YAML_PLAIN_SCALAR_STYLE;
}

std::string float_text(double v) {
    if (std::isnan(v)) {
        return ".nan";
    }
    if (std::isinf(v)) {
        return v < 0 ? "-.inf" : ".inf";
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    std::string text(buf, end);
    // "100" would read back as an integer; "1e+20" is a float to YAML 1.2 but not 1.1.
    if (text.find('.') == std::string::npos) {
        size_t e = text.find('e');
        text.insert(e == std::string::npos ? text.size() : e, ".0");
    }
    return text;
}

int append_output(void* data, unsigned char* buffer, size_t size) {
    static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
    return 1;
}

class Emitter {
public:
    Emitter() {
        initialized_ = yaml_emitter_initialize(&emitter_) != 0;
        if (initialized_) {
            yaml_emitter_set_output(&emitter_, append_output, &out_);
            yaml_emitter_set_encoding(&emitter_, YAML_UTF8_ENCODING);
            yaml_emitter_set_unicode(&emitter_, 1);
            yaml_emitter_set_indent(&emitter_, 2);
            yaml_emitter_set_width(&emitter_, -1); // no folding of long lines
            yaml_emitter_set_break(&emitter_, YAML_LN_BREAK);
        }
    }
    ~Emitter() {
        if (initialized_) {
            yaml_emitter_delete(&emitter_);
        }
    }
    Emitter(const Emitter&) = delete;
    Emitter& operator=(const Emitter&) = delete;

    Result<std::string> document(const Object& value) {
        if (!initialized_) {
            return make_error(ErrorCode::Nomem, "cannot set up the YAML emitter");
        }
        yaml_event_t ev;
        bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && emit(ev) &&
                  yaml_document_start_event_initialize(&ev, nullptr, nullptr, nullptr, 1) && emit(ev) && node(value) &&
                  yaml_document_end_event_initialize(&ev, 1) && emit(ev) && yaml_stream_end_event_initialize(&ev) &&
                  emit(ev) && yaml_emitter_flush(&emitter_);
        if (!ok) {
            return failure();
        }
        return std::move(out_);
    }

private:
    // yaml_emitter_emit takes the event over, emitted or not.
    bool emit(yaml_event_t& ev) { return yaml_emitter_emit(&emitter_, &ev) != 0; }

    bool scalar(std::string_view text, yaml_scalar_style_t style, bool plain_implicit = true,
                const char* tag = nullptr) {
        if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
            too_long_ = true;
            return false;
        }
        yaml_event_t ev;
        auto* value = reinterpret_cast<yaml_char_t*>(const_cast<char*>(text.data()));
        auto* tag_text = reinterpret_cast<yaml_char_t*>(const_cast<char*>(tag));
        bool implicit = tag == nullptr;
        return yaml_scalar_event_initialize(&ev, nullptr, tag_text, value, static_cast<int>(text.size()),
                                            implicit && plain_implicit, implicit, style) &&
               emit(ev);
    }

    bool plain(std::string_view text) { return scalar(text, YAML_PLAIN_SCALAR_STYLE); }

    bool string(std::string_view s, bool key) {
        if (key && !is_valid_utf8(s)) {
            return string(repair_utf8(s), key);
        }
        if (!is_valid_utf8(s)) {
            return binary(s);
        }
        yaml_scalar_style_t style = string_style(s, key);
        return scalar(s, style, style == YAML_PLAIN_SCALAR_STYLE);
    }

    // Base64 on one line, or as a literal block of 76-column lines.
    bool binary(std::string_view data) {
        std::string encoded = base64_encode(data);
        if (encoded.empty()) {
            return scalar(encoded, YAML_DOUBLE_QUOTED_SCALAR_STYLE, false, binary_tag.data());
        }
        if (encoded.size() <= binary_line) {
            return scalar(encoded, YAML_PLAIN_SCALAR_STYLE, false, binary_tag.data());
        }
        std::string lines;
        for (size_t i = 0; i < encoded.size(); i += binary_line) {
            lines.append(encoded, i, binary_line);
            lines += '\n';
        }
        return scalar(lines, YAML_LITERAL_SCALAR_STYLE, false, binary_tag.data());
    }

    bool node(const Object& v) {
        yaml_event_t ev;
        switch (v.type()) {
        case Type::Null: return plain("null");
        case Type::Bool: return plain(v.as_bool() ? "true" : "false");
        case Type::I64: return plain(std::to_string(v.as_i64()));
        case Type::F64: return plain(float_text(v.as_f64()));
        case Type::String: return string(v.as_string(), false);
        case Type::Bytes: return binary(v.as_bytes().data);
        case Type::List: {
            const List& list = v.as_list();
            auto style = list.empty() ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE;
            if (!yaml_sequence_start_event_initialize(&ev, nullptr, nullptr, 1, style) || !emit(ev)) {
                return false;
            }
            for (const Object& item : list) {
                if (!node(item)) {
                    return false;
                }
            }
            return yaml_sequence_end_event_initialize(&ev) && emit(ev);
        }
        case Type::Map: {
            const Map& map = v.as_map();
            auto style = map.empty() ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE;
            if (!yaml_mapping_start_event_initialize(&ev, nullptr, nullptr, 1, style) || !emit(ev)) {
                return false;
            }
            for (const auto& [key, value] : map) {
                if (!string(key, true) || !node(value)) {
                    return false;
                }
            }
            return yaml_mapping_end_event_initialize(&ev) && emit(ev);
        }
        }
        return false;
    }

    Error failure() const {
        if (too_long_) {
            return make_error(ErrorCode::Failure, "a string is too long for the YAML emitter");
        }
        if (emitter_.error == YAML_MEMORY_ERROR || emitter_.error == YAML_NO_ERROR) {
            // An event that could not be set up: libyaml ran out of memory.
            return make_error(ErrorCode::Nomem, "out of memory while writing YAML");
        }
        return make_error(ErrorCode::Failure,
                          std::string("cannot write YAML: ") + (emitter_.problem ? emitter_.problem : "emitter error"));
    }

    yaml_emitter_t emitter_{};
    bool initialized_ = false;
    bool too_long_ = false;
    std::string out_;
};

} // namespace

Result<std::string> to_yaml(const Object& value) { return Emitter().document(value); }

} // namespace ggl
