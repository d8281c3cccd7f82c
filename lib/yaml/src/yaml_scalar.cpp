// YAML scalars: strict UTF-8, the YAML 1.2 core schema's typing of plain scalars, and the Object a tagged scalar stands for.
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

namespace ggl::yaml_detail {

bool is_dec(char c) { return c >= '0' && c <= '9'; }
bool is_oct(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

template <typename Pred>
bool all_chars(std::string_view s, Pred pred) {
    return std::all_of(s.begin(), s.end(), pred);
}

// ---------------------------------------------------------------------------------
// UTF-8: libyaml rejects what a strict decoder rejects, so the writer decodes strictly
// to know what it may put in the output unescaped.

// The code point at s[i], advancing i; nullopt (i advanced by one) on an invalid sequence.
std::optional<char32_t> decode_utf8(std::string_view s, size_t& i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) {
        ++i;
        return lead;
    }
    size_t len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
        len = 2, cp = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        len = 3, cp = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        len = 4, cp = lead & 0x07, min = 0x10000;
    } else {
        ++i;
        return std::nullopt;
    }
    if (i + len > s.size()) {
        ++i;
        return std::nullopt;
    }
    for (size_t k = 1; k < len; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) {
            ++i;
            return std::nullopt;
        }
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return std::nullopt;
    }
    i += len;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string repair_utf8(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        append_utf8(out, decode_utf8(s, i).value_or(U'\uFFFD'));
    }
    return out;
}

// Characters libyaml accepts in a document and that never act as a line break
// (libyaml, a YAML 1.1 reader, breaks lines at U+0085, U+2028 and U+2029).
bool is_printable(char32_t cp) {
    return cp == '\t' || cp == '\n' || (cp >= 0x20 && cp <= 0x7E) ||
           (cp >= 0xA0 && cp <= 0xD7FF && cp != 0x2028 && cp != 0x2029) ||
           (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// ---------------------------------------------------------------------------------
// YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).

bool is_core_null(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> core_bool(std::string_view s) {
    if (s == "true" || s == "True" || s == "TRUE") {
        return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
        return false;
    }
    return std::nullopt;
}

bool is_core_int(std::string_view s) {
    if (s.starts_with("0o")) {
        return s.size() > 2 && all_chars(s.substr(2), is_oct);
    }
    if (s.starts_with("0x")) {
        return s.size() > 2 && all_chars(s.substr(2), is_hex);
    }
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        s.remove_prefix(1);
    }
    return !s.empty() && all_chars(s, is_dec);
}

bool is_core_inf(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        s.remove_prefix(1);
    }
    return s == ".inf" || s == ".Inf" || s == ".INF";
}

bool is_core_nan(std::string_view s) { return s == ".nan" || s == ".NaN" || s == ".NAN"; }

bool is_core_float(std::string_view s) {
    if (is_core_inf(s) || is_core_nan(s)) {
        return true;
    }
    size_t i = 0;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        ++i;
    }
    size_t int_digits = 0;
    while (i < s.size() && is_dec(s[i])) {
        ++i, ++int_digits;
    }
    size_t frac_digits = 0;
    bool dot = i < s.size() && s[i] == '.';
    if (dot) {
        ++i;
        while (i < s.size() && is_dec(s[i])) {
            ++i, ++frac_digits;
        }
    }
    // "[0-9]+(\.[0-9]*)?" or "\.[0-9]+"
    if (int_digits == 0 && frac_digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            ++i;
        }
        size_t exp_digits = 0;
        while (i < s.size() && is_dec(s[i])) {
            ++i, ++exp_digits;
        }
        if (exp_digits == 0) {
            return false;
        }
    }
    return i == s.size();
}

CoreType core_type(std::string_view s) {
    if (is_core_null(s)) {
        return CoreType::Null;
    }
    if (core_bool(s)) {
        return CoreType::Bool;
    }
    if (is_core_int(s)) {
        return CoreType::Int;
    }
    if (is_core_float(s)) {
        return CoreType::Float;
    }
    return CoreType::String;
}

// Quotes text for an error message, escaping what would garble a terminal, and cut
// short so that a huge key does not make a huge message.
std::string quoted(std::string_view s) {
    constexpr size_t max_shown = 80;
    std::string out = "\"";
    size_t i = 0;
    while (i < s.size() && i < max_shown) {
        size_t start = i;
        std::optional<char32_t> cp = decode_utf8(s, i);
        if (cp && *cp == '"') {
            out += "\\\"";
        } else if (cp && *cp == '\\') {
            out += "\\\\";
        } else if (cp && *cp >= 0x20 && *cp != 0x7F && !(*cp >= 0x80 && *cp < 0xA0)) {
            out.append(s.substr(start, i - start));
        } else {
            constexpr char digits[] = "0123456789abcdef";
            for (size_t k = start; k < i; ++k) {
                auto b = static_cast<unsigned char>(s[k]);
                out += "\\x";
                out += digits[b >> 4];
                out += digits[b & 0xF];
            }
        }
    }
    out += '"';
    if (i < s.size()) {
        out += "...";
    }
    return out;
}

