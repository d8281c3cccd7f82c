// ggl's JSON reader and writer (lib/codec/src/json.cpp, on nlohmann_json): the exact values read
// and texts written, the errors with their line and column, the nesting limit, repeated
// keys, bytes and text that is not UTF-8, round trips; and, on the real JSON recipes of
// the corpus, that the Objects built from nlohmann's parse events are the values of
// nlohmann's own DOM (the same texts accepted, the same values, keys in the same order).
#include "ggl/json.hpp"
#include "ggl/text.hpp"

#include "corpus.hpp"

#include <catch2/catch.hpp>
// As lib/codec/src/json.cpp includes it: every inline function of nlohmann the same in both.
#define JSON_NOEXCEPTION 1
#define JSON_NO_IO 1
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
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
        Object{-0.0},
        Object{-2.5e-300},
        Object{1e300},
        Object{1e15},
        Object{123456.0},
        Object{std::numeric_limits<double>::denorm_min()},
        Object{std::numeric_limits<double>::max()},
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

// What from_json reads, exactly: the value and its type (2 and 2.0 differ as Objects).
void check_reads(const std::string& text, const Object& expected) {
    INFO("JSON: " << text);
    auto parsed = from_json(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == expected);
    CHECK(parsed->type() == expected.type());
}

// The PARSE error from_json gives: "invalid JSON at line L, column C: " and then message.
std::string error_of(const std::string& text) {
    auto parsed = from_json(text);
    if (parsed.ok()) {
        return "accepted";
    }
    CHECK(parsed.error().code == ErrorCode::Parse);
    return parsed.error().message;
}

} // namespace

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

TEST_CASE("JSON scalars read as the Object they stand for") {
    check_reads("null", Object{});
    check_reads("true", Object{true});
    check_reads("false", Object{false});
    check_reads("\"\"", Object{std::string()});
    check_reads("\"a\"", Object{"a"});
    check_reads("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", Object{"\"\\/\b\f\n\r\t"});
    check_reads("\"\\u0041\\u00e9\\u20ac\\u0000\"", Object{std::string("A\xc3\xa9\xe2\x82\xac\0", 7)});
    check_reads("\"\\ud83d\\ude00\"", Object{"\xf0\x9f\x98\x80"});
    check_reads("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", Object{"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"});
    check_reads(" \t\r\n\"padded\"\n ", Object{"padded"});
    check_reads("\xef\xbb\xbf\"after a byte order mark\"", Object{"after a byte order mark"});
}

TEST_CASE("JSON integers that fit i64 read as I64, other numbers as F64") {
    check_reads("0", Object{int64_t{0}});
    check_reads("-0", Object{int64_t{0}});
    check_reads("1", Object{int64_t{1}});
    check_reads("-1", Object{int64_t{-1}});
    check_reads("9223372036854775807", Object{std::numeric_limits<int64_t>::max()});
    check_reads("-9223372036854775808", Object{std::numeric_limits<int64_t>::min()});
    check_reads("9223372036854775808", Object{9223372036854775808.0});
    check_reads("18446744073709551615", Object{18446744073709551615.0});
    check_reads("18446744073709551616", Object{18446744073709551616.0});
    check_reads("-9223372036854775809", Object{-9223372036854775809.0});
    check_reads("123456789012345678901234567890", Object{1.2345678901234568e29});
    check_reads("0.5", Object{0.5});
    check_reads("-0.5", Object{-0.5});
    check_reads("1.0", Object{1.0});
    check_reads("1e3", Object{1000.0});
    check_reads("1E+3", Object{1000.0});
    check_reads("1e-3", Object{0.001});
    check_reads("2.5e-300", Object{2.5e-300});
    check_reads("1.7976931348623157e308", Object{std::numeric_limits<double>::max()});
    check_reads("4.9406564584124654e-324", Object{std::numeric_limits<double>::denorm_min()});
    auto negative_zero = from_json("-0.0");
    REQUIRE(negative_zero.ok());
    REQUIRE(negative_zero->is_f64());
    CHECK(std::signbit(negative_zero->as_f64()));
    // Beyond the largest double: refused, not read as infinity.
    CHECK_THAT(error_of("[1e400]"), Catch::StartsWith("invalid JSON at line 1, column 6: number overflow"));
    CHECK_THAT(error_of("-1e400"), Catch::Contains("number overflow"));
}

