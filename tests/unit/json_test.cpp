// ggl's JSON reader and writer (lib/src/json.cpp): against nlohmann_json as an oracle (the
// same texts accepted and rejected, the same values read, on edge cases and on the real
// JSON recipes of the corpus; what ggl writes, nlohmann reads back as the same value), and
// on their own (bytes as base64, the short form, repeated keys, error positions).
#include "ggl/json.hpp"
#include "ggl/text.hpp"

#include "corpus.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

using namespace ggl;
using Oracle = nlohmann::ordered_json;

namespace {

// nlohmann's value as the Object ggl should read: integers beyond int64 are doubles.
Object from_oracle(const Oracle& json) {
    switch (json.type()) {
    case Oracle::value_t::null: return Object{};
    case Oracle::value_t::boolean: return Object{json.get<bool>()};
    case Oracle::value_t::number_integer: return Object{json.get<int64_t>()};
    case Oracle::value_t::number_unsigned: {
        auto u = json.get<uint64_t>();
        return u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? Object{static_cast<int64_t>(u)}
                                                                                : Object{static_cast<double>(u)};
    }
    case Oracle::value_t::number_float: return Object{json.get<double>()};
    case Oracle::value_t::string: return Object{json.get<std::string>()};
    case Oracle::value_t::array: {
        List list;
        for (const auto& item : json) list.push_back(from_oracle(item));
        return Object{std::move(list)};
    }
    case Oracle::value_t::object: {
        Map map;
        for (const auto& [key, item] : json.items()) map.append(key, from_oracle(item));
        return Object{std::move(map)};
    }
    default: FAIL("unexpected nlohmann type"); return Object{};
    }
}

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out += static_cast<char>(v);
    }
    return out;
}

