// Unit tests of YAML loading (typing, tags, anchors, merge keys, limits, errors) and of to_yaml round trips.
#include "ggl/yaml.hpp"

#include "corpus.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <unistd.h>

namespace Catch {
template <>
struct StringMaker<ggl::Object> {
    static std::string convert(const ggl::Object& value) {
        ggl::Result<std::string> text = ggl::to_yaml(value);
        return text ? "\n" + *text : "(to_yaml failed: " + text.error().message + ")";
    }
};
} // namespace Catch

using ggl::Bytes;
using ggl::ErrorCode;
using ggl::List;
using ggl::Map;
using ggl::Object;
using ggl::yaml_parse;

namespace {

Object parsed(std::string_view text) {
    ggl::Result<Object> result = yaml_parse(text);
    INFO("input:\n" << text);
    INFO("error: " << (result ? std::string() : result.error().message));
    REQUIRE(result.ok());
    return std::move(result).value();
}

// The value of key "v" in a one-line document "v: <text>".
Object value_of(std::string_view text) {
    Object doc = parsed("v: " + std::string(text) + "\n");
    REQUIRE(doc.is_map());
    const Object* v = doc.as_map().find("v");
    REQUIRE(v != nullptr);
    return *v;
}

std::string failure(std::string_view text) {
    ggl::Result<Object> result = yaml_parse(text);
    INFO("input:\n" << text);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Parse);
    return result.error().message;
}

// to_yaml's text, which must be there.
std::string yaml_text(const Object& value) {
    ggl::Result<std::string> text = ggl::to_yaml(value);
    INFO("error: " << (text ? std::string() : text.error().message));
    REQUIRE(text.ok());
    return std::move(text).value();
}

void check_round_trip(const Object& value) {
    std::string text = yaml_text(value);
    INFO("to_yaml wrote:\n" << text);
    ggl::Result<Object> back = yaml_parse(text);
    INFO("error: " << (back ? std::string() : back.error().message));
    REQUIRE(back.ok());
    CHECK(*back == value);
}

const std::filesystem::path corpus_dir = ggl::testing::corpus_location();

} // namespace

// ---------------------------------------------------------------------------------
// Scalars

TEST_CASE("plain null forms and the empty scalar load as null") {
    for (const char* text : {"", "~", "null", "Null", "NULL"}) {
        INFO(text);
        CHECK(value_of(text).is_null());
    }
}

TEST_CASE("plain true and false in the three core spellings load as booleans") {
    for (const char* text : {"true", "True", "TRUE"}) {
        CHECK(value_of(text) == Object(true));
    }
    for (const char* text : {"false", "False", "FALSE"}) {
        CHECK(value_of(text) == Object(false));
    }
}

TEST_CASE("YAML 1.1 booleans and odd spellings stay strings") {
    for (const char* text : {"yes", "no", "on", "off", "y", "n", "Yes", "ON", "tRUE", "nULL", "nil"}) {
        CHECK(value_of(text) == Object(text));
    }
}

TEST_CASE("plain decimal, octal and hexadecimal integers load as integers") {
    CHECK(value_of("0") == Object(0));
    CHECK(value_of("-17") == Object(-17));
    CHECK(value_of("+42") == Object(42));
    CHECK(value_of("-0") == Object(0));
    CHECK(value_of("007") == Object(7)); // core schema: decimal, not YAML 1.1 octal
    CHECK(value_of("0o17") == Object(15));
    CHECK(value_of("0x1F") == Object(31));
    CHECK(value_of("0xff") == Object(255));
    CHECK(value_of("86400") == Object(86400));
    CHECK(value_of("9223372036854775807") == Object(std::numeric_limits<int64_t>::max()));
    CHECK(value_of("-9223372036854775808") == Object(std::numeric_limits<int64_t>::min()));
    CHECK(value_of("0x7FFFFFFFFFFFFFFF") == Object(std::numeric_limits<int64_t>::max()));
}

TEST_CASE("a decimal integer beyond i64 loads as a float, as from_json does") {
    Object big = value_of("9223372036854775808");
    REQUIRE(big.is_f64());
    CHECK(big.as_f64() == 9223372036854775808.0);
    Object negative = value_of("-100000000000000000000");
    REQUIRE(negative.is_f64());
    CHECK(negative.as_f64() == -1e20);
}

TEST_CASE("an octal or hexadecimal integer beyond i64 is an error") {
    CHECK_THAT(failure("v: 0x8000000000000000\n"),
               Catch::Equals("line 1, column 4: integer \"0x8000000000000000\" does not fit in a signed "
                             "64-bit integer in v"));
    CHECK_THAT(failure("v: 0o1777777777777777777777\n"), Catch::Contains("does not fit"));
    CHECK_THAT(failure("v: 0xFFFFFFFFFFFFFFFFFFFFFFFF\n"), Catch::Contains("does not fit"));
}

TEST_CASE("plain floats in core schema form load as doubles") {
    CHECK(value_of("1.5") == Object(1.5));
    CHECK(value_of("-0.5") == Object(-0.5));
    CHECK(value_of(".5") == Object(0.5));
    CHECK(value_of("+.5") == Object(0.5));
    CHECK(value_of("1.") == Object(1.0));
    CHECK(value_of("1e3") == Object(1000.0));
    CHECK(value_of("6.02E+23") == Object(6.02e23));
    CHECK(value_of("1.5e-3") == Object(0.0015));
    CHECK(value_of(".inf") == Object(std::numeric_limits<double>::infinity()));
    CHECK(value_of("+.Inf") == Object(std::numeric_limits<double>::infinity()));
    CHECK(value_of("-.INF") == Object(-std::numeric_limits<double>::infinity()));
    for (const char* text : {".nan", ".NaN", ".NAN"}) {
        Object nan = value_of(text);
        REQUIRE(nan.is_f64());
        CHECK(std::isnan(nan.as_f64()));
    }
    CHECK(value_of("1.0").is_f64());
}

TEST_CASE("a float beyond the range of a double is an error") {
    CHECK_THAT(failure("v: 1e999\n"), Catch::Contains("line 1, column 4: number \"1e999\" is out of range"));
}

