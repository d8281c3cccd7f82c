// Object <-> JSON text, on nlohmann_json: its SAX parser builds the Object directly, and
// its serializer writes every scalar and key.
#include "ggl/json.hpp"

#include "ggl/text.hpp"

// libggl is built without exceptions: nlohmann's throw sites become std::abort(). None is
// reached here: the parser reports errors through the SAX handler's parse_error(), and the
// writer only builds values of known types and hands the serializer valid UTF-8.
#define JSON_NOEXCEPTION 1
// No stream operators: texts come and go as strings.
#define JSON_NO_IO 1
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace ggl {

namespace {

// ordered_json keeps a map's entries in their order (msgpack maps are ordered on the wire).
using Json = nlohmann::ordered_json;

// JSON nested deeper than this is refused rather than built.
constexpr size_t kMaxJsonDepth = 128;

// Writes an Object as JSON text without building nlohmann's DOM of it first (that doubled
// the allocations of every IPC message): every scalar and key goes through nlohmann's
// serializer (escapes, UTF-8, numbers), as a node of its own; a string is copied into one
// reused node rather than allocated. Around them, the punctuation and the layout of
// nlohmann's dump(): no whitespace in the short form; in the pretty one, indent spaces per
// level, one item per line, ": " after keys; "[]" and "{}" when empty in both.
class Writer {
public:
    explicit Writer(std::string& out)
        : out_(out),
          // Every string it gets is valid UTF-8 (others are made base64), so the error
          // handler never acts; replace rather than strict, which would abort.
          serializer_(nlohmann::detail::output_adapter<char>(out), ' ', Json::error_handler_t::replace) {}

    void write(const Object& value, int indent) {
        indent_ = indent;
        this->value(value, 0);
    }

private:
    void value(const Object& value, int depth) {
        switch (value.type()) {
        case Type::Null: scalar(Json(nullptr)); return;
        case Type::Bool: scalar(Json(value.as_bool())); return;
        case Type::I64: scalar(Json(value.as_i64())); return;
        // Shortest round-trip digits, ".0" on an integral value, null when not finite.
        case Type::F64: scalar(Json(value.as_f64())); return;
        case Type::String: text(value.as_string()); return;
        case Type::Bytes: text(value.as_bytes().data); return;
        case Type::List: {
            const List& list = value.as_list();
            out_.push_back('[');
            bool first = true;
            for (const auto& item : list) {
                if (!first) out_.push_back(',');
                first = false;
                new_line(depth + 1);
                this->value(item, depth + 1);
            }
            if (!list.empty()) new_line(depth);
            out_.push_back(']');
            return;
        }
        case Type::Map: map(value.as_map(), depth); return;
        }
    }

    void map(const Map& map, int depth) {
        auto entry = [&](std::string_view key, const Object& item, bool first) {
            if (!first) out_.push_back(',');
            new_line(depth + 1);
            text(key);
            out_ += indent_ >= 0 ? ": " : ":";
            value(item, depth + 1);
        };
        out_.push_back('{');
        bool first = true;
        if (std::all_of(map.begin(), map.end(), [](const auto& e) { return is_valid_utf8(e.first); })) {
            // Entries as they are, in order (a decoded msgpack map may repeat a key).
            for (const auto& [key, item] : map) {
                entry(key, item, first);
                first = false;
            }
        } else {
            for (const auto& [key, item] : written_entries(map)) {
                entry(key, *item, first);
                first = false;
            }
        }
        if (!map.empty()) new_line(depth);
        out_.push_back('}');
    }

    // A map's entries as written: keys that are not UTF-8 become base64, and when that
    // makes two keys equal, the first position is kept with the last value (as parsing does).
    static std::vector<std::pair<std::string, const Object*>> written_entries(const Map& map) {
        std::vector<std::pair<std::string, const Object*>> entries;
        entries.reserve(map.size());
        for (const auto& [key, item] : map) {
            std::string name = is_valid_utf8(key) ? key : base64_encode(key);
            auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == name; });
            if (same != entries.end()) {
                same->second = &item;
            } else {
                entries.emplace_back(std::move(name), &item);
            }
        }
        return entries;
    }

    // Text as a JSON string: itself when UTF-8, else its base64 form.
    void text(std::string_view data) {
        auto& copy = string_.get_ref<Json::string_t&>();
        if (is_valid_utf8(data)) {
            copy.assign(data);
        } else {
            copy = base64_encode(data);
        }
        scalar(string_);
    }
    void scalar(const Json& node) { serializer_.dump(node, false, false, 0); }

    void new_line(int level) {
        if (indent_ >= 0) {
            out_.push_back('\n');
            out_.append(static_cast<size_t>(indent_) * static_cast<size_t>(level), ' ');
        }
    }

    std::string& out_;
    int indent_ = -1;
    nlohmann::detail::serializer<Json> serializer_;
    Json string_ = Json::string_t();
};