TEST_CASE("JSON containers read in order, a repeated key keeping its first position and last value") {
    check_reads("[]", Object{List{}});
    check_reads("{}", Object{Map{}});
    check_reads(" [ ] ", Object{List{}});
    check_reads("[1,2,[3,[4]]]", Object{List{1, 2, List{3, List{4}}}});
    check_reads("[\"x\",{\"y\":\"z\"}]", Object{List{"x", Map{{"y", "z"}}}});
    check_reads("{\"a\":1,\"b\":{\"c\":[true,false,null]}}",
                Object{Map{{"a", 1}, {"b", Map{{"c", List{true, false, Object{}}}}}}});

    auto parsed = from_json(R"({"z":1,"b":[true,{"c":null}],"z":{"d":"e"},"a":2})");
    REQUIRE(parsed.ok());
    const Map& map = parsed->as_map();
    REQUIRE(map.size() == 3);
    std::vector<std::string> keys;
    for (const auto& entry : map) keys.push_back(entry.first);
    CHECK(keys == std::vector<std::string>{"z", "b", "a"});
    CHECK(*map.find("z") == Object(Map{{"d", "e"}}));
    CHECK(*map.find("b") == Object(List{true, Map{{"c", Object{}}}}));
    // A container under a repeated key is filled in the first key's place.
    check_reads(R"({"a":[1],"b":2,"a":[3,{"c":[4]}]})", Object{Map{{"a", List{3, Map{{"c", List{4}}}}}, {"b", 2}}});
    // Many items: the containers being filled move as they grow.
    std::string many = "[";
    List expected;
    for (int i = 0; i < 1000; ++i) {
        many += (i ? ",[" : "[") + std::to_string(i) + ",{\"k\":\"" + std::to_string(i) + "\"}]";
        expected.push_back(List{i, Map{{"k", std::to_string(i)}}});
    }
    many += "]";
    check_reads(many, Object{std::move(expected)});
}

TEST_CASE("text that is not JSON is refused with a PARSE error") {
    const char* texts[] = {
        "",
        " ",
        "nul",
        "tru",
        "True",
        "NaN",
        "Infinity",
        "-",
        "+1",
        "01",
        "-01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "0x10",
        "\"",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\u12G4\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83d\\u0041\"",
        "\"a\x01\"",
        "\"tab\there\"",
        "[1,]",
        "[,1]",
        "[1 2]",
        "[",
        "]",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{a:1}",
        "{'a':1}",
        "{\"a\" 1}",
        "{1:2}",
        "{} x",
        "[] []",
        "// comment\n{}",
        "{\"a\":1}/**/",
        "\xef\xbb",
        "\xef\xbb\xbf",
        "[1]\x01",
    };
    for (const char* text : texts) {
        INFO("JSON: " << text);
        CHECK_THAT(error_of(text), Catch::StartsWith("invalid JSON at line "));
    }
}

TEST_CASE("JSON strings must be UTF-8") {
    const char* texts[] = {
        "\"\xff\"", // never in UTF-8
        "\"\xc0\xaf\"", // overlong '/'
        "\"\xe0\x80\xaf\"", // overlong '/', three bytes
        "\"\xed\xa0\x80\"", // a surrogate, encoded
        "\"\xf4\x90\x80\x80\"", // past U+10FFFF
        "\"\xe2\x82\"", // cut short
        "\"\x80\"", // a continuation byte alone
    };
    for (const char* text : texts) {
        INFO("JSON: " << text);
        CHECK_THAT(error_of(text), Catch::StartsWith("invalid JSON at line 1, column ") &&
                                       Catch::Contains("invalid string: ill-formed UTF-8 byte"));
    }
    CHECK_THAT(error_of("{\"ok\":\"\xc3\xa9\",\"\xff\":1}"), Catch::StartsWith("invalid JSON at line 1, column 13: "));
}