TEST_CASE("forms outside the core schema stay strings") {
    for (const char* text : {"0b101",    "1_000", "0x",   "0o",  "0o8",   "0xG",        "-0x10", "+0o7", "1.0.0",
                             "12:30:00", ".5.5",  "1e",   "e3",  "1e+",   "+",          "-.",    "..",   "Infinity",
                             "NaN",      "nan",   ".Nan", "inf", "1,000", "0.1.2-beta", "v1"}) {
        CHECK(value_of(text) == Object(text));
    }
}

TEST_CASE("an unquoted date such as RecipeFormatVersion 2020-01-25 stays a string") {
    Object doc = parsed("RecipeFormatVersion: 2020-01-25\nwhen: 2001-12-14t21:59:43.10-05:00\n");
    CHECK(*doc.as_map().find("RecipeFormatVersion") == Object("2020-01-25"));
    CHECK(*doc.as_map().find("when") == Object("2001-12-14t21:59:43.10-05:00"));
}

TEST_CASE("quoted and block scalars are strings whatever they look like") {
    CHECK(value_of("'12'") == Object("12"));
    CHECK(value_of("\"true\"") == Object("true"));
    CHECK(value_of("'null'") == Object("null"));
    CHECK(value_of("''") == Object(""));
    CHECK(value_of("\"\"") == Object(""));
    CHECK(value_of("'~'") == Object("~"));
    CHECK(parsed("v: |\n  12\n") == Object(Map{{"v", "12\n"}}));
    CHECK(parsed("v: >-\n  1.5\n") == Object(Map{{"v", "1.5"}}));
    CHECK(parsed("v: |-\n  null\n") == Object(Map{{"v", "null"}}));
}

TEST_CASE("double-quoted escapes and single-quote doubling are decoded") {
    CHECK(value_of(R"("a\tb\n\"c\"\\ \u00e9 \x41")") == Object("a\tb\n\"c\"\\ \xc3\xa9 A"));
    CHECK(value_of("'it''s'") == Object("it's"));
}

TEST_CASE("multi-line plain scalars fold into one line and comments are dropped") {
    CHECK(parsed("run:\n  exit 0\n  now\n") == Object(Map{{"run", "exit 0 now"}}));
    CHECK(value_of("12 # a comment") == Object(12));
}

// ---------------------------------------------------------------------------------
// Tags

TEST_CASE("explicit standard tags decide the type") {
    CHECK(value_of("!!str 12") == Object("12"));
    CHECK(value_of("!!str true") == Object("true"));
    CHECK(value_of("!!str") == Object(""));
    CHECK(value_of("!!int '12'") == Object(12));
    CHECK(value_of("!!int 0x10") == Object(16));
    CHECK(value_of("!!float 1") == Object(1.0));
    CHECK(value_of("!!float '0x10'") == Object(16.0));
    CHECK(value_of("!!float \"-.inf\"") == Object(-std::numeric_limits<double>::infinity()));
    CHECK(value_of("!!bool 'true'") == Object(true));
    CHECK(value_of("!!null ''") == Object());
    CHECK(value_of("!!null ~") == Object());
    CHECK(value_of("! 12") == Object("12"));
    CHECK(value_of("!<tag:yaml.org,2002:int> '5'") == Object(5));
}

TEST_CASE("!!binary base64 loads as bytes, with line breaks and spaces ignored") {
    CHECK(value_of("!!binary aGVsbG8=") == Object(Bytes{"hello"}));
    CHECK(value_of("!!binary ''") == Object(Bytes{}));
    CHECK(parsed("v: !!binary |\n  R0lGODlhDAAMAIQAAP//9/X1\n  7unp5WZmZgAAAOfn515eXvPz\n") ==
          Object(Map{{"v", Bytes{std::string("\x47\x49\x46\x38\x39\x61\x0c\x00\x0c\x00\x84\x00\x00\xff\xff\xf7\xf5"
                                             "\xf5\xee\xe9\xe9\xe5\x66\x66\x66\x00\x00\x00\xe7\xe7\xe7\x5e\x5e\x5e"
                                             "\xf3\xf3",
                                             36)}}}));
}

TEST_CASE("!!map and !!seq on matching collections are accepted") {
    CHECK(parsed("v: !!map {a: 1}\nw: !!seq [1]\nx: ! [2]\n") ==
          Object(Map{{"v", Map{{"a", 1}}}, {"w", List{1}}, {"x", List{2}}}));
}

TEST_CASE("a tagged value that does not fit its tag is an error") {
    CHECK_THAT(failure("v: !!int abc\n"),
               Catch::Equals("line 1, column 4: !!int value \"abc\" is not an integer in v"));
    CHECK_THAT(failure("v: !!int 9223372036854775808\n"), Catch::Contains("does not fit in a signed 64-bit integer"));
    CHECK_THAT(failure("v: !!bool yes\n"), Catch::Contains("!!bool value \"yes\" is not true or false"));
    CHECK_THAT(failure("v: !!null 0\n"), Catch::Contains("!!null value \"0\" is not null"));
    CHECK_THAT(failure("v: !!float abc\n"), Catch::Contains("!!float value \"abc\" is not a number"));
    CHECK_THAT(failure("v: !!binary 'not base64!'\n"), Catch::Contains("!!binary value is not valid base64"));
    CHECK_THAT(failure("v: !!binary aGVsbG8\n"), Catch::Contains("!!binary value is not valid base64"));
}

TEST_CASE("an unknown tag is an error naming the tag") {
    CHECK_THAT(failure("v: !Ref foo\n"), Catch::Equals("line 1, column 4: unsupported tag !Ref in v"));
    CHECK_THAT(failure("v: !!timestamp 2020-01-01\n"), Catch::Contains("unsupported tag !!timestamp"));
    CHECK_THAT(failure("v: !!set {a}\n"), Catch::Contains("tag !!set cannot tag a map"));
    CHECK_THAT(failure("v: !!map [1]\n"), Catch::Contains("tag !!map cannot tag a list"));
    CHECK_THAT(failure("v: !!str [1]\n"), Catch::Contains("tag !!str cannot tag a list"));
    CHECK_THAT(failure("v: !!seq a\n"), Catch::Contains("!!seq cannot tag a scalar"));
}

// ---------------------------------------------------------------------------------
// Documents and collections

TEST_CASE("an empty document loads as null") {
    for (const char* text : {"", "\n", "# only a comment\n", "---\n", "---\n...\n", "--- # nothing\n"}) {
        CHECK(parsed(text).is_null());
    }
}