// Builds the Object from nlohmann's parse events, without its DOM in between. Integers
// that fit i64 are I64, others F64; a repeated key keeps its first position and takes the
// last value; containers deeper than kMaxJsonDepth stop the parse. The items of the open
// containers wait on one stack and are moved into their List or Map, made at its exact
// size, when it closes: one allocation per container rather than one per doubling.
class ObjectBuilder {
public:
    using number_integer_t = Json::number_integer_t;
    using number_unsigned_t = Json::number_unsigned_t;
    using number_float_t = Json::number_float_t;
    using string_t = Json::string_t;
    using binary_t = Json::binary_t;

    // The stacks are kept between parses (cleared, their capacity reused), per thread.
    void reset() {
        items_.clear();
        keys_.clear();
        open_.clear();
        too_deep_ = false;
        error_.clear();
        error_position_ = 0;
    }
    // After a parse: the stacks of a large text are not kept.
    void trim() {
        if (items_.capacity() > 4096) items_ = {};
        if (keys_.capacity() > 4096) keys_ = {};
    }

    bool null() { return add(Object{}); }
    bool boolean(bool value) { return add(Object{value}); }
    bool number_integer(number_integer_t value) { return add(Object{int64_t{value}}); }
    bool number_unsigned(number_unsigned_t value) {
        if (value <= static_cast<uint64_t>(INT64_MAX)) {
            return add(Object{static_cast<int64_t>(value)});
        }
        return add(Object{static_cast<double>(value)});
    }
    bool number_float(number_float_t value, const string_t&) { return add(Object{value}); }
    bool string(string_t& value) { return add(Object{std::move(value)}); }
    // Only binary formats (CBOR, MessagePack...) report these; JSON text has none.
    bool binary(binary_t& value) { return add(Object{Bytes{std::string(value.begin(), value.end())}}); }
    bool start_object(std::size_t) { return open(); }
    bool key(string_t& value) {
        keys_.push_back(std::move(value));
        return true;
    }
    bool end_object() {
        size_t first = open_.back();
        open_.pop_back();
        size_t count = items_.size() - first;
        size_t first_key = keys_.size() - count;
        Map map;
        map.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            std::string& key = keys_[first_key + i];
            if (Object* existing = map.find(key)) {
                *existing = std::move(items_[first + i]);
            } else {
                map.append(std::move(key), std::move(items_[first + i]));
            }
        }
        items_.erase(items_.begin() + static_cast<ptrdiff_t>(first), items_.end());
        keys_.erase(keys_.begin() + static_cast<ptrdiff_t>(first_key), keys_.end());
        return add(Object{std::move(map)});
    }
    bool start_array(std::size_t) { return open(); }
    bool end_array() {
        size_t first = open_.back();
        open_.pop_back();
        List list(std::make_move_iterator(items_.begin() + static_cast<ptrdiff_t>(first)),
                  std::make_move_iterator(items_.end()));
        items_.erase(items_.begin() + static_cast<ptrdiff_t>(first), items_.end());
        return add(Object{std::move(list)});
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) {
        error_position_ = position;
        error_ = error.what();
        return false;
    }

    // The value read, once the parse succeeded.
    Object take_root() {
        Object root = std::move(items_.back());
        items_.clear();
        return root;
    }
    bool too_deep() const { return too_deep_; }
    // What nlohmann said was wrong ("[json.exception.parse_error.101] parse error at ...")
    // and the number of bytes it had read, the offending one included.
    const std::string& error() const { return error_; }
    size_t error_position() const { return error_position_; }