TEST_CASE("JSON errors name the line and column of the offending byte") {
    CHECK(
        error_of("{\"a\": }") ==
        "invalid JSON at line 1, column 7: syntax error while parsing value - unexpected '}'; expected '[', '{', or a "
        "literal");
    CHECK_THAT(error_of("{\n  \"a\": 1,\n  \"b\" 2\n}"),
               Catch::StartsWith("invalid JSON at line 3, column 7: ") && Catch::Contains("unexpected number literal"));
    CHECK_THAT(error_of("[1,\n]"), Catch::StartsWith("invalid JSON at line 2, column 1: "));
    CHECK_THAT(error_of("[1,\r\n  ]"), Catch::StartsWith("invalid JSON at line 2, column 3: "));
    // At the end: the column after the last byte.
    CHECK_THAT(error_of("[1"),
               Catch::StartsWith("invalid JSON at line 1, column 3: ") && Catch::Contains("unexpected end of input"));
    CHECK_THAT(error_of("[1,\n"), Catch::StartsWith("invalid JSON at line 2, column 1: "));
    CHECK_THAT(error_of(""), Catch::StartsWith("invalid JSON at line 1, column 1: "));
    // In a string: where reading it went wrong.
    CHECK_THAT(error_of("\"\\q\""), Catch::StartsWith("invalid JSON at line 1, column 3: ") &&
                                        Catch::Contains("forbidden character after backslash"));
    CHECK_THAT(error_of("\"\\ud83d\""),
               Catch::StartsWith("invalid JSON at line 1, column 8: ") && Catch::Contains("surrogate"));
    CHECK_THAT(error_of("[\"a\nb\"]"),
               Catch::StartsWith("invalid JSON at line 1, column 4: ") && Catch::Contains("control character U+000A"));
    // Columns count bytes: 'é' is two.
    CHECK_THAT(error_of("[\"\xc3\xa9\", x]"), Catch::StartsWith("invalid JSON at line 1, column 8: "));
    CHECK_THAT(error_of("\xef\xbb\xbf[1,,]"), Catch::StartsWith("invalid JSON at line 1, column 7: "));
    // nlohmann_json stops reading at a NUL byte; ggl does not take that for the end.
    CHECK(error_of(std::string("[1]\0", 4)) ==
          "invalid JSON at line 1, column 4: unexpected NUL byte; expected the end of the text");
    CHECK(error_of(std::string("[1]\n\0{}", 7)) ==
          "invalid JSON at line 2, column 1: unexpected NUL byte; expected the end of the text");
    CHECK(error_of(std::string("[1,\0]", 5)) == "invalid JSON at line 1, column 4: unexpected NUL byte");
    CHECK_THAT(error_of(std::string("\"a\0\"", 4)),
               Catch::StartsWith("invalid JSON at line 1, column 3: ") && Catch::Contains("U+0000"));
}