Result<Object> parse_error(std::string message) { return make_error(ErrorCode::Parse, std::move(message)); }

// An integer in core schema form. A decimal beyond i64 becomes a double unless the
// writer asked for an integer with !!int.
Result<Object> convert_int(std::string_view s, bool must_fit) {
    int base = 10;
    std::string_view digits = s;
    if (s.starts_with("0o") || s.starts_with("0x")) {
        base = s[1] == 'o' ? 8 : 16;
        digits.remove_prefix(2);
        uint64_t value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
        if (ec != std::errc{} || end != digits.data() + digits.size() ||
            value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            return parse_error("integer " + quoted(s) + " does not fit in a signed 64-bit integer");
        }
        return Object(static_cast<int64_t>(value));
    }
    if (digits.starts_with('+')) {
        digits.remove_prefix(1);
    }
    int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc{} && end == digits.data() + digits.size()) {
        return Object(value);
    }
    if (must_fit) {
        return parse_error("integer " + quoted(s) + " does not fit in a signed 64-bit integer");
    }
    double approx = 0;
    auto [fend, fec] = std::from_chars(digits.data(), digits.data() + digits.size(), approx);
    if (fec != std::errc{} || fend != digits.data() + digits.size()) {
        return parse_error("number " + quoted(s) + " is out of range");
    }
    return Object(approx);
}

Result<Object> convert_float(std::string_view s) {
    if (is_core_nan(s)) {
        return Object(std::numeric_limits<double>::quiet_NaN());
    }
    if (is_core_inf(s)) {
        double inf = std::numeric_limits<double>::infinity();
        return Object(s[0] == '-' ? -inf : inf);
    }
    if (s.starts_with("0o") || s.starts_with("0x")) {
        Result<Object> whole = convert_int(s, true);
        if (!whole) {
            return whole;
        }
        return Object(static_cast<double>(whole->as_i64()));
    }
    std::string_view digits = s;
    if (digits.starts_with('+')) {
        digits.remove_prefix(1);
    }
    double value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return parse_error("number " + quoted(s) + " is out of range of a double");
    }
    return Object(value);
}

Result<Object> resolve_plain(std::string_view s) {
    switch (core_type(s)) {
    case CoreType::Null: return Object();
    case CoreType::Bool: return Object(*core_bool(s));
    case CoreType::Int: return convert_int(s, false);
    case CoreType::Float: return convert_float(s);
    case CoreType::String: break;
    }
    return Object(s);
}

// "!!int" for the standard tags, the tag as written for others.
std::string tag_name(std::string_view tag) {
    if (tag.starts_with(yaml_tag_prefix)) {
        return "!!" + std::string(tag.substr(yaml_tag_prefix.size()));
    }
    return std::string(tag);
}

Result<Object> decode_binary(std::string_view text) {
    std::string compact;
    compact.reserve(text.size());
    for (char c : text) {
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            compact += c;
        }
    }
    if (compact.empty()) {
        return Object(Bytes{});
    }
    std::optional<std::string> data = base64_decode(compact);
    if (!data) {
        return parse_error("!!binary value is not valid base64");
    }
    return Object(Bytes{std::move(*data)});
}

// The Object a scalar stands for; tag is null when the scalar has none.
Result<Object> scalar_value(std::string_view text, const char* tag, bool plain) {
    if (tag == nullptr) {
        return plain ? resolve_plain(text) : Object(text);
    }
    std::string_view t = tag;
    if (t == "!") {
        return Object(text);
    }
    if (!t.starts_with(yaml_tag_prefix)) {
        return parse_error("unsupported tag " + tag_name(t));
    }
    std::string_view name = t.substr(yaml_tag_prefix.size());
    if (name == "str") {
        return Object(text);
    }
    if (name == "null") {
        if (!is_core_null(text)) {
            return parse_error("!!null value " + quoted(text) + " is not null");
        }
        return Object();
    }
    if (name == "bool") {
        std::optional<bool> b = core_bool(text);
        if (!b) {
            return parse_error("!!bool value " + quoted(text) + " is not true or false");
        }
        return Object(*b);
    }
    if (name == "int") {
        if (!is_core_int(text)) {
            return parse_error("!!int value " + quoted(text) + " is not an integer");
        }
        return convert_int(text, true);
    }
    if (name == "float") {
        if (!is_core_int(text) && !is_core_float(text)) {
            return parse_error("!!float value " + quoted(text) + " is not a number");
        }
        return convert_float(text);
    }
    if (name == "binary") {
        return decode_binary(text);
    }
    if (name == "map" || name == "seq") {
        return parse_error(tag_name(t) + " cannot tag a scalar");
    }
    return parse_error("unsupported tag " + tag_name(t));
}

} // namespace ggl::yaml_detail
