// Object <-> JSON text: a writer and an RFC 8259 parser of our own.
#include "ggl/json.hpp"

#include "ggl/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

namespace ggl {

namespace {

// JSON nested deeper than this is refused rather than recursed into.
constexpr size_t kMaxJsonDepth = 128;

void write_string(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    size_t plain = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(text.data() + plain, i - plain);
        plain = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: {
            char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
            out.append(escaped, sizeof escaped);
        }
        }
    }
    out.append(text.data() + plain, text.size() - plain);
    out.push_back('"');
}

void write_text_or_base64(std::string_view data, std::string& out) {
    if (is_valid_utf8(data)) {
        write_string(data, out);
    } else {
        write_string(base64_encode(data), out);
    }
}

// The shortest text that reads back as the same double, with ".0" on an integral value so
// that it reads back as a float ("1.0", "0.1", "1e+300"); null when not finite.
void write_double(double d, std::string& out) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char digits[32];
    auto written = std::to_chars(digits, digits + sizeof digits, d);
    std::string_view text(digits, static_cast<size_t>(written.ptr - digits));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) {
        out += ".0";
    }
}

// A map's entries as written: keys that are not UTF-8 become base64, and when that makes
// two keys equal, the first position is kept with the last value (as parsing does).
std::vector<std::pair<std::string, const Object*>> written_entries(const Map& map) {
    std::vector<std::pair<std::string, const Object*>> entries;
    entries.reserve(map.size());
    for (const auto& [key, item] : map) {
        std::string name = is_valid_utf8(key) ? key : base64_encode(key);
        auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& entry) { return entry.first == name; });
        if (same != entries.end()) {
            same->second = &item;
        } else {
            entries.emplace_back(std::move(name), &item);
        }
    }
    return entries;
}

bool has_non_utf8_key(const Map& map) {
    return std::any_of(map.begin(), map.end(), [](const auto& entry) { return !is_valid_utf8(entry.first); });
}

// indent < 0: the short form, no whitespace; otherwise that many spaces per level, one
// item per line, ": " after keys; empty containers are "[]" and "{}" in both.
void write_value(const Object& value, int indent, int depth, std::string& out) {
    auto new_line = [&](int level) {
        if (indent >= 0) {
            out.push_back('\n');
            out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
        }
    };
    switch (value.type()) {
    case Type::Null: out += "null"; return;
    case Type::Bool: out += value.as_bool() ? "true" : "false"; return;
    case Type::I64: {
        char digits[24];
        auto written = std::to_chars(digits, digits + sizeof digits, value.as_i64());
        out.append(digits, written.ptr);
        return;
    }
    case Type::F64: write_double(value.as_f64(), out); return;
    case Type::String: write_text_or_base64(value.as_string(), out); return;
    case Type::Bytes: write_text_or_base64(value.as_bytes().data, out); return;
    case Type::List: {
        const List& list = value.as_list();
        out.push_back('[');
        bool first = true;
        for (const auto& item : list) {
            if (!first) out.push_back(',');
            first = false;
            new_line(depth + 1);
            write_value(item, indent, depth + 1, out);
        }
        if (!list.empty()) new_line(depth);
        out.push_back(']');
        return;
    }
    case Type::Map: {
        const Map& map = value.as_map();
        auto write_entry = [&](std::string_view key, const Object& item, bool first) {
            if (!first) out.push_back(',');
            new_line(depth + 1);
            write_string(key, out);
            out += indent >= 0 ? ": " : ":";
            write_value(item, indent, depth + 1, out);
        };
        out.push_back('{');
        if (has_non_utf8_key(map)) {
            bool first = true;
            for (const auto& [key, item] : written_entries(map)) {
                write_entry(key, *item, first);
                first = false;
            }
        } else {
            bool first = true;
            for (const auto& [key, item] : map) {
                write_entry(key, item, first);
                first = false;
            }
        }
        if (!map.empty()) new_line(depth);
        out.push_back('}');
        return;
    }
    }
}

// A JSON parser (RFC 8259) that builds the Object directly. Integers that fit i64 are
// I64, others F64; strings must be valid UTF-8, and \u escapes must pair surrogates. A
// repeated key keeps its first position and takes the last value. Errors name the line
// and the column (in bytes, from 1) of the offending character.
class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<Object> parse() {
        if (text_.substr(0, 3) == "\xef\xbb\xbf") {
            pos_ = 3;  // a UTF-8 byte order mark
        }
        skip_space();
        Object root;
        if (!value(root, 0)) {
            return failure();
        }
        skip_space();
        if (pos_ != text_.size()) {
            fail("unexpected ", "; expected the end of the text");
            return failure();
        }
        return root;
    }

