// YAML loading on libyaml's event parser (core schema typing, anchors, merge keys, limits) and writing on its emitter.
#include "ggl/yaml.hpp"

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

constexpr std::string_view yaml_tag_prefix = "tag:yaml.org,2002:";

bool is_dec(char c) { return c >= '0' && c <= '9'; }
bool is_oct(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) {
    return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

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

enum class CoreType { Null, Bool, Int, Float, String };

bool is_core_null(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

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

Result<Object> parse_error(std::string message) {
    return make_error(ErrorCode::Parse, std::move(message));
}

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
    case CoreType::Null:
        return Object();
    case CoreType::Bool:
        return Object(*core_bool(s));
    case CoreType::Int:
        return convert_int(s, false);
    case CoreType::Float:
        return convert_float(s);
    case CoreType::String:
        break;
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

// ---------------------------------------------------------------------------------
// Loader

class ParserHandle {
public:
    ParserHandle() { initialized_ = yaml_parser_initialize(&parser_) != 0; }
    ~ParserHandle() {
        if (initialized_) {
            yaml_parser_delete(&parser_);
        }
    }
    ParserHandle(const ParserHandle&) = delete;
    ParserHandle& operator=(const ParserHandle&) = delete;

    bool initialized() const { return initialized_; }
    yaml_parser_t* get() { return &parser_; }

private:
    yaml_parser_t parser_{};
    bool initialized_ = false;
};

class Event {
public:
    Event() = default;
    ~Event() { clear(); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    void clear() {
        if (live_) {
            yaml_event_delete(&event_);
            live_ = false;
        }
    }
    // For libyaml to fill; the previous event is released first.
    yaml_event_t* fill() {
        clear();
        return &event_;
    }
    void mark_live() { live_ = true; }

    const yaml_event_t& operator*() const { return event_; }
    const yaml_event_t* operator->() const { return &event_; }
    yaml_event_type_t type() const { return event_.type; }

private:
    yaml_event_t event_{};
    bool live_ = false;
};

struct NodeStats {
    size_t nodes = 0;
    size_t bytes = 0;
    // Levels of lists and maps; 0 for a scalar.
    size_t height = 0;
};

struct Anchor {
    Object value;
    NodeStats stats;
    bool is_scalar = false;
    // A scalar's text as written, used when the alias stands for a map key.
    std::string text;
    // Kept only when the caller asked for positions.
    NodePositions positions;
};

struct PathStep {
    std::string key;
    size_t index = 0;
    bool is_index = false;
};

bool needs_brackets(std::string_view key) {
    if (key.empty()) {
        return true;
    }
    return std::any_of(key.begin(), key.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return c == '.' || c == '[' || c == ']' || c == '"' || c == '\\' || u <= 0x20 || u == 0x7F;
    });
}

std::string mark_text(const yaml_mark_t& mark) {
    return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

const char* anchor_of(const yaml_event_t& ev) {
    switch (ev.type) {
    case YAML_SCALAR_EVENT:
        return reinterpret_cast<const char*>(ev.data.scalar.anchor);
    case YAML_SEQUENCE_START_EVENT:
        return reinterpret_cast<const char*>(ev.data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return reinterpret_cast<const char*>(ev.data.mapping_start.anchor);
    default:
        return nullptr;
    }
}

std::string_view scalar_text(const yaml_event_t& ev) {
    return {reinterpret_cast<const char*>(ev.data.scalar.value), ev.data.scalar.length};
}

const char* scalar_tag(const yaml_event_t& ev) {
    return reinterpret_cast<const char*>(ev.data.scalar.tag);
}

SourcePosition position_of(const yaml_mark_t& mark) {
    return {static_cast<uint32_t>(mark.line + 1), static_cast<uint32_t>(mark.column + 1)};
}

class Loader {
public:
    Loader(std::string_view text, NodePositions* positions) : text_(text), positions_(positions) {}

    Result<Object> load() {
        if (!parser_.initialized()) {
            return make_error(ErrorCode::Nomem, "cannot set up the YAML parser");
        }
        // libyaml asserts on a null input pointer, which an empty string_view may hold.
        const char* data = text_.empty() ? "" : text_.data();
        yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(data), text_.size());
        Object root;
        if (!load_stream(root)) {
            return std::move(*error_);
        }
        return root;
    }

private:
    bool load_stream(Object& root) {
        Event ev;
        if (!next(ev)) {
            return false;
        }
        if (!next(ev)) {
            return false;
        }
        if (ev.type() == YAML_STREAM_END_EVENT) {
            return true;
        }
        Event node_ev;
        if (!next(node_ev)) {
            return false;
        }
        NodeStats stats;
        if (!node(node_ev, 1, root, stats, positions_)) {
            return false;
        }
        if (!next(ev)) {  // the document end
            return false;
        }
        if (!next(ev)) {
            return false;
        }
        if (ev.type() == YAML_DOCUMENT_START_EVENT) {
            return fail(ev->start_mark, "a second document starts here; expected one document");
        }
        return true;
    }

    bool next(Event& ev) {
        if (yaml_parser_parse(parser_.get(), ev.fill()) == 0) {
            return fail_from_libyaml();
        }
        ev.mark_live();
        return true;
    }

    // pos, when not null, receives the node's positions.
    bool node(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (pos != nullptr) {
            pos->at = position_of(ev->start_mark);
        }
        switch (ev.type()) {
        case YAML_ALIAS_EVENT:
            return alias(ev, depth, out, stats, pos);
        case YAML_SCALAR_EVENT:
            return scalar(ev, out, stats, false, pos);
        case YAML_SEQUENCE_START_EVENT:
            return sequence(ev, depth, out, stats, pos);
        case YAML_MAPPING_START_EVENT:
            return mapping(ev, depth, out, stats, pos);
        default:
            return fail(ev->start_mark, "unexpected YAML event");
        }
    }

    // A key is a string whatever it looks like, so an untagged key never fails to
    // convert ("1e999: x" is fine); its typed value only matters if an alias reuses it.
    bool scalar(const Event& ev, Object& out, NodeStats& stats, bool is_key, NodePositions* pos) {
        std::string_view text = scalar_text(*ev);
        const char* tag = scalar_tag(*ev);
        Result<Object> value = scalar_value(text, tag, ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
        if (!value && !(is_key && tag == nullptr)) {
            return fail(ev->start_mark, value.error().message);
        }
        out = value ? std::move(*value) : Object(text);
        stats = NodeStats{1, text.size(), 0};
        if (const char* name = anchor_of(*ev)) {
            return remember(name, out, stats, true, text, ev->start_mark, pos);
        }
        return true;
    }

    bool alias(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        const Anchor* anchor = find_anchor(ev);
        if (anchor == nullptr) {
            return false;
        }
        if (anchor->stats.height > 0 && depth + anchor->stats.height - 1 > yaml_max_depth) {
            return fail(ev->start_mark, "nesting deeper than " + std::to_string(yaml_max_depth) +
                                            " levels through alias *" + alias_name(ev));
        }
        if (!charge_copy(anchor->stats, ev->start_mark)) {
            return false;
        }
        out = anchor->value;
        stats = anchor->stats;
        if (pos != nullptr) {
            pos->children = anchor->positions.children;
        }
        return true;
    }

    bool sequence(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (!check_depth(ev, depth) || !check_collection_tag(ev, ev->data.sequence_start.tag, "seq", "a list")) {
            return false;
        }
        const char* name = anchor_of(*ev);
        open(name);
        List list;
        stats = NodeStats{1, 0, 1};
        for (size_t index = 0;; ++index) {
            Event item_ev;
            if (!next(item_ev)) {
                return false;
            }
            if (item_ev.type() == YAML_SEQUENCE_END_EVENT) {
                break;
            }
            path_.push_back(PathStep{{}, index, true});
            Object item;
            NodeStats item_stats;
            NodePositions* item_pos = nullptr;
            if (pos != nullptr) {
                item_pos = &pos->children.emplace_back();
            }
            if (!node(item_ev, depth + 1, item, item_stats, item_pos)) {
                return false;
            }
            path_.pop_back();
            add(stats, item_stats);
            list.push_back(std::move(item));
        }
        out = std::move(list);
        return close(name, out, stats, ev->start_mark, pos);
    }

    // Merged maps wait until the map is complete: keys the map sets itself win however
    // they are ordered around the << key.
    struct Merge {
        size_t position = 0;
        std::vector<Map> maps;
        std::vector<NodePositions> positions;  // one per map, when positions are kept
    };

    bool mapping(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (!check_depth(ev, depth) || !check_collection_tag(ev, ev->data.mapping_start.tag, "map", "a map")) {
            return false;
        }
        const char* name = anchor_of(*ev);
        open(name);
        std::vector<Map::Entry> entries;
        std::vector<NodePositions> entry_positions;
        std::unordered_set<std::string> seen;
        std::optional<Merge> merge;
        stats = NodeStats{1, 0, 1};
        for (;;) {
            Event key_ev;
            if (!next(key_ev)) {
                return false;
            }
            if (key_ev.type() == YAML_MAPPING_END_EVENT) {
                break;
            }
            std::string key;
            bool is_merge = false;
            if (!map_key(key_ev, key, is_merge)) {
                return false;
            }
            if (is_merge && merge) {
                return fail(key_ev->start_mark, "duplicate merge key <<");
            }
            if (!is_merge && !seen.insert(key).second) {
                return fail(key_ev->start_mark, "duplicate key " + quoted(key));
            }
            stats.nodes += 1;
            stats.bytes += key.size();

            // The path names the key while its value is read, so that a syntax error
            // inside the value points at it.
            path_.push_back(PathStep{is_merge ? std::string("<<") : key, 0, false});
            Event value_ev;
            if (!next(value_ev)) {
                return false;
            }
            Object value;
            NodeStats value_stats;
            NodePositions value_pos;
            if (!node(value_ev, depth + 1, value, value_stats, pos != nullptr ? &value_pos : nullptr)) {
                return false;
            }
            path_.pop_back();
            if (is_merge) {
                bool single = value.is_map();
                std::optional<std::vector<Map>> maps = merge_sources(std::move(value));
                if (!maps) {
                    return fail(value_ev->start_mark, "merge key << needs a map or a list of maps");
                }
                merge = Merge{entries.size(), std::move(*maps), {}};
                if (pos != nullptr) {
                    if (single) {
                        merge->positions.push_back(std::move(value_pos));
                    } else {
                        merge->positions = std::move(value_pos.children);
                    }
                }
            }
            add(stats, value_stats);
            if (!is_merge) {
                entries.emplace_back(std::move(key), std::move(value));
                if (pos != nullptr) {
                    value_pos.key_at = position_of(key_ev->start_mark);
                    entry_positions.push_back(std::move(value_pos));
                }
            }
        }
        out = assemble(std::move(entries), std::move(seen), std::move(merge),
                       pos != nullptr ? &entry_positions : nullptr);
        if (pos != nullptr) {
            pos->children = std::move(entry_positions);
        }
        return close(name, out, stats, ev->start_mark, pos);
    }

    bool map_key(const Event& key_ev, std::string& key, bool& is_merge) {
        switch (key_ev.type()) {
        case YAML_SCALAR_EVENT: {
            std::string_view text = scalar_text(*key_ev);
            const char* tag = scalar_tag(*key_ev);
            bool plain = key_ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (plain && text == "<<" &&
                (tag == nullptr || std::string_view(tag) == std::string(yaml_tag_prefix) + "merge")) {
                is_merge = true;
                return true;
            }
            // Keys stay as written, but a tagged key must still be what its tag says.
            Object value;
            NodeStats stats;
            if (!scalar(key_ev, value, stats, true, nullptr)) {
                return false;
            }
            key = std::string(text);
            return true;
        }
        case YAML_ALIAS_EVENT: {
            const Anchor* anchor = find_anchor(key_ev);
            if (anchor == nullptr) {
                return false;
            }
            if (!anchor->is_scalar) {
                return fail(key_ev->start_mark, "a map key must be a scalar; alias *" + alias_name(key_ev) +
                                                    " is " + (anchor->value.is_list() ? "a list" : "a map"));
            }
            key = anchor->text;
            return true;
        }
        case YAML_SEQUENCE_START_EVENT:
            return fail(key_ev->start_mark, "a map key must be a scalar, not a list");
        case YAML_MAPPING_START_EVENT:
            return fail(key_ev->start_mark, "a map key must be a scalar, not a map");
        default:
            return fail(key_ev->start_mark, "unexpected YAML event");
        }
    }

    static std::optional<std::vector<Map>> merge_sources(Object value) {
        std::vector<Map> maps;
        if (value.is_map()) {
            maps.push_back(std::move(value.as_map()));
            return maps;
        }
        if (!value.is_list()) {
            return std::nullopt;
        }
        for (Object& item : value.as_list()) {
            if (!item.is_map()) {
                return std::nullopt;
            }
            maps.push_back(std::move(item.as_map()));
        }
        return maps;
    }

    // positions, when not null, holds one entry per entry and is rearranged the same way.
    static Map assemble(std::vector<Map::Entry> entries, std::unordered_set<std::string> taken,
                        std::optional<Merge> merge, std::vector<NodePositions>* positions) {
        Map map;
        map.reserve(entries.size());
        std::vector<NodePositions> ordered;
        auto merge_in = [&] {
            for (size_t m = 0; m < merge->maps.size(); ++m) {
                size_t index = 0;
                for (auto& [key, value] : merge->maps[m]) {
                    if (taken.insert(key).second) {
                        map.append(std::move(key), std::move(value));
                        if (positions != nullptr && m < merge->positions.size() &&
                            index < merge->positions[m].children.size()) {
                            ordered.push_back(std::move(merge->positions[m].children[index]));
                        } else if (positions != nullptr) {
                            ordered.emplace_back();
                        }
                    }
                    ++index;
                }
            }
        };
        for (size_t i = 0; i < entries.size(); ++i) {
            if (merge && merge->position == i) {
                merge_in();
            }
            map.append(std::move(entries[i].first), std::move(entries[i].second));
            if (positions != nullptr) {
                ordered.push_back(std::move((*positions)[i]));
            }
        }
        if (merge && merge->position == entries.size()) {
            merge_in();
        }
        if (positions != nullptr) {
            *positions = std::move(ordered);
        }
        return map;
    }

    bool check_depth(const Event& ev, size_t depth) {
        if (depth > yaml_max_depth) {
            return fail(ev->start_mark, "nesting deeper than " + std::to_string(yaml_max_depth) + " levels");
        }
        return true;
    }

    bool check_collection_tag(const Event& ev, const yaml_char_t* raw_tag, std::string_view own, const char* what) {
        if (raw_tag == nullptr) {
            return true;
        }
        std::string_view tag = reinterpret_cast<const char*>(raw_tag);
        if (tag == "!" || (tag.starts_with(yaml_tag_prefix) && tag.substr(yaml_tag_prefix.size()) == own)) {
            return true;
        }
        return fail(ev->start_mark, "tag " + tag_name(tag) + " cannot tag " + what);
    }

    static void add(NodeStats& total, const NodeStats& child) {
        total.nodes += child.nodes;
        total.bytes += child.bytes;
        total.height = std::max(total.height, child.height + 1);
    }

    // Anchors are recorded once their node is complete; an alias inside its own
    // anchor's node would be a cycle, which an Object cannot hold.
    void open(const char* name) {
        if (name != nullptr) {
            ++open_anchors_[name];
        }
    }

    bool close(const char* name, const Object& value, const NodeStats& stats, const yaml_mark_t& mark,
               const NodePositions* pos) {
        if (name == nullptr) {
            return true;
        }
        auto it = open_anchors_.find(name);
        if (--it->second == 0) {
            open_anchors_.erase(it);
        }
        return remember(name, value, stats, false, {}, mark, pos);
    }

    bool remember(const char* name, const Object& value, const NodeStats& stats, bool is_scalar,
                  std::string_view text, const yaml_mark_t& mark, const NodePositions* pos) {
        // The anchor table holds its own copy, which costs like an alias would.
        if (!charge_copy(stats, mark)) {
            return false;
        }
        anchors_[name] = Anchor{value, stats, is_scalar, std::string(text),
                                pos != nullptr ? *pos : NodePositions{}};
        return true;
    }

    bool charge_copy(const NodeStats& stats, const yaml_mark_t& mark) {
        copied_nodes_ += stats.nodes;
        copied_bytes_ += stats.bytes;
        if (copied_nodes_ > yaml_max_copied_nodes) {
            return fail(mark, "anchors and aliases copy more than " + std::to_string(yaml_max_copied_nodes) +
                                  " nodes (an alias expansion bomb?)");
        }
        if (copied_bytes_ > yaml_max_copied_bytes) {
            return fail(mark, "anchors and aliases copy more than " + std::to_string(yaml_max_copied_bytes) +
                                  " bytes (an alias expansion bomb?)");
        }
        return true;
    }

    static std::string alias_name(const Event& ev) {
        return reinterpret_cast<const char*>(ev->data.alias.anchor);
    }

    const Anchor* find_anchor(const Event& ev) {
        std::string name = alias_name(ev);
        if (open_anchors_.contains(name)) {
            fail(ev->start_mark, "alias *" + name + " refers to a node that contains it");
            return nullptr;
        }
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
            fail(ev->start_mark, "undefined alias *" + name);
            return nullptr;
        }
        return &it->second;
    }

    std::string path_text() const {
        std::string out;
        for (const PathStep& step : path_) {
            if (step.is_index) {
                out += "[" + std::to_string(step.index) + "]";
            } else if (needs_brackets(step.key)) {
                out += "[" + quoted(step.key) + "]";
            } else {
                if (!out.empty()) {
                    out += '.';
                }
                out += step.key;
            }
        }
        return out;
    }

    bool fail(const yaml_mark_t& mark, const std::string& what) {
        std::string message = mark_text(mark) + ": " + what;
        if (!path_.empty()) {
            message += " in " + path_text();
        }
        error_ = make_error(ErrorCode::Parse, std::move(message));
        return false;
    }

    bool fail_from_libyaml() {
        const yaml_parser_t& p = *parser_.get();
        if (p.error == YAML_MEMORY_ERROR) {
            error_ = make_error(ErrorCode::Nomem, "out of memory while parsing YAML");
            return false;
        }
        std::string problem = p.problem != nullptr ? p.problem : "malformed YAML";
        yaml_mark_t mark = p.problem_mark;
        if (p.error == YAML_READER_ERROR) {
            // The reader reports a byte offset, not a mark.
            mark = mark_at(p.problem_offset);
            if (p.problem_value != -1) {
                char value[16];
                auto [end, ec] = std::to_chars(value, value + sizeof value, p.problem_value, 16);
                (void)ec;
                problem += " (#x" + std::string(value, end) + ")";
            }
        } else if (p.context != nullptr) {
            problem += " (" + std::string(p.context) + " at " + mark_text(p.context_mark) + ")";
        }
        std::string message = mark_text(mark) + ": " + problem;
        if (!path_.empty()) {
            message += " (in " + path_text() + ")";
        }
        error_ = make_error(ErrorCode::Parse, std::move(message));
        return false;
    }

    yaml_mark_t mark_at(size_t offset) const {
        yaml_mark_t mark{};
        offset = std::min(offset, text_.size());
        for (size_t i = 0; i < offset;) {
            if (text_[i] == '\n') {
                ++mark.line;
                mark.column = 0;
                ++i;
            } else {
                decode_utf8(text_, i);
                ++mark.column;
            }
        }
        mark.index = offset;
        return mark;
    }

    ParserHandle parser_;
    std::string_view text_;
    NodePositions* positions_ = nullptr;
    std::vector<PathStep> path_;
    std::unordered_map<std::string, Anchor> anchors_;
    std::unordered_map<std::string, int> open_anchors_;
    size_t copied_nodes_ = 0;
    size_t copied_bytes_ = 0;
    std::optional<Error> error_;
};

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
    return lower == "y" || lower == "n" || lower == "yes" || lower == "no" || lower == "on" ||
           lower == "off" || lower == "=" || lower == "<<";
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
            yaml_emitter_set_width(&emitter_, -1);  // no folding of long lines
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
                  yaml_document_start_event_initialize(&ev, nullptr, nullptr, nullptr, 1) && emit(ev) &&
                  node(value) && yaml_document_end_event_initialize(&ev, 1) && emit(ev) &&
                  yaml_stream_end_event_initialize(&ev) && emit(ev) && yaml_emitter_flush(&emitter_);
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
        case Type::Null:
            return plain("null");
        case Type::Bool:
            return plain(v.as_bool() ? "true" : "false");
        case Type::I64:
            return plain(std::to_string(v.as_i64()));
        case Type::F64:
            return plain(float_text(v.as_f64()));
        case Type::String:
            return string(v.as_string(), false);
        case Type::Bytes:
            return binary(v.as_bytes().data);
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

Result<Object> yaml_parse(std::string_view text) {
    return Loader(text, nullptr).load();
}

Result<Object> yaml_parse(std::string_view text, NodePositions* positions) {
    NodePositions collected;
    Result<Object> value = Loader(text, positions != nullptr ? &collected : nullptr).load();
    if (value && positions != nullptr) {
        *positions = std::move(collected);
    }
    return value;
}

Result<Object> yaml_parse_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        int err = errno;
        return make_error(err == ENOENT ? ErrorCode::Noentry : ErrorCode::Failure,
                          path + ": " + std::generic_category().message(err));
    }
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return make_error(ErrorCode::Failure, path + ": " + std::generic_category().message(errno));
        }
        if (n == 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(n));
    }
    Result<Object> value = yaml_parse(text);
    if (!value) {
        Error error = std::move(value).error();
        error.message = path + ": " + error.message;
        return error;
    }
    return value;
}

Result<std::string> to_yaml(const Object& value) {
    return Emitter().document(value);
}

} // namespace ggl
