// Object <-> JSON text, on nlohmann_json.
#include "ggl/json.hpp"

#include "ggl/text.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

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

Result<Object> from_json_value(const Json& json, size_t depth) {
    if (depth > kMaxJsonDepth) {
        return make_error(ErrorCode::Parse, "JSON nested deeper than 128 levels");
    }
    switch (json.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
        return Object{};
    case Json::value_t::boolean:
        return Object{json.get<bool>()};
    case Json::value_t::number_integer:
        return Object{json.get<int64_t>()};
    case Json::value_t::number_unsigned: {
        auto u = json.get<uint64_t>();
        if (u <= static_cast<uint64_t>(INT64_MAX)) {
            return Object{static_cast<int64_t>(u)};
        }
        return Object{static_cast<double>(u)};
    }
    case Json::value_t::number_float:
        return Object{json.get<double>()};
    case Json::value_t::string:
        return Object{json.get<std::string>()};
    case Json::value_t::binary: {
        const auto& bin = json.get_binary();
        return Object{Bytes{std::string(bin.begin(), bin.end())}};
    }
    case Json::value_t::array: {
        List list;
        list.reserve(json.size());
        for (const auto& item : json) {
            auto converted = from_json_value(item, depth + 1);
            if (!converted) {
                return converted;
            }
            list.push_back(std::move(*converted));
        }
        return Object{std::move(list)};
    }
    case Json::value_t::object: {
        Map map;
        map.reserve(json.size());
        for (const auto& [key, item] : json.items()) {
            auto converted = from_json_value(item, depth + 1);
            if (!converted) {
                return converted;
            }
            map.append(key, std::move(*converted));
        }
        return Object{std::move(map)};
    }
    }
    return Object{};
}

} // namespace

std::string to_json(const Object& value, JsonStyle style) {
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
    Json json = Json::parse(text.begin(), text.end(), nullptr, false);
    if (json.is_discarded()) {
        // Parse again with exceptions for the position; only on the error path.
        try {
            Json unused = Json::parse(text.begin(), text.end());
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
            auto at = what.find("at line");
            return make_error(ErrorCode::Parse,
                              "invalid JSON " + (at == std::string::npos ? what : what.substr(at)));
        }
        return make_error(ErrorCode::Parse, "invalid JSON");
    }
    return from_json_value(json, 0);
}

} // namespace ggl