private:
    bool value(Object& out, size_t depth) {
        if (pos_ >= text_.size()) {
            return fail("unexpected ", "; expected a value");
        }
        switch (text_[pos_]) {
        case '{': return object(out, depth + 1);
        case '[': return array(out, depth + 1);
        case '"': {
            std::string text;
            if (!string(text)) return false;
            out = Object{std::move(text)};
            return true;
        }
        case 't': return literal("true", out, Object{true});
        case 'f': return literal("false", out, Object{false});
        case 'n': return literal("null", out, Object{});
        default: return number(out);
        }
    }

    bool object(Object& out, size_t depth) {
        if (depth > kMaxJsonDepth) return fail("nested deeper than 128 levels at ", "");
        ++pos_;
        out = Object{Map{}};
        Map& map = out.as_map();
        skip_space();
        if (peek() == '}') {
            ++pos_;
            return true;
        }
        while (true) {
            if (peek() != '"') return fail("unexpected ", "; expected a key string");
            std::string key;
            if (!string(key)) return false;
            skip_space();
            if (peek() != ':') return fail("unexpected ", "; expected ':'");
            ++pos_;
            skip_space();
            Object item;
            if (!value(item, depth)) return false;
            if (Object* existing = map.find(key)) {
                *existing = std::move(item);
            } else {
                map.append(std::move(key), std::move(item));
            }
            skip_space();
            char next = peek();
            ++pos_;
            if (next == '}') return true;
            if (next != ',') return back_and_fail("unexpected ", "; expected ',' or '}'");
            skip_space();
        }
    }

    bool array(Object& out, size_t depth) {
        if (depth > kMaxJsonDepth) return fail("nested deeper than 128 levels at ", "");
        ++pos_;
        out = Object{List{}};
        List& list = out.as_list();
        skip_space();
        if (peek() == ']') {
            ++pos_;
            return true;
        }
        while (true) {
            list.emplace_back();
            if (!value(list.back(), depth)) return false;
            skip_space();
            char next = peek();
            ++pos_;
            if (next == ']') return true;
            if (next != ',') return back_and_fail("unexpected ", "; expected ',' or ']'");
            skip_space();
        }
    }

    bool literal(std::string_view word, Object& out, Object value) {
        if (text_.substr(pos_, word.size()) != word) {
            return fail("unexpected ", "; expected a value");
        }
        pos_ += word.size();
        out = std::move(value);
        return true;
    }

    bool number(Object& out) {
        size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (is_digit(peek())) {
            while (is_digit(peek())) ++pos_;
        } else {
            return fail("unexpected ", "; expected a value");
        }
        bool integral = true;
        if (peek() == '.') {
            integral = false;
            ++pos_;
            if (!is_digit(peek())) return fail("unexpected ", "; expected a digit after '.'");
            while (is_digit(peek())) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!is_digit(peek())) return fail("unexpected ", "; expected a digit in the exponent");
            while (is_digit(peek())) ++pos_;
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        if (integral) {
            int64_t i = 0;
            if (auto [end, ec] = std::from_chars(first, last, i); ec == std::errc() && end == last) {
                out = Object{i};
                return true;
            }
        }
        double d = 0;
        auto [end, ec] = std::from_chars(first, last, d);
        if (ec == std::errc::result_out_of_range) {
            pos_ = start;
            return fail("number out of range at ", "");
        }
        if (ec != std::errc() || end != last) {
            pos_ = start;
            return fail("unexpected ", "; expected a number");
        }
        out = Object{d};
        return true;
    }

    // At the opening quote; leaves pos_ after the closing one.
    bool string(std::string& out) {
        ++pos_;
        size_t plain = pos_;
        while (true) {
            if (pos_ >= text_.size()) return fail("unexpected ", "; expected '\"' to end the string");
            auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                out.append(text_.data() + plain, pos_ - plain);
                ++pos_;
                return true;
            }
            if (c < 0x20) return fail("unescaped control character ", " in a string");
            if (c >= 0x80) {
                size_t length = utf8_length(text_.substr(pos_));
                if (length == 0) return fail("invalid UTF-8 ", " in a string");
                pos_ += length;
                continue;
            }
            if (c != '\\') {
                ++pos_;
                continue;
            }
            out.append(text_.data() + plain, pos_ - plain);
            if (!escape(out)) return false;
            plain = pos_;
        }
    }

    // At a backslash in a string; appends what it stands for.
    bool escape(std::string& out) {
        ++pos_;
        char c = peek();
        ++pos_;
        switch (c) {
        case '"': out.push_back('"'); return true;
        case '\\': out.push_back('\\'); return true;
        case '/': out.push_back('/'); return true;
        case 'b': out.push_back('\b'); return true;
        case 'f': out.push_back('\f'); return true;
        case 'n': out.push_back('\n'); return true;
        case 'r': out.push_back('\r'); return true;
        case 't': out.push_back('\t'); return true;
        case 'u': break;
        default: return back_and_fail("invalid escape ", " in a string");
        }
        uint32_t code = 0;
        if (!hex4(code)) return false;
        if (code >= 0xdc00 && code <= 0xdfff) {
            pos_ -= 6;
            return fail("unpaired surrogate \\u escape ", " in a string");
        }
        if (code >= 0xd800 && code <= 0xdbff) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") {
                pos_ -= 6;
                return fail("unpaired surrogate \\u escape ", " in a string");
            }
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xdc00 || low > 0xdfff) {
                pos_ -= 12;
                return fail("unpaired surrogate \\u escape ", " in a string");
            }
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        append_utf8(code, out);
        return true;
    }

    bool hex4(uint32_t& code) {
        for (int i = 0; i < 4; ++i, ++pos_) {
            char c = peek();
            uint32_t digit = c >= '0' && c <= '9'   ? c - '0'
                             : c >= 'a' && c <= 'f' ? c - 'a' + 10
                             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                    : 16;
            if (digit == 16) return fail("unexpected ", "; expected 4 hex digits after \\u");
            code = code << 4 | digit;
        }
        return true;
    }

    static void append_utf8(uint32_t code, std::string& out) {
        if (code < 0x80) {
            out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xc0 | code >> 6));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        } else if (code < 0x10000) {
            out.push_back(static_cast<char>(0xe0 | code >> 12));
            out.push_back(static_cast<char>(0x80 | (code >> 6 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xf0 | code >> 18));
            out.push_back(static_cast<char>(0x80 | (code >> 12 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code >> 6 & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
        }
    }

    // The length of the valid UTF-8 sequence that starts the text (its first byte >= 0x80),
    // or 0.
    static size_t utf8_length(std::string_view text) {
        for (size_t length = 2; length <= 4 && length <= text.size(); ++length) {
            if (is_valid_utf8(text.substr(0, length))) return length;
        }
        return 0;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }

    // Records "BEFORE<the character at pos_>AFTER" and where it is; returns false.
    bool fail(std::string_view before, std::string_view after) {
        std::string what;
        if (pos_ >= text_.size()) {
            what = "end of text";
        } else {
            auto c = static_cast<unsigned char>(text_[pos_]);
            char shown[8];
            if (c >= 0x20 && c < 0x7f) {
                std::snprintf(shown, sizeof shown, "'%c'", c);
            } else {
                std::snprintf(shown, sizeof shown, "0x%02x", c);
            }
            what = shown;
        }
        error_ = std::string(before) + what + std::string(after);
        error_pos_ = pos_;
        return false;
    }
    // fail() for the character before pos_ (one that was consumed to look at it).
    bool back_and_fail(std::string_view before, std::string_view after) {
        pos_ = pos_ > 0 ? pos_ - 1 : 0;
        return fail(before, after);
    }

    Error failure() const {
        size_t line = 1;
        size_t line_start = 0;
        for (size_t i = 0; i < error_pos_ && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        return make_error(ErrorCode::Parse, "invalid JSON at line " + std::to_string(line) + ", column " +
                                                std::to_string(error_pos_ - line_start + 1) + ": " + error_);
    }

    std::string_view text_;
    size_t pos_ = 0;
    size_t error_pos_ = 0;
    std::string error_;
};

} // namespace

std::string to_json(const Object& value, JsonStyle style) {
    std::string out;
    write_value(value, style == JsonStyle::Pretty ? 2 : -1, 0, out);
    return out;
}

Result<Object> from_json(std::string_view text) { return Parser(text).parse(); }

} // namespace ggl