TEST_CASE("an empty string_view without storage loads as null") {
    ggl::Result<Object> result = yaml_parse(std::string_view());
    REQUIRE(result.ok());
    CHECK(result->is_null());
}

TEST_CASE("a top-level scalar or list loads as that value") {
    CHECK(parsed("hello\n") == Object("hello"));
    CHECK(parsed("--- 42\n") == Object(42));
    CHECK(parsed("- a\n- 1\n") == Object(List{"a", 1}));
}

TEST_CASE("nested maps and lists load with their keys in document order") {
    Object doc = parsed("b: 1\na:\n  - x\n  - {y: 2, z: [3, 4]}\nc: {}\nd: []\n");
    CHECK(doc ==
          Object(Map{{"b", 1}, {"a", List{"x", Map{{"y", 2}, {"z", List{3, 4}}}}}, {"c", Map{}}, {"d", List{}}}));
    std::vector<std::string> keys;
    for (const auto& [key, value] : doc.as_map()) {
        keys.push_back(key);
    }
    CHECK(keys == std::vector<std::string>{"b", "a", "c", "d"});
}

TEST_CASE("a second document is an error at the line where it starts") {
    CHECK_THAT(failure("a: 1\n---\nb: 2\n"),
               Catch::Equals("line 2, column 1: a second document starts here; expected one document"));
    CHECK_THAT(failure("--- a\n--- b\n"), Catch::StartsWith("line 2, column 1: a second document"));
}

// ---------------------------------------------------------------------------------
// Keys

TEST_CASE("map keys are taken as written") {
    Object doc = parsed("1: a\n0x10: b\ntrue: c\n~: d\n1e999: e\n'q': f\n? g\n: h\n");
    CHECK(doc ==
          Object(Map{{"1", "a"}, {"0x10", "b"}, {"true", "c"}, {"~", "d"}, {"1e999", "e"}, {"q", "f"}, {"g", "h"}}));
}

TEST_CASE("keys that differ only in case are distinct keys") {
    CHECK(parsed("run: a\nRun: b\n") == Object(Map{{"run", "a"}, {"Run", "b"}}));
}

TEST_CASE("a list or map as a key is an error") {
    CHECK_THAT(failure("? [a, b]\n: x\n"), Catch::Equals("line 1, column 3: a map key must be a scalar, not a list"));
    CHECK_THAT(failure("top:\n  ? {a: 1}\n  : x\n"),
               Catch::Equals("line 2, column 5: a map key must be a scalar, not a map in top"));
    CHECK_THAT(failure("a: &l [1]\n*l : x\n"),
               Catch::Equals("line 2, column 1: a map key must be a scalar; alias *l is a list"));
}

TEST_CASE("a duplicate key is an error naming the key and the map it is in") {
    CHECK_THAT(failure("Manifests:\n  - Lifecycle:\n      run: a\n      run: b\n"),
               Catch::Equals("line 4, column 7: duplicate key \"run\" in Manifests[0].Lifecycle"));
    CHECK_THAT(failure("a: 1\na: 2\n"), Catch::Equals("line 2, column 1: duplicate key \"a\""));
    CHECK_THAT(failure("v: {x: 1, x: 2}\n"), Catch::Equals("line 1, column 11: duplicate key \"x\" in v"));
    CHECK_THAT(failure("1: a\n'1': b\n"), Catch::Contains("duplicate key \"1\""));
}

TEST_CASE("key paths in errors bracket keys that hold dots or spaces") {
    CHECK_THAT(failure("services:\n  aws.greengrass.Nucleus:\n    my key:\n      - a: 1\n        a: 2\n"),
               Catch::Equals("line 5, column 9: duplicate key \"a\" in "
                             "services[\"aws.greengrass.Nucleus\"][\"my key\"][0]"));
}

// ---------------------------------------------------------------------------------
// Anchors and aliases

TEST_CASE("aliases copy the anchored scalar, list or map") {
    Object doc = parsed("s: &s hello\nl: &l [1, 2]\nm: &m {a: 1}\nx: [*s, *l, *m]\n");
    CHECK(*doc.as_map().find("x") == Object(List{"hello", List{1, 2}, Map{{"a", 1}}}));
}

TEST_CASE("an alias keeps the type its scalar had at the anchor") {
    Object doc = parsed("a: &n 12\nb: &q '12'\nc: *n\nd: *q\n");
    CHECK(*doc.as_map().find("c") == Object(12));
    CHECK(*doc.as_map().find("d") == Object("12"));
}

TEST_CASE("a redefined anchor is used from its new definition on") {
    CHECK(parsed("a: &x 1\nb: *x\nc: &x 2\nd: *x\n") == Object(Map{{"a", 1}, {"b", 1}, {"c", 2}, {"d", 2}}));
}

TEST_CASE("an alias used as a key takes the anchored scalar's text") {
    CHECK(parsed("a: &k 0x10\n*k : b\n") == Object(Map{{"a", 16}, {"0x10", "b"}}));
    CHECK(parsed("&k key: 1\nother: *k\n") == Object(Map{{"key", 1}, {"other", "key"}}));
}

TEST_CASE("an undefined alias is an error") {
    CHECK_THAT(failure("a: 1\nb: *nope\n"), Catch::Equals("line 2, column 4: undefined alias *nope in b"));
}

TEST_CASE("an alias inside the node its anchor names is an error") {
    CHECK_THAT(failure("a: &x [1, *x]\n"),
               Catch::Equals("line 1, column 11: alias *x refers to a node that contains it in a[1]"));
    CHECK_THAT(failure("a: &x {b: {c: *x}}\n"), Catch::Contains("alias *x refers to a node that contains it"));
}

TEST_CASE("a billion laughs document stops at the copy limit with a clear error") {
    std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (char level = 'b'; level <= 'i'; ++level) {
        std::string prev(1, static_cast<char>(level - 1));
        bomb += std::string(1, level) + ": &" + std::string(1, level) + " [";
        for (int i = 0; i < 9; ++i) {
            bomb += (i ? ", *" : "*") + prev;
        }
        bomb += "]\n";
    }
    auto start = std::chrono::steady_clock::now();
    std::string message = failure(bomb);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK_THAT(message, Catch::Contains("anchors and aliases copy more than 1000000 nodes (an alias expansion bomb?)"));
    CHECK_THAT(message, Catch::StartsWith("line "));
    CHECK(elapsed < std::chrono::seconds(20));
}