// Values every writing test goes through.
std::vector<Object> written_samples() {
    std::string controls;
    for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
    return {
        Object{},
        Object{true},
        Object{false},
        Object{int64_t{0}},
        Object{std::numeric_limits<int64_t>::min()},
        Object{std::numeric_limits<int64_t>::max()},
        Object{0.1},
        Object{1.0},
        Object{-2.5e-300},
        Object{1e300},
        Object{1e15},
        Object{123456.0},
        Object{std::numeric_limits<double>::denorm_min()},
        Object{std::string("quote \" backslash \\ slash / del \x7f tab\t nl\n")},
        Object{controls},
        Object{std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")},
        Object{std::string(bytes({0xff, 0xfe}))},
        Object{Bytes{bytes({0x00, 0x01})}},
        Object{List{}},
        Object{Map{}},
        Object{Map{{"a", List{1, "x", Map{{"b\n\"", Object{}}}, List{}}}, {"", Map{}}, {"\xc3\xa9", 2.0}}},
    };
}

void check_agrees(const std::string& text) {
    INFO("JSON: " << text);
    auto ours = from_json(text);
    bool accepted = Oracle::accept(text);
    CHECK(ours.ok() == accepted);
    if (!ours.ok()) {
        CHECK(ours.error().code == ErrorCode::Parse);
        CHECK_THAT(ours.error().message, Catch::StartsWith("invalid JSON at line "));
    }
    if (ours.ok() && accepted) {
        CHECK(*ours == from_oracle(Oracle::parse(text)));
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("JSON reading agrees with nlohmann_json on edge cases") {
    const char* texts[] = {
        "null", "true", "false", "0", "-0", "1", "-1", "0.5", "-0.5", "1e3", "1E+3", "1e-3", "2.5e-300", "1.7976931348623157e308",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
        "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
        "\"\"", "\"a\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20ac\"", "\"\\ud83d\\ude00\"",
        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "[]", "{}", " [ ] ", "\t\r\n{ }\n", "[1,2,[3,[4]]]",
        "{\"a\":1,\"b\":{\"c\":[true,false,null]}}", "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2,\"b\":3}",
        "\xef\xbb\xbf{}", "[\"x\",{\"y\":\"z\"}]",
        // rejected
        "", " ", "nul", "tru", "True", "NaN", "Infinity", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "0x10",
        "\"", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"",
        "\"a\x01\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"", "[1,]", "[,1]", "[1 2]", "[",
        "]", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{'a':1}", "{\"a\" 1}", "{} x", "[] []",
        "// comment\n{}", "{\"a\":1}/**/", "\xef\xbb", "[1]\x00",
    };
    for (const char* text : texts) {
        check_agrees(text);
    }
    check_agrees(std::string(128, '[') + std::string(128, ']'));
}

TEST_CASE("JSON reading agrees with nlohmann_json on the corpus's JSON recipes", "[.corpus]") {
    size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(ggl::testing::corpus_location())) {
        if (entry.is_regular_file() && entry.path().extension() == ".json") {
            ++files;
            check_agrees(read_file(entry.path()));
        }
    }
    CHECK(files > 0);
}

TEST_CASE("JSON errors name the line and column of the offending character") {
    auto check_error = [](const std::string& text, const std::string& where) {
        auto parsed = from_json(text);
        REQUIRE_FALSE(parsed.ok());
        CHECK_THAT(parsed.error().message, Catch::StartsWith("invalid JSON at line " + where + ": "));
    };
    check_error("{\"a\": }", "1, column 7");
    check_error("{\n  \"a\": 1,\n  \"b\" 2\n}", "3, column 7");
    check_error("[1,\n]", "2, column 1");
    check_error("[1", "1, column 3");
    check_error("\"\\q\"", "1, column 3");
    check_error("\"\\ud83d\"", "1, column 2");
    // The one place where nlohmann_json differs: it stops reading at a NUL byte.
    check_error(std::string("[1]\0", 4), "1, column 4");
    auto deep = from_json(std::string(129, '[') + std::string(129, ']'));
    REQUIRE_FALSE(deep.ok());
    CHECK_THAT(deep.error().message, Catch::Contains("nested deeper than 128 levels"));
    CHECK(from_json(std::string(100000, '[')).error().code == ErrorCode::Parse);
}

TEST_CASE("what ggl writes, nlohmann_json reads back as the same value") {
    std::vector<Object> values = written_samples();
    for (const Object& value : values) {
        for (JsonStyle style : {JsonStyle::Short, JsonStyle::Pretty}) {
            std::string text = to_json(value, style);
            INFO(text);
            REQUIRE(Oracle::accept(text));
            Object back = from_oracle(Oracle::parse(text));
            // Bytes, and strings that are not UTF-8, come back as the text they were
            // written as: themselves when UTF-8, else base64.
            Object expected = value;
            if (value.is_buffer()) {
                std::string data = value.is_bytes() ? value.as_bytes().data : value.as_string();
                expected = Object{is_valid_utf8(data) ? data : base64_encode(data)};
            }
            CHECK(back == expected);
            CHECK(back.type() == expected.type());  // 1.0 stays a float
        }
    }
    // The pretty form is nlohmann's dump(2) of the same value, for values without floats.
    Object nested{Map{{"a", List{1, "x", Map{{"b", Object{}}}, List{}}}, {"", Map{}}, {"c", true}}};
    CHECK(to_json(nested, JsonStyle::Pretty) == Oracle::parse(to_json(nested)).dump(2));
    // Keys that are not UTF-8 are base64; one that then equals another keeps the first
    // place and the last value, as reading such a text does.
    CHECK(to_json(Map{{"/w==", 1}, {std::string("\xff"), 2}}) == R"({"/w==":2})");
}

TEST_CASE("JSON converts to objects and back") {
    auto parsed = from_json(R"({"a":[1,-2,3.5,true,null,"s"],"big":18446744073709551615,"m":{}})");
    REQUIRE(parsed.ok());
    const Map& map = parsed->as_map();
    CHECK(map.find("a")->as_list()[0] == Object(1));
    CHECK(map.find("a")->as_list()[1] == Object(-2));
    CHECK(map.find("a")->as_list()[2] == Object(3.5));
    CHECK(map.find("big")->is_f64());
    CHECK(map.find("m")->is_map());
    CHECK(to_json(Map{{"a", 1}, {"b", List{"x", Object{}}}}) == R"({"a":1,"b":["x",null]})");
    CHECK(to_json(Map{{"a", 1}}, JsonStyle::Pretty) == "{\n  \"a\": 1\n}");
}

TEST_CASE("JSON shows bytes as text when UTF-8 and as base64 otherwise") {
    CHECK(to_json(Bytes{"hi"}) == "\"hi\"");
    CHECK(to_json(Bytes{bytes({0xff, 0x00, 0x10})}) == "\"/wAQ\"");
    CHECK(to_json(std::string(bytes({0xc3, 0x28}))) == "\"wyg=\"");
    CHECK(to_json(std::nan("")) == "null");
}

namespace {
// The pretty form without the whitespace between tokens.
std::string minified(const std::string& pretty) {
    std::string out;
    bool in_string = false;
    for (size_t i = 0; i < pretty.size(); ++i) {
        char c = pretty[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\') {
                out.push_back(pretty[++i]);
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
            out.push_back(c);
        } else if (c != ' ' && c != '\n') {
            out.push_back(c);
        }
    }
    return out;
}
} // namespace

TEST_CASE("short JSON is the pretty form without its whitespace") {
    std::vector<Object> values = written_samples();
    for (const Object& value : values) {
        std::string pretty = to_json(value, JsonStyle::Pretty);
        INFO(pretty);
        CHECK(to_json(value) == minified(pretty));
    }
    CHECK(to_json(Object{std::string("a\x01" "b")}) == "\"a\\u0001b\"");
    // A key that is not UTF-8 is written as base64, through the same map as before.
    CHECK(to_json(Map{{bytes({0xff}), 1}}) == R"({"/w==":1})");
}

TEST_CASE("JSON parsing keeps a repeated key's first position and last value") {
    auto parsed = from_json(R"({"a":1,"b":[true,{"c":null}],"a":{"d":"e"}})");
    REQUIRE(parsed.ok());
    const Map& map = parsed->as_map();
    REQUIRE(map.size() == 2);
    CHECK(map.begin()->first == "a");
    CHECK(*map.find("a") == Object(Map{{"d", "e"}}));
    CHECK(*map.find("b") == Object(List{true, Map{{"c", Object{}}}}));
    CHECK(from_json("\"\\u00e9\\n\"")->as_string() == "\xc3\xa9\n");
    CHECK(from_json("-9223372036854775808")->as_i64() == std::numeric_limits<int64_t>::min());
    CHECK(from_json(" [] ")->as_list().empty());
    CHECK_FALSE(from_json("[1,]").ok());
    CHECK_FALSE(from_json("{} x").ok());
    CHECK_FALSE(from_json("").ok());
    CHECK_FALSE(from_json("\"\xff\"").ok());
}

TEST_CASE("invalid JSON is a PARSE error naming the position") {
    auto parsed = from_json("{\"a\": }");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == ErrorCode::Parse);
    CHECK_THAT(parsed.error().message, Catch::Contains("line 1, column 7"));
    auto deep = from_json(std::string(100000, '['));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error().code == ErrorCode::Parse);
}