TEST_CASE("JSON nested deeper than 128 levels is refused where the 129th level opens") {
    // 64 lists, then 64 maps, each the value of "k".
    std::string nested = std::string(64, '[');
    for (int i = 0; i < 64; ++i) nested += "{\"k\":";
    nested += "null";
    for (int i = 0; i < 64; ++i) nested += "}";
    nested += std::string(64, ']');
    auto parsed = from_json(nested);
    REQUIRE(parsed.ok());
    const Object* inner = &*parsed;
    for (int i = 0; i < 64; ++i) inner = &inner->as_list().at(0);
    for (int i = 0; i < 64; ++i) inner = inner->as_map().find("k");
    CHECK(inner->is_null());

    CHECK(from_json(std::string(128, '[') + std::string(128, ']')).ok());
    CHECK(error_of(std::string(129, '[') + std::string(129, ']')) ==
          "invalid JSON at line 1, column 129: nested deeper than 128 levels");
    // Brackets inside strings do not count, nor do they move the position.
    std::string with_strings = "[\"[[{\\\"\"," + std::string(127, '[') + "\"]]\"" + std::string(128, ']');
    CHECK(from_json(with_strings).ok());
    CHECK(error_of("{\"a\":\"[\",\n \"b\":" + std::string(128, '[') + std::string(128, ']') + "}") ==
          "invalid JSON at line 2, column 133: nested deeper than 128 levels");
    // Hostile nesting stops at the limit, at once.
    auto start = std::chrono::steady_clock::now();
    CHECK(error_of(std::string(10'000'000, '[')) ==
          "invalid JSON at line 1, column 129: nested deeper than 128 levels");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("JSON writes each scalar in one exact form") {
    CHECK(to_json(Object{}) == "null");
    CHECK(to_json(true) == "true");
    CHECK(to_json(false) == "false");
    CHECK(to_json(int64_t{0}) == "0");
    CHECK(to_json(-42) == "-42");
    CHECK(to_json(std::numeric_limits<int64_t>::min()) == "-9223372036854775808");
    CHECK(to_json(std::numeric_limits<int64_t>::max()) == "9223372036854775807");
    // Floats: the shortest text that reads back as the same double, with ".0" on an
    // integral one so that it reads back as a float.
    CHECK(to_json(1.0) == "1.0");
    CHECK(to_json(-0.0) == "-0.0");
    CHECK(to_json(0.1) == "0.1");
    CHECK(to_json(2.5) == "2.5");
    CHECK(to_json(123456.0) == "123456.0");
    CHECK(to_json(1e15) == "1e+15");
    CHECK(to_json(1e300) == "1e+300");
    CHECK(to_json(-2.5e-300) == "-2.5e-300");
    CHECK(to_json(0.0001) == "0.0001");
    CHECK(to_json(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
    // JSON has no NaN or infinity.
    CHECK(to_json(std::nan("")) == "null");
    CHECK(to_json(std::numeric_limits<double>::infinity()) == "null");
    CHECK(to_json(List{-std::numeric_limits<double>::infinity()}) == "[null]");
    // Strings: '"', '\' and control characters escaped, the rest as it is.
    CHECK(to_json("quote \" backslash \\ slash / del \x7f") == R"("quote \" backslash \\ slash / del )"
                                                               "\x7f\"");
    CHECK(to_json("\b\f\n\r\t") == R"("\b\f\n\r\t")");
    CHECK(to_json(std::string("a\0\x01\x1f"
                              "b",
                              5)) == R"("a\u0000\u0001\u001fb")");
    CHECK(to_json("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
}

TEST_CASE("JSON shows bytes as text when UTF-8 and as base64 otherwise") {
    CHECK(to_json(Bytes{"hi"}) == "\"hi\"");
    CHECK(to_json(Bytes{bytes({0xff, 0x00, 0x10})}) == "\"/wAQ\"");
    CHECK(to_json(Bytes{}) == "\"\"");
    CHECK(to_json(std::string(bytes({0xc3, 0x28}))) == "\"wyg=\"");
    CHECK(to_json(std::string(bytes({0xed, 0xa0, 0x80}))) == "\"7aCA\""); // an encoded surrogate
    CHECK(to_json(Map{{"k", Bytes{bytes({0xfe})}}}) == R"({"k":"/g=="})");
}

TEST_CASE("JSON writes containers short or pretty") {
    Object nested{Map{{"a", List{1, "x", Map{{"b", Object{}}}, List{}}}, {"", Map{}}, {"c", true}}};
    CHECK(to_json(nested) == R"({"a":[1,"x",{"b":null},[]],"":{},"c":true})");
    CHECK(to_json(nested, JsonStyle::Pretty) == R"({
  "a": [
    1,
    "x",
    {
      "b": null
    },
    []
  ],
  "": {},
  "c": true
})");
    CHECK(to_json(List{}, JsonStyle::Pretty) == "[]");
    CHECK(to_json(Map{}, JsonStyle::Pretty) == "{}");
    CHECK(to_json(Map{{"a", 1}}, JsonStyle::Pretty) == "{\n  \"a\": 1\n}");
    CHECK(to_json(Map{{"a", 1}, {"b", List{"x", Object{}}}}) == R"({"a":1,"b":["x",null]})");
    // Keys in the map's order, escaped as strings are.
    CHECK(to_json(Map{{"z", 1}, {"a\"\n", 2}, {"m", 3}}) == R"({"z":1,"a\"\n":2,"m":3})");
}

TEST_CASE("JSON map keys that are not UTF-8 are written as base64") {
    CHECK(to_json(Map{{bytes({0xff}), 1}}) == R"({"/w==":1})");
    // One that then equals another key keeps the first place and the last value, as
    // reading such a text does.
    CHECK(to_json(Map{{"/w==", 1}, {"b", 2}, {std::string("\xff"), 3}}) == R"({"/w==":3,"b":2})");
    CHECK(to_json(Map{{std::string("\xff"), 1}, {"/w==", 2}}, JsonStyle::Pretty) == "{\n  \"/w==\": 2\n}");
    // A map that repeats a UTF-8 key (a decoded msgpack map may) is written as it is.
    Map repeated;
    repeated.append("a", 1);
    repeated.append("a", 2);
    CHECK(to_json(repeated) == R"({"a":1,"a":2})");
    CHECK(from_json(to_json(repeated))->as_map() == Map{{"a", 2}});
}

TEST_CASE("what ggl writes is nlohmann_json's own dump of the same value") {
    // The value as written: bytes and text that is not UTF-8 as their text or base64.
    std::function<Oracle(const Object&)> to_oracle = [&](const Object& value) -> Oracle {
        switch (value.type()) {
        case Type::Null: return Oracle(nullptr);
        case Type::Bool: return Oracle(value.as_bool());
        case Type::I64: return Oracle(value.as_i64());
        case Type::F64: return Oracle(value.as_f64());
        case Type::String:
        case Type::Bytes: {
            std::string data(value.as_buffer());
            return Oracle(is_valid_utf8(data) ? data : base64_encode(data));
        }
        case Type::List: {
            Oracle list = Oracle::array();
            for (const auto& item : value.as_list()) list.push_back(to_oracle(item));
            return list;
        }
        case Type::Map: {
            Oracle map = Oracle::object();
            for (const auto& [key, item] : value.as_map()) map[key] = to_oracle(item);
            return map;
        }
        }
        return Oracle();
    };
    for (const Object& value : written_samples()) {
        Oracle oracle = to_oracle(value);
        INFO(oracle.dump());
        CHECK(to_json(value) == oracle.dump());
        CHECK(to_json(value, JsonStyle::Pretty) == oracle.dump(2));
    }
}

TEST_CASE("what ggl writes reads back as the same value") {
    for (const Object& value : written_samples()) {
        for (JsonStyle style : {JsonStyle::Short, JsonStyle::Pretty}) {
            std::string text = to_json(value, style);
            INFO(text);
            auto back = from_json(text);
            REQUIRE(back.ok());
            // Bytes, and strings that are not UTF-8, come back as the text they were
            // written as: themselves when UTF-8, else base64.
            Object expected = value;
            if (value.is_buffer()) {
                std::string data = value.is_bytes() ? value.as_bytes().data : value.as_string();
                expected = Object{is_valid_utf8(data) ? data : base64_encode(data)};
            }
            CHECK(*back == expected);
            CHECK(back->type() == expected.type()); // 1.0 stays a float
            CHECK(to_json(*back, style) == text);
        }
    }
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
    for (const Object& value : written_samples()) {
        std::string pretty = to_json(value, JsonStyle::Pretty);
        INFO(pretty);
        CHECK(to_json(value) == minified(pretty));
    }
}