private:
    bool add(Object value) {
        items_.push_back(std::move(value));
        return true;
    }
    bool open() {
        if (open_.size() >= kMaxJsonDepth) {
            too_deep_ = true;
            return false;
        }
        open_.push_back(items_.size());
        return true;
    }

    // Finished values: the items of the open containers, innermost last.
    std::vector<Object> items_;
    // The keys of the open maps' items, in the same order.
    std::vector<std::string> keys_;
    // Where each open container's items start in items_.
    std::vector<size_t> open_;
    bool too_deep_ = false;
    std::string error_;
    size_t error_position_ = 0;
};

// The offset of the '[' or '{' that opens the first container deeper than kMaxJsonDepth,
// in a text that nlohmann read without fault up to there.
size_t too_deep_offset(std::string_view text) {
    size_t depth = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"') {
            i = json_string_end(text, i);
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth) {
                return i;
            }
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return text.size();
}

// "invalid JSON at line L, column C: WHAT", for the byte at offset (the end of the text
// when offset is its size). Lines and columns count from 1; columns count bytes.
Error parse_error_at(std::string_view text, size_t offset, std::string_view what) {
    offset = std::min(offset, text.size());
    size_t line =
        1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(offset), '\n'));
    size_t line_start = text.substr(0, offset).rfind('\n');
    size_t column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
    return make_error(ErrorCode::Parse, "invalid JSON at line " + std::to_string(line) + ", column " +
                                            std::to_string(column) + ": " + std::string(what));
}

// nlohmann's message without its prefixes: "[json.exception.parse_error.101] parse error
// at line 1, column 7: syntax error while parsing value - unexpected '}'; ..." gives
// "syntax error while parsing value - unexpected '}'; ...".
std::string_view nlohmann_reason(std::string_view what) {
    if (what.starts_with("[json.exception.")) {
        size_t end = what.find("] ");
        what.remove_prefix(end == std::string_view::npos ? what.size() : end + 2);
    }
    if (what.starts_with("parse error")) {
        size_t colon = what.find(": ");
        if (colon != std::string_view::npos) {
            what.remove_prefix(colon + 2);
        }
    }
    return what;
}

} // namespace

size_t json_string_end(std::string_view text, size_t open) {
    for (size_t i = open + 1; i < text.size(); ++i) {
        if (text[i] == '\\') {
            ++i;
        } else if (text[i] == '"') {
            return i;
        }
    }
    return text.size();
}

std::string to_json(const Object& value, JsonStyle style) {
    // A serializer costs allocations and a locale lookup to set up: one per thread, kept,
    // writing into a buffer of its own that the text is copied out of.
    thread_local std::string buffer;
    thread_local Writer writer(buffer);
    buffer.clear();
    writer.write(value, style == JsonStyle::Pretty ? 2 : -1);
    std::string out(buffer);
    if (buffer.capacity() > 64 * 1024) {
        buffer = std::string(); // a large text's buffer is not kept
    }
    return out;
}

Result<Object> from_json(std::string_view text) {
    thread_local ObjectBuilder builder;
    builder.reset();
    struct Trim {
        ObjectBuilder& builder;
        ~Trim() { builder.trim(); }
    } trim{builder};
    // Strict: the whole text is one value (a UTF-8 byte order mark before it is skipped).
    if (!Json::sax_parse(text.begin(), text.end(), &builder, Json::input_format_t::json, true)) {
        if (builder.too_deep()) {
            return parse_error_at(text, too_deep_offset(text), "nested deeper than 128 levels");
        }
        size_t offset = builder.error_position() > 0 ? builder.error_position() - 1 : 0;
        std::string_view reason = nlohmann_reason(builder.error());
        if (offset < text.size() && text[offset] == '\0' && reason.find("end of input") != std::string_view::npos) {
            // nlohmann takes a NUL byte for the end of the text.
            return parse_error_at(text, offset, "unexpected NUL byte");
        }
        return parse_error_at(text, offset, reason);
    }
    // nlohmann takes a NUL byte for the end of the text; JSON has none outside strings
    // (and none unescaped inside them), so text after one was not read.
    if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
        size_t offset = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
        return parse_error_at(text, offset, "unexpected NUL byte; expected the end of the text");
    }
    return builder.take_root();
}

} // namespace ggl