TEST_CASE("aliases of a long string stop at the byte limit") {
    std::string big(1 << 20, 'x');
    std::string doc = "a: &a " + big + "\nb: &b [";
    for (int i = 0; i < 100; ++i) {
        doc += "*a, ";
    }
    doc += "*a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    CHECK_THAT(failure(doc), Catch::Contains("anchors and aliases copy more than 67108864 bytes"));
}

TEST_CASE("a large document without aliases is not limited by the copy limit") {
    std::string doc = "[";
    for (size_t i = 0; i < ggl::yaml_max_copied_nodes + 10; ++i) {
        doc += i ? ",0" : "0";
    }
    doc += "]";
    Object value = parsed(doc);
    CHECK(value.as_list().size() == ggl::yaml_max_copied_nodes + 10);
}

TEST_CASE("moderate reuse through aliases stays within the limits") {
    std::string doc = "base: &base {a: 1, b: [1, 2, 3]}\nitems:\n";
    for (int i = 0; i < 1000; ++i) {
        doc += "  - *base\n";
    }
    CHECK(parsed(doc).as_map().find("items")->as_list().size() == 1000);
}

// ---------------------------------------------------------------------------------
// Merge keys

TEST_CASE("a merge key copies the entries the map does not set itself") {
    Object doc = parsed("base: &base {a: 1, b: 2}\nderived:\n  <<: *base\n  b: 3\n  c: 4\n");
    const Object& derived = *doc.as_map().find("derived");
    CHECK(derived == Object(Map{{"a", 1}, {"b", 3}, {"c", 4}}));
    std::vector<std::string> keys;
    for (const auto& [key, value] : derived.as_map()) {
        keys.push_back(key);
    }
    CHECK(keys == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("keys set in the map win over merged ones even when they come before <<") {
    Object doc = parsed("base: &base {a: 1, b: 2}\nderived:\n  b: 3\n  <<: *base\n");
    CHECK(*doc.as_map().find("derived") == Object(Map{{"a", 1}, {"b", 3}}));
}

TEST_CASE("of several merged maps the first one listed wins") {
    Object doc = parsed("x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  <<: [*x, *y]\n  d: 3\n");
    CHECK(*doc.as_map().find("z") == Object(Map{{"a", 1}, {"b", 1}, {"c", 2}, {"d", 3}}));
}

TEST_CASE("an inline map and a tagged merge key are merged too") {
    CHECK(parsed("<<: {a: 1}\nb: 2\n") == Object(Map{{"a", 1}, {"b", 2}}));
    CHECK(parsed("!!merge <<: {a: 1}\n") == Object(Map{{"a", 1}}));
}

TEST_CASE("a quoted << is an ordinary key") { CHECK(parsed("'<<': {a: 1}\n") == Object(Map{{"<<", Map{{"a", 1}}}})); }

TEST_CASE("merging something other than maps is an error") {
    CHECK_THAT(failure("a:\n  <<: 1\n"),
               Catch::Equals("line 2, column 7: merge key << needs a map or a list of maps in a"));
    CHECK_THAT(failure("x: &x {a: 1}\na:\n  <<: [*x, 2]\n"),
               Catch::Contains("merge key << needs a map or a list of maps"));
}

TEST_CASE("two merge keys in one map are an error") {
    CHECK_THAT(failure("<<: {a: 1}\n<<: {b: 1}\n"), Catch::Equals("line 2, column 1: duplicate merge key <<"));
}

// ---------------------------------------------------------------------------------
// Syntax errors, depth, files

TEST_CASE("a syntax error names line and column and the key it was under") {
    CHECK_THAT(failure("deps:\n  Bar:\n    Version: 1\n  Baz: Version: 2\n"),
               Catch::Equals("line 4, column 15: mapping values are not allowed in this context (in deps)"));
    CHECK_THAT(failure("a: [1, 2\n"), Catch::StartsWith("line 2, column 1: did not find expected ',' or ']' "
                                                        "(while parsing a flow sequence at line 1, column 4"));
    CHECK_THAT(failure("a: 'open\n"), Catch::Contains("found unexpected end of stream"));
    CHECK_THAT(failure("a:\n\t- b\n"),
               Catch::StartsWith("line 2, column 1: found character that cannot start any token"));
}

TEST_CASE("invalid UTF-8 in the input is an error with its line and column") {
    CHECK_THAT(failure("a: 1\nb: x\xff\n"), Catch::StartsWith("line 2, column 5: invalid leading UTF-8 octet (#xff)"));
    CHECK_THAT(failure("a: \x01\n"), Catch::StartsWith("line 1, column 4: control characters are not allowed"));
}

TEST_CASE("nesting at the depth limit loads and one level deeper is an error") {
    std::string at_limit(ggl::yaml_max_depth, '[');
    at_limit += std::string(ggl::yaml_max_depth, ']');
    Object value = parsed(at_limit);
    for (size_t depth = 1; depth < ggl::yaml_max_depth; ++depth) {
        value = Object(value.as_list().at(0));
    }
    CHECK(value == Object(List{}));

    std::string deeper(ggl::yaml_max_depth + 1, '[');
    deeper += std::string(ggl::yaml_max_depth + 1, ']');
    CHECK_THAT(failure(deeper), Catch::StartsWith("line 1, column 65: nesting deeper than 64 levels in [0][0]"));

    std::string block;
    for (size_t depth = 0; depth <= ggl::yaml_max_depth; ++depth) {
        block += std::string(depth * 2, ' ') + "k:\n";
    }
    CHECK_THAT(failure(block), Catch::Contains("nesting deeper than 64 levels in k.k.k"));
}

TEST_CASE("very deep nesting fails fast without exhausting the stack") {
    std::string text(200000, '[');
    CHECK_THAT(failure(text), Catch::Contains("nesting deeper than 64 levels"));
    std::string maps;
    for (int i = 0; i < 100000; ++i) {
        maps += "{a: ";
    }
    CHECK_THAT(failure(maps), Catch::Contains("nesting deeper than 64 levels"));
}

TEST_CASE("an alias that carries nesting past the depth limit is an error") {
    std::string deep(60, '[');
    deep += std::string(60, ']');
    std::string doc = "a: &a " + deep + "\nb: [[[[[[*a]]]]]]\n";
    CHECK_THAT(failure(doc), Catch::Contains("nesting deeper than 64 levels through alias *a in b[0][0][0][0][0][0]"));
    CHECK(parsed("a: &a " + deep + "\nb: [[*a]]\n").is_map());
}

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char pattern[] = "/tmp/ggl-yaml-test-XXXXXX";
        path = mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("yaml_parse_file loads a file and names the path in its errors") {
    TempDir dir;
    std::string good = (dir.path / "good.yaml").string();
    std::ofstream(good) << "system:\n  thingName: dev-1\n";
    ggl::Result<Object> loaded = ggl::yaml_parse_file(good);
    REQUIRE(loaded.ok());
    CHECK(*loaded == Object(Map{{"system", Map{{"thingName", "dev-1"}}}}));

    std::string bad = (dir.path / "config.yaml").string();
    std::ofstream(bad) << "a: 1\nb: 2\na: 3\n";
    ggl::Result<Object> broken = ggl::yaml_parse_file(bad);
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code == ErrorCode::Parse);
    CHECK(broken.error().message == bad + ": line 3, column 1: duplicate key \"a\"");
}

TEST_CASE("yaml_parse_file on a missing file is NOENTRY naming the path") {
    ggl::Result<Object> missing = ggl::yaml_parse_file("/nonexistent/config.yaml");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Noentry);
    CHECK(missing.error().message == "/nonexistent/config.yaml: No such file or directory");

    TempDir dir;
    ggl::Result<Object> directory = ggl::yaml_parse_file(dir.path.string());
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().code == ErrorCode::Failure);
    CHECK_THAT(directory.error().message, Catch::StartsWith(dir.path.string() + ": "));
}

