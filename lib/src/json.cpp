// Object <-> JSON text, on nlohmann_json.
#include "ggl/json.hpp"

#include "ggl/text.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <vector>

namespace ggl {

namespace {

// ordered_json keeps keys in wire order, so output reads as the service wrote it.
using Json = nlohmann::ordered_json;

// JSON nested deeper than this is refused rather than recursed into.
constexpr size_t kMaxJsonDepth = 128;

Json text_or_base64(std::string_view data) {
    if (is_valid_utf8(data)) {
        return Json(std::string(data));
    }
    return Json(base64_encode(data));
}

Json to_json_value(const Object& value) {
    switch (value.type()) {
    case Type::Null: return nullptr;
    case Type::Bool: return value.as_bool();
    case Type::I64: return value.as_i64();
    case Type::F64: {
        double d = value.as_f64();
        return std::isfinite(d) ? Json(d) : Json(nullptr);
    }
    case Type::String: return text_or_base64(value.as_string());
    case Type::Bytes: return text_or_base64(value.as_bytes().data);
    case Type::List: {
        Json list = Json::array();
        for (const auto& item : value.as_list()) {
            list.push_back(to_json_value(item));
        }
        return list;
    }
    case Type::Map: {
        Json map = Json::object();
        for (const auto& [key, item] : value.as_map()) {
            map[is_valid_utf8(key) ? key : base64_encode(key)] = to_json_value(item);
        }
        return map;
    }
    }
    return nullptr;
}

// The short form written straight from the Object, byte for byte what dumping the
// nlohmann value would give (IPC writes JSON for every message; building that value
// first doubled the allocations). False when a map key is not UTF-8: its base64 form
// may collide with another key, which only the nlohmann map resolves the same way.
bool write_short(const Object& value, std::string& out);

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

bool write_short(const Object& value, std::string& out) {
    switch (value.type()) {
    case Type::Null: out += "null"; return true;
    case Type::Bool: out += value.as_bool() ? "true" : "false"; return true;
    case Type::I64: {
        char digits[24];
        auto written = std::to_chars(digits, digits + sizeof digits, value.as_i64());
        out.append(digits, written.ptr);
        return true;
    }
    case Type::F64: {
        // Rare on the hot paths; nlohmann's shortest round-trip form, as before.
        double d = value.as_f64();
        out += std::isfinite(d) ? Json(d).dump() : std::string("null");
        return true;
    }
    case Type::String: write_text_or_base64(value.as_string(), out); return true;
    case Type::Bytes: write_text_or_base64(value.as_bytes().data, out); return true;
    case Type::List: {
        out.push_back('[');
        bool first = true;
        for (const auto& item : value.as_list()) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            if (!write_short(item, out)) {
                return false;
            }
        }
        out.push_back(']');
        return true;
    }
    case Type::Map: {
        out.push_back('{');
        bool first = true;
        for (const auto& [key, item] : value.as_map()) {
            if (!is_valid_utf8(key)) {
                return false;
            }
            if (!first) {
                out.push_back(',');
            }
            first = false;
            write_string(key, out);
            out.push_back(':');
            if (!write_short(item, out)) {
                return false;
            }
        }
        out.push_back('}');
        return true;
    }
    }
    return false;
}

// Builds the Object as nlohmann's parser reports values, without its DOM in between.
// A repeated key keeps its first position and takes the last value, as ordered_json does.
class ObjectBuilder : public nlohmann::json_sax<Json> {
public:
    bool null() override { return add(Object{}); }
    bool boolean(bool value) override { return add(Object{value}); }
    bool number_integer(number_integer_t value) override { return add(Object{static_cast<int64_t>(value)}); }
    bool number_unsigned(number_unsigned_t value) override {
        if (value <= static_cast<uint64_t>(INT64_MAX)) {
            return add(Object{static_cast<int64_t>(value)});
        }
        return add(Object{static_cast<double>(value)});
    }
    bool number_float(number_float_t value, const string_t&) override { return add(Object{value}); }
    bool string(string_t& value) override { return add(Object{std::move(value)}); }
    bool binary(binary_t& value) override { return add(Object{Bytes{std::string(value.begin(), value.end())}}); }
    bool start_object(std::size_t) override { return open(Object{Map{}}); }
    bool key(string_t& value) override {
        key_ = std::move(value);
        return true;
    }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Object{List{}}); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) override {
        error_ = error.what();
        return false;
    }

    Object& root() { return root_; }
    const std::string& error() const { return error_; }

private:
    // Places value where the parser is: the root, the next list item, or under the last key.
    Object* place(Object value) {
        if (open_.empty()) {
            root_ = std::move(value);
            return &root_;
        }
        Object& parent = *open_.back();
        if (parent.is_list()) {
            List& list = parent.as_list();
            list.push_back(std::move(value));
            return &list.back();
        }
        Map& map = parent.as_map();
        if (Object* existing = map.find(key_)) {
            *existing = std::move(value);
            return existing;
        }
        map.append(std::move(key_), std::move(value));
        return &(map.end() - 1)->second;
    }
    bool add(Object value) {
        place(std::move(value));
        return true;
    }
    // Containers are filled in place: a pointer to one stays valid while it is open,
    // because only the innermost open container grows.
    bool open(Object container) {
        open_.push_back(place(std::move(container)));
        return true;
    }
    bool close() {
        open_.pop_back();
        return true;
    }

    Object root_;
    std::vector<Object*> open_;
    std::string key_;
    std::string error_;
};

} // namespace

std::string to_json(const Object& value, JsonStyle style) {
    if (style == JsonStyle::Short) {
        std::string out;
        if (write_short(value, out)) {
            return out;
        }
    }
    int indent = style == JsonStyle::Pretty ? 2 : -1;
    return to_json_value(value).dump(indent, ' ', false, Json::error_handler_t::replace);
}

Result<Object> from_json(std::string_view text) {
    // Depth is checked before nlohmann builds anything, so hostile nesting costs nothing.
    size_t depth = 0;
    size_t max_depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            max_depth = std::max(max_depth, ++depth);
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    if (max_depth > kMaxJsonDepth) {
        return make_error(ErrorCode::Parse, "JSON nested deeper than 128 levels");
    }
    ObjectBuilder builder;
    if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
        const std::string& what = builder.error();
        if (what.empty()) {
            return make_error(ErrorCode::Parse, "invalid JSON");
        }
        // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
        auto at = what.find("at line");
        return make_error(ErrorCode::Parse, "invalid JSON " + (at == std::string::npos ? what : what.substr(at)));
    }
    return std::move(builder.root());
}

} // namespace ggl