// ---------------------------------------------------------------------------------
// to_yaml

// libyaml's emitter lays the text out: a list that is a map's value is not indented
// further than the map's keys.
TEST_CASE("to_yaml writes readable block YAML") {
    Object config = Map{
        {"name", "ggl"},
        {"version", "1.0.0"},
        {"count", 3},
        {"ratio", 0.5},
        {"enabled", true},
        {"nothing", nullptr},
        {"list", List{1, "two", Map{{"a", 1}, {"b", List{}}}, List{"x", "z"}}},
        {"empty_map", Map{}},
        {"empty_list", List{}},
        {"script", "echo hi\necho bye\n"},
        {"nested", Map{{"deeper", Map{{"key", "value with spaces"}}}}},
    };
    CHECK(yaml_text(config) == "name: ggl\n"
                               "version: '1.0.0'\n"
                               "count: 3\n"
                               "ratio: 0.5\n"
                               "enabled: true\n"
                               "nothing: null\n"
                               "list:\n"
                               "- 1\n"
                               "- two\n"
                               "- a: 1\n"
                               "  b: []\n"
                               "- - x\n"
                               "  - z\n"
                               "empty_map: {}\n"
                               "empty_list: []\n"
                               "script: |\n"
                               "  echo hi\n"
                               "  echo bye\n"
                               "nested:\n"
                               "  deeper:\n"
                               "    key: value with spaces\n");
    check_round_trip(config);
}

TEST_CASE("to_yaml writes top-level scalars and empty collections") {
    CHECK(yaml_text(Object()) == "null\n");
    CHECK(yaml_text(Object(Map{})) == "{}\n");
    CHECK(yaml_text(Object(List{})) == "[]\n");
    CHECK(yaml_text(Object("text")) == "text\n");
    for (const Object& value : {Object(), Object(Map{}), Object(List{}), Object("text"), Object("---"), Object("..."),
                                Object(" x\ny"), Object("a\nb"), Object(-5), Object(2.5)}) {
        check_round_trip(value);
    }
}

TEST_CASE("strings that would read as another type are quoted") {
    for (const char* text :
         {"true",  "False", "null", "~",  "",   "12",  "-3", "0x1F",       "0o7",   "1.5", ".5", "1e3",  ".inf",
          "-.Inf", ".nan",  "yes",  "No", "on", "OFF", "y",  "2020-01-25", "1.0.0", "<<",  "=",  "12:30"}) {
        std::string out = yaml_text(Object(Map{{"k", text}}));
        INFO(out);
        CHECK((out.starts_with("k: '") || out.starts_with("k: \"")));
        check_round_trip(Object(Map{{"k", text}}));
        check_round_trip(Object(Map{{text, "v"}}));
    }
}

TEST_CASE("ordinary strings are written without quotes") {
    for (const char* text :
         {"hello", "us-west-2", "s3://bucket/key.zip", "gg_component:gg_component", "/var/lib/greengrass", "-Xmx512m",
          "a#b", "a:b", "<CONFIGURE_THIS>", "hello world", "\xc3\xa9t\xc3\xa9", "${VAR}"}) {
        CHECK(yaml_text(Object(Map{{"k", text}})) == std::string("k: ") + text + "\n");
    }
}

TEST_CASE("strings with YAML syntax characters round-trip") {
    for (const char* text : {"- item",
                             "? q",
                             ": c",
                             "a: b",
                             "a #b",
                             "#x",
                             "&a",
                             "*a",
                             "!tag",
                             "|",
                             ">",
                             "'",
                             "\"",
                             "%x",
                             "@x",
                             "`x",
                             "{a}",
                             "[a]",
                             ",",
                             " lead",
                             "trail ",
                             "\t",
                             "a\tb",
                             "back\\slash",
                             "it's",
                             "say \"hi\"",
                             "---x",
                             "...x",
                             "a:",
                             "\xc2\xa0",
                             "\xe2\x80\xa8",
                             "\xc2\x85",
                             "\xef\xbb\xbf",
                             "\x01\x1b\x7f",
                             "\r\n",
                             "\xf0\x9f\x98\x80",
                             "{configuration:/Message}",
                             "echo \"${HOME}\" {\"a\":1} $(date)"}) {
        check_round_trip(Object(Map{{"k", text}, {text, "v"}}));
        check_round_trip(Object(List{text}));
    }
}

TEST_CASE("multi-line strings round-trip, through literal blocks where exact") {
    const char* texts[] = {"a\nb",
                           "a\nb\n",
                           "a\nb\n\n",
                           "a\nb\n\n\n",
                           "\na",
                           "\n\na\n",
                           " a\nb",
                           "  a\n b\n",
                           "a\n  b\n",
                           "a\n\nb",
                           "a  \nb",
                           "a\n  \nb",
                           "a\n\t\nb",
                           "\tx\ny",
                           "a\n  ",
                           "a\n \n",
                           "\n",
                           "\n\n",
                           " \n",
                           "a\r\nb",
                           "#not a comment\n--- not a document\n...\n",
                           "key: value\n- item\n"};
    for (const char* text : texts) {
        for (const Object& value : {Object(Map{{"k", text}}), Object(List{text}), Object(List{List{text}}),
                                    Object(Map{{"k", Map{{"n", text}, {"after", 1}}}}),
                                    Object(List{Map{{"k", text}, {"after", 1}}}), Object(text)}) {
            check_round_trip(value);
        }
    }
    CHECK(yaml_text(Object(Map{{"k", "a\nb"}})) == "k: |-\n  a\n  b\n");
    // Once a block keeps its trailing empty lines, libyaml ends the document with "...",
    // wherever in the document the block stands.
    CHECK(yaml_text(Object(Map{{"k", "a\n\n"}})) == "k: |+\n  a\n\n...\n");
    CHECK(yaml_text(Object(Map{{"k", "a\n\n"}, {"z", 1}})) == "k: |+\n  a\n\nz: 1\n...\n");
    CHECK(yaml_text(Object(Map{{"k", " a\nb\n"}})) == "k: |2\n   a\n  b\n");
}

TEST_CASE("bytes are written as !!binary and read back as bytes") {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all += static_cast<char>(i);
    }
    CHECK(yaml_text(Object(Map{{"b", Bytes{"hello"}}})) == "b: !!binary aGVsbG8=\n");
    for (const Object& value : {Object(Map{{"b", Bytes{"hello"}}}), Object(Map{{"b", Bytes{}}}),
                                Object(Map{{"b", Bytes{all}}}), Object(List{Bytes{all}}), Object(Bytes{all})}) {
        check_round_trip(value);
    }
}

TEST_CASE("strings that are not UTF-8 are written as !!binary") {
    Object back = parsed(yaml_text(Object(Map{{"k", "\xff\xfe"}})));
    CHECK(back == Object(Map{{"k", Bytes{"\xff\xfe"}}}));
    Object key = parsed(yaml_text(Object(Map{{"a\xff", 1}})));
    CHECK(key == Object(Map{{"a\xef\xbf\xbd", 1}}));
}

TEST_CASE("numbers keep their type and value") {
    for (double v : {0.0, -0.0, 100.0, 0.1, 1e20, -1.5e-7, 5e-324, 1.7976931348623157e308, 123456789.125}) {
        Object value = Map{{"f", v}};
        check_round_trip(value);
        CHECK(parsed(yaml_text(value)).as_map().find("f")->is_f64());
    }
    CHECK(yaml_text(Object(Map{{"f", 100.0}})) == "f: 100.0\n");
    CHECK(yaml_text(Object(Map{{"f", 1e20}})) == "f: 1.0e+20\n");
    CHECK(yaml_text(Object(List{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()})) ==
          "- .inf\n- -.inf\n");
    Object nan = parsed(yaml_text(Object(std::numeric_limits<double>::quiet_NaN())));
    CHECK((nan.is_f64() && std::isnan(nan.as_f64())));
    for (int64_t v :
         {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        check_round_trip(Object(Map{{"i", v}}));
    }
}

TEST_CASE("a key too long for the implicit form is written as an explicit key and reads back") {
    std::string key(2000, 'k');
    std::string quoted_key = "'" + std::string(1500, 'q') + "\n";
    check_round_trip(Object(Map{{key, "v"}, {"short", 1}}));
    check_round_trip(Object(Map{{quoted_key, Map{{"a", 1}}}}));
    check_round_trip(Object(List{Map{{key, List{1, 2}}, {"x", 1}}}));
    CHECK(yaml_text(Object(Map{{key, 1}})) == "? " + key + "\n: 1\n");
    // libyaml writes keys up to 128 characters, on one line, in the implicit form.
    CHECK(yaml_text(Object(Map{{std::string(128, 'k'), 1}})) == std::string(128, 'k') + ": 1\n");
    CHECK(yaml_text(Object(Map{{std::string(129, 'k'), 1}})) == "? " + std::string(129, 'k') + "\n: 1\n");
    CHECK(yaml_text(Object(Map{{"a\nb", 1}})) == "? \"a\\nb\"\n: 1\n");
}

TEST_CASE("every kind of value round-trips through to_yaml in one document") {
    Object all = Map{
        {"null", nullptr},
        {"booleans", List{true, false}},
        {"ints", List{0, -1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}},
        {"floats", List{0.5, 100.0, -0.0, 1e20, 5e-324, std::numeric_limits<double>::infinity()}},
        {"typed-looking strings",
         List{"", "null", "~", "true", "No", "12", "0x1F", "1e3", ".inf", "1.0.0", "2020-01-25"}},
        {"syntax strings", List{" lead", "trail ", "a: b", "- x", "#x", "it's", "say \"hi\"", "a\tb", "*a", "{a}"}},
        {"unicode",
         Map{{"\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"}, {"breaks", "\xe2\x80\xa8\xc2\x85"}}},
        {"multi-line", List{"a\nb\n", "a\nb", " a\nb\n", "a  \nb", "a\r\nb"}},
        {"binary", List{Bytes{}, Bytes{"hi"}, Bytes{std::string(100, '\xff')}}},
        {"not utf-8", "\xff\xfe"},
        {"empty", Map{{"map", Map{}}, {"list", List{}}}},
        {"nested", List{List{List{1}}, Map{{"a", List{Map{{"b", Map{{"c", "d"}}}}}}}}},
    };
    std::string text = yaml_text(all);
    CHECK(text == "'null': null\n"
                  "booleans:\n"
                  "- true\n"
                  "- false\n"
                  "ints:\n"
                  "- 0\n"
                  "- -1\n"
                  "- 9223372036854775807\n"
                  "- -9223372036854775808\n"
                  "floats:\n"
                  "- 0.5\n"
                  "- 100.0\n"
                  "- -0.0\n"
                  "- 1.0e+20\n"
                  "- 5.0e-324\n"
                  "- .inf\n"
                  "typed-looking strings:\n"
                  "- ''\n"
                  "- 'null'\n"
                  "- '~'\n"
                  "- 'true'\n"
                  "- 'No'\n"
                  "- '12'\n"
                  "- '0x1F'\n"
                  "- '1e3'\n"
                  "- '.inf'\n"
                  "- '1.0.0'\n"
                  "- '2020-01-25'\n"
                  "syntax strings:\n"
                  "- ' lead'\n"
                  "- 'trail '\n"
                  "- 'a: b'\n"
                  "- '- x'\n"
                  "- '#x'\n"
                  "- it's\n"
                  "- say \"hi\"\n"
                  "- \"a\\tb\"\n"
                  "- '*a'\n"
                  "- '{a}'\n"
                  "unicode:\n"
                  // libyaml writes characters beyond U+FFFF as escapes, in double quotes.
                  "  \xc3\xa9t\xc3\xa9: \"\xe6\x97\xa5\xe6\x9c\xac \\U0001F600\"\n"
                  "  breaks: \"\\L\\N\"\n"
                  "multi-line:\n"
                  "- |\n"
                  "  a\n"
                  "  b\n"
                  "- |-\n"
                  "  a\n"
                  "  b\n"
                  "- |2\n"
                  "   a\n"
                  "  b\n"
                  "- \"a  \\nb\"\n"
                  "- \"a\\r\\nb\"\n"
                  "binary:\n"
                  "- !!binary \"\"\n"
                  "- !!binary aGk=\n"
                  "- !!binary |\n"
                  "  " +
                      std::string(76, '/') +
                      "\n"
                      "  " +
                      std::string(57, '/') +
                      "w==\n"
                      "not utf-8: !!binary //4=\n"
                      "empty:\n"
                      "  map: {}\n"
                      "  list: []\n"
                      "nested:\n"
                      "- - - 1\n"
                      "- a:\n"
                      "  - b:\n"
                      "      c: d\n");
    Map expected = all.as_map();
    expected.set("not utf-8", Bytes{"\xff\xfe"});
    Object back = parsed(text);
    CHECK(back == Object(expected));
    // Bytes come back as bytes, integral floats as floats, big ints as ints.
    const Map& map = back.as_map();
    CHECK(map.find("binary")->as_list()[1].is_bytes());
    CHECK(map.find("floats")->as_list()[1].is_f64());
    CHECK(map.find("ints")->as_list()[3].is_i64());
}

namespace {

// Strings built from pieces that exercise quoting, escaping and block scalars.
const char* const string_pieces[] = {"a",
                                     "Z",
                                     "0",
                                     "1",
                                     "-",
                                     " ",
                                     "  ",
                                     "\t",
                                     "\n",
                                     "\n\n",
                                     "\r",
                                     ":",
                                     ": ",
                                     "#",
                                     " #",
                                     "'",
                                     "\"",
                                     "\\",
                                     "<<",
                                     "---",
                                     "...",
                                     "|",
                                     ">",
                                     "{",
                                     "}",
                                     "[",
                                     "]",
                                     ",",
                                     "&",
                                     "*",
                                     "!",
                                     "%",
                                     "@",
                                     "`",
                                     "?",
                                     "~",
                                     "null",
                                     "true",
                                     "yes",
                                     ".inf",
                                     "0x1F",
                                     "1e3",
                                     ".5",
                                     "12",
                                     "\xc3\xa9",
                                     "\xe6\x97\xa5",
                                     "\xe2\x80\xa8",
                                     "\xc2\x85",
                                     "\xef\xbb\xbf",
                                     "\x01",
                                     "\x7f",
                                     "\xc2\xa0",
                                     "\xf0\x9f\x98\x80",
                                     "\x1b",
                                     "=",
                                     "${V}",
                                     "$(d)",
                                     "- ",
                                     "? "};

class ObjectGenerator {
public:
    explicit ObjectGenerator(uint32_t seed) : rng_(seed) {}

    Object any(int depth) {
        switch (pick(depth > 4 ? 6 : 8)) {
        case 0: return Object();
        case 1: return Object(pick(2) == 0);
        case 2: return Object(static_cast<int64_t>(rng_()) * (pick(2) ? 1 : -1) * (pick(2) ? 1 : 65536));
        case 3: return Object(std::ldexp(static_cast<double>(rng_()), static_cast<int>(pick(80)) - 40));
        case 4: return Object(text());
        case 5: return Object(Bytes{raw()});
        case 6: {
            List list;
            for (size_t n = pick(4); n > 0; --n) {
                list.push_back(any(depth + 1));
            }
            return Object(std::move(list));
        }
        default: {
            Map map;
            for (size_t n = pick(4); n > 0; --n) {
                map.set(text(), any(depth + 1));
            }
            return Object(std::move(map));
        }
        }
    }

private:
    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

    std::string text() {
        std::string s;
        for (size_t n = pick(6); n > 0; --n) {
            s += string_pieces[pick(std::size(string_pieces))];
        }
        return s;
    }

    std::string raw() {
        std::string s;
        for (size_t n = pick(100); n > 0; --n) {
            s += static_cast<char>(pick(256));
        }
        return s;
    }

    std::mt19937 rng_;
};

} // namespace

TEST_CASE("randomly generated objects round-trip through to_yaml and yaml_parse") {
    ObjectGenerator generate(20240125);
    for (int i = 0; i < 3000; ++i) {
        Object value = generate.any(0);
        INFO("case " << i);
        check_round_trip(value);
    }
}

// ---------------------------------------------------------------------------------
// Real inputs written elsewhere

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Corpus recipes that are not valid YAML, with the error each must give.
const std::map<std::string, std::string> invalid_corpus_yaml = {
    // "Lifecycle:" is indented deeper than the "Platform:" key it should sit beside.
    {"labs/aws-greengrass__aws-greengrass-gdk-cli__tests__greengrassTools__static__build_command__"
     "invalid_component_recipe.yaml",
     "line 13, column 5: did not find expected key (while parsing a block mapping at line 11, column 3) "
     "(in Manifests[0])"},
    // "BazService: VersionRequirement: ^2.0.0" puts a map on one line as a plain value.
    {"labs/awsdocs__aws-iot-greengrass-v2-developer-guide__doc_source__component-recipe-reference.md__"
     "FooService.yaml",
     "line 14, column 33: mapping values are not allowed in this context (in ComponentDependencies)"},
    // The first line is "---------------", a plain scalar that then runs into a key.
    {"nucleus-integ/status__AppInvalidRecipe-1.0.0.yaml",
     "line 2, column 20: mapping values are not allowed in this context"},
};

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

const Object* find_key_ignoring_case(const Map& map, std::string_view key) {
    for (const auto& [name, value] : map) {
        bool same = name.size() == key.size() && std::equal(name.begin(), name.end(), key.begin(), [](char a, char b) {
                        return ascii_lower(a) == ascii_lower(b);
                    });
        if (same) {
            return &value;
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("every YAML recipe of the corpus loads, except the ones that are not valid YAML", "[.corpus]") {
    std::filesystem::path recipes = corpus_dir / "recipes";
    INFO("corpus: " << recipes);
    REQUIRE(std::filesystem::is_directory(recipes));
    size_t loaded = 0;
    size_t rejected = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(recipes)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".yaml") {
            continue;
        }
        std::string name = entry.path().lexically_relative(recipes).generic_string();
        INFO(name);
        ggl::Result<Object> recipe = ggl::yaml_parse_file(entry.path().string());
        auto expected_failure = invalid_corpus_yaml.find(name);
        if (expected_failure != invalid_corpus_yaml.end()) {
            REQUIRE_FALSE(recipe.ok());
            CHECK(recipe.error().code == ErrorCode::Parse);
            CHECK(recipe.error().message == entry.path().string() + ": " + expected_failure->second);
            ++rejected;
            continue;
        }
        INFO((recipe ? std::string() : recipe.error().message));
        REQUIRE(recipe.ok());
        REQUIRE(recipe->is_map());
        CHECK(find_key_ignoring_case(recipe->as_map(), "ComponentName") != nullptr);
        // Recipes write the format version quoted and unquoted; both must be the string.
        if (const Object* format = find_key_ignoring_case(recipe->as_map(), "RecipeFormatVersion")) {
            CHECK(*format == Object("2020-01-25"));
        }
        check_round_trip(*recipe);
        ++loaded;
    }
    CHECK(rejected == invalid_corpus_yaml.size());
    CHECK(loaded >= 70);
}

TEST_CASE("truncated corpus recipes give an error or a value, never a crash", "[.corpus]") {
    std::string text =
        read_text(corpus_dir / "recipes/labs/awslabs__aws-greengrass-labs-database-influxdb__recipe.yaml");
    REQUIRE(text.size() > 1000);
    size_t step = text.size() / 400 + 1;
    for (size_t n = 0; n < text.size(); n += step) {
        ggl::Result<Object> result = yaml_parse(std::string_view(text).substr(0, n));
        CHECK((result.ok() || result.error().code == ErrorCode::Parse));
    }
}

TEST_CASE("the nucleus lite sample config loads with its scalars typed", "[.corpus]") {
    ggl::Result<Object> config = ggl::yaml_parse_file((corpus_dir / "lite-sample_nucleus_config.yaml").string());
    INFO((config ? std::string() : config.error().message));
    REQUIRE(config.ok());
    const Map& services = config->as_map().find("services")->as_map();
    const Map& nucleus = services.find("aws.greengrass.NucleusLite")->as_map().find("configuration")->as_map();
    CHECK(*nucleus.find("awsRegion") == Object("us-west-2"));
    CHECK(*nucleus.find("greengrassDataPlanePort") == Object("8443"));
    CHECK(*nucleus.find("platformOverride") == Object(Map{}));
    CHECK(*nucleus.find("fleetStatus") == Object(Map{{"periodicStatusPublishIntervalSeconds", 86400}}));
    CHECK(*config->as_map().find("system")->as_map().find("thingName") == Object("ExampleGGDevice"));
    check_round_trip(*config);
}

TEST_CASE("positions follow the document: keys, values, list items, aliases and merges") {
    ggl::NodePositions positions;
    ggl::Result<Object> result = yaml_parse("base: &b {x: 1}\n"
                                            "list:\n"
                                            "  - one\n"
                                            "  - é: [2, 3]\n"
                                            "copy: *b\n"
                                            "merged:\n"
                                            "  <<: *b\n"
                                            "  y: 2\n",
                                            &positions);
    REQUIRE(result.ok());
    REQUIRE(positions.children.size() == 4);
    auto at = [](const ggl::SourcePosition& p) { return std::to_string(p.line) + ":" + std::to_string(p.column); };
    CHECK(at(positions.at) == "1:1");
    const ggl::NodePositions& base = positions.children[0];
    CHECK(at(base.key_at) == "1:1");
    CHECK(at(base.at) == "1:7"); // the anchor's node starts at its properties
    REQUIRE(base.children.size() == 1);
    CHECK(at(base.children[0].at) == "1:14");
    const ggl::NodePositions& list = positions.children[1];
    REQUIRE(list.children.size() == 2);
    CHECK(at(list.children[0].at) == "3:5");
    const ggl::NodePositions& inner = list.children[1].children.at(0);
    CHECK(at(inner.key_at) == "4:5");
    REQUIRE(inner.children.size() == 2);
    CHECK(at(inner.children[1].at) == "4:12"); // columns count characters (é is two bytes)
    // An alias: its own position, the anchored node's children.
    const ggl::NodePositions& copy = positions.children[2];
    CHECK(at(copy.at) == "5:7");
    REQUIRE(copy.children.size() == 1);
    CHECK(at(copy.children[0].at) == "1:14");
    // A merge: merged entries keep the positions they were written at, in the map's order.
    const ggl::NodePositions& merged = positions.children[3];
    REQUIRE(merged.children.size() == 2);
    REQUIRE(result->as_map().find("merged")->as_map().begin()->first == "x");
    CHECK(at(merged.children[0].at) == "1:14");
    CHECK(at(merged.children[1].key_at) == "8:3");
}

TEST_CASE("positions are left alone when parsing fails") {
    ggl::NodePositions positions;
    positions.at = {9, 9};
    CHECK_FALSE(yaml_parse("a: [1,\n", &positions).ok());
    CHECK(positions.at.line == 9);
    CHECK(positions.children.empty());
}
