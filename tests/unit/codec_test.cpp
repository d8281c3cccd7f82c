// Unit tests of the object model, the msgpack codec and text helpers (JSON: json_test.cpp).
#include "ggl/bus_protocol.hpp"
#include "ggl/msgpack.hpp"
#include "ggl/text.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace ggl;

namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int v : values) {
        out += static_cast<char>(v);
    }
    return out;
}

Object round_trip(const Object& value) {
    auto decoded = msgpack_decode(msgpack_encode(value));
    REQUIRE(decoded.ok());
    return *decoded;
}

Object nested_lists(size_t depth) {
    Object value = List{};
    for (size_t i = 1; i < depth; ++i) {
        value = List{value};
    }
    return value;
}

} // namespace

TEST_CASE("every scalar type survives a msgpack round trip") {
    CHECK(round_trip(Object{}).is_null());
    CHECK(round_trip(true) == Object(true));
    CHECK(round_trip(false) == Object(false));
    for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{127}, int64_t{128}, int64_t{-32}, int64_t{-33},
                      int64_t{255}, int64_t{256}, int64_t{65535}, int64_t{65536}, int64_t{-32768}, int64_t{4294967296},
                      std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        CAPTURE(v);
        CHECK(round_trip(v) == Object(v));
    }
    CHECK(round_trip(1.5) == Object(1.5));
    CHECK(round_trip(-0.0).as_f64() == 0.0);
    CHECK(std::isinf(round_trip(std::numeric_limits<double>::infinity()).as_f64()));
    CHECK(std::isnan(round_trip(std::nan("")).as_f64()));
    CHECK(round_trip("").as_string().empty());
    CHECK(round_trip("hello") == Object("hello"));
    CHECK(round_trip(std::string(70000, 'x')) == Object(std::string(70000, 'x')));
    CHECK(round_trip(Bytes{bytes({0, 0xff, 0x80})}) == Object(Bytes{bytes({0, 0xff, 0x80})}));
}

TEST_CASE("strings and bytes stay distinct across a round trip") {
    CHECK(round_trip("abc").is_string());
    CHECK(round_trip(Bytes{"abc"}).is_bytes());
    CHECK(round_trip(Bytes{"abc"}).as_buffer() == "abc");
}

TEST_CASE("nested lists and maps survive a msgpack round trip") {
    Object value = Map{{"a", List{1, "two", 3.0, Object{}, Map{}}},
                       {"b", Map{{"c", Map{{"d", true}}}}},
                       {"empty_list", List{}},
                       {"empty_map", Map{}}};
    Object decoded = round_trip(value);
    CHECK(decoded == value);
    CHECK(decoded.as_map().find("empty_map")->is_map());
    CHECK(decoded.as_map().find("empty_list")->is_list());
}

TEST_CASE("large containers use the 16 and 32 bit forms") {
    List list;
    for (int i = 0; i < 70000; ++i) {
        list.emplace_back(i);
    }
    Map map;
    for (int i = 0; i < 70000; ++i) {
        map.append("k" + std::to_string(i), i);
    }
    CHECK(round_trip(list) == Object(list));
    CHECK(round_trip(map) == Object(map));
}

TEST_CASE("the decoder matches known encodings byte for byte") {
    CHECK(msgpack_encode(Map{{"a", 1}}) == bytes({0x81, 0xa1, 'a', 0x01}));
    CHECK(msgpack_encode(-1) == bytes({0xff}));
    CHECK(msgpack_encode(Bytes{"x"}) == bytes({0xc4, 0x01, 'x'}));
    auto decoded = msgpack_decode(bytes({0x92, 0xc3, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
    REQUIRE(decoded.ok());
    CHECK(*decoded == Object(List{true, 1.5}));
    // float32 widens to f64
    auto f32 = msgpack_decode(bytes({0xca, 0x3f, 0xc0, 0, 0}));
    REQUIRE(f32.ok());
    CHECK(f32->as_f64() == 1.5);
    // uint64 within the i64 range is accepted
    auto u64 = msgpack_decode(bytes({0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
    REQUIRE(u64.ok());
    CHECK(u64->as_i64() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("nesting up to 32 levels decodes and deeper is a PARSE error") {
    CHECK(msgpack_decode(msgpack_encode(nested_lists(32))).ok());
    auto deep = msgpack_decode(msgpack_encode(nested_lists(33)));
    REQUIRE_FALSE(deep.ok());
    CHECK(deep.error().code == ErrorCode::Parse);
    // A hostile depth of a million opening bytes is refused without recursion.
    auto hostile = msgpack_decode(std::string(1000000, '\x91'));
    REQUIRE_FALSE(hostile.ok());
    CHECK(hostile.error().code == ErrorCode::Parse);
}

TEST_CASE("element counts larger than the input are refused before allocating") {
    // array32 claiming 4 billion elements, map32 claiming 4 billion entries
    for (auto input : {bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}), bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a'}),
                       bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}), bytes({0xc6, 0x7f, 0xff, 0xff, 0xff})}) {
        auto decoded = msgpack_decode(input);
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().code == ErrorCode::Parse);
    }
}

TEST_CASE("truncated input is a PARSE error at every cut point") {
    Object value =
        Map{{"key", List{1, 300, 70000, int64_t{5000000000}, -5, 2.5, "text", Bytes{"bin"}, Map{{"x", Object{}}}}}};
    std::string encoded = msgpack_encode(value);
    for (size_t cut = 0; cut < encoded.size(); ++cut) {
        auto decoded = msgpack_decode(std::string_view(encoded).substr(0, cut));
        CAPTURE(cut);
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().code == ErrorCode::Parse);
    }
}

TEST_CASE("malformed input is rejected with a clear code") {
    auto trailing = msgpack_decode(bytes({0x01, 0x02}));
    REQUIRE_FALSE(trailing.ok());
    CHECK(trailing.error().code == ErrorCode::Parse);
    CHECK_THAT(trailing.error().message, Catch::Contains("trailing"));

    auto reserved = msgpack_decode(bytes({0xc1}));
    REQUIRE_FALSE(reserved.ok());
    CHECK(reserved.error().code == ErrorCode::Parse);

    auto ext = msgpack_decode(bytes({0xd4, 0x01, 0x02}));
    REQUIRE_FALSE(ext.ok());
    CHECK(ext.error().code == ErrorCode::Unsupported);

    auto big = msgpack_decode(bytes({0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == ErrorCode::Range);

    auto int_key = msgpack_decode(bytes({0x81, 0x01, 0x02}));
    REQUIRE_FALSE(int_key.ok());
    CHECK_THAT(int_key.error().message, Catch::Contains("key"));

    auto duplicate = msgpack_decode(bytes({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02}));
    REQUIRE_FALSE(duplicate.ok());
    CHECK_THAT(duplicate.error().message, Catch::Contains("duplicate"));

    auto empty = msgpack_decode("");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == ErrorCode::Parse);
}

TEST_CASE("random bytes never crash the decoder") {
    std::mt19937 rng(1234);
    for (int i = 0; i < 20000; ++i) {
        std::string input(rng() % 64, '\0');
        for (auto& c : input) {
            c = static_cast<char>(rng());
        }
        auto decoded = msgpack_decode(input);
        if (decoded.ok()) {
            // Whatever decodes must encode back to something that decodes equal.
            auto again = msgpack_decode(msgpack_encode(*decoded));
            REQUIRE(again.ok());
            CHECK((*again == *decoded || !(*decoded == *decoded))); // NaN is unequal to itself
        }
    }
}

TEST_CASE("UTF-8 validation rejects overlong forms, surrogates and truncation") {
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\x80"));
}

TEST_CASE("base64 round-trips and rejects non-canonical text") {
    for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        auto decoded = base64_decode(base64_encode(text));
        REQUIRE(decoded.has_value());
        CHECK(*decoded == text);
    }
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
    CHECK_FALSE(base64_decode("Zm9=").has_value());
    CHECK_FALSE(base64_decode("Zm9").has_value());
    CHECK_FALSE(base64_decode("Zm!v").has_value());
    CHECK_FALSE(base64_decode("Zh==").has_value());
}

TEST_CASE("error codes map to their stable wire names and back") {
    for (auto code : {ErrorCode::Ok, ErrorCode::Failure, ErrorCode::Retry, ErrorCode::Busy, ErrorCode::Fatal,
                      ErrorCode::Invalid, ErrorCode::Unsupported, ErrorCode::Parse, ErrorCode::Range, ErrorCode::Nomem,
                      ErrorCode::Noconn, ErrorCode::Nodata, ErrorCode::Noentry, ErrorCode::Config, ErrorCode::Remote,
                      ErrorCode::Expected, ErrorCode::Timeout, ErrorCode::Unauthorized, ErrorCode::Conflict}) {
        auto back = error_code_from_name(error_code_name(code));
        REQUIRE(back.has_value());
        CHECK(*back == code);
    }
    CHECK(error_code_name(ErrorCode::Noentry) == "NOENTRY");
    CHECK_FALSE(error_code_from_name("NOPE").has_value());
}

TEST_CASE("requests and replies encode into frames that decode back") {
    using namespace ggl::bus;
    std::string out;
    REQUIRE(
        append_request(out, Request{Op::Subscribe, 7, "watch", Map{{"key_path", List{"a"}}}}, kDefaultMaxFrame).ok());
    append_error(out, 9, make_error(ErrorCode::Noentry, "no such key"));
    append_end(out, 7, nullptr);
    FrameReader reader(kDefaultMaxFrame);
    std::memcpy(reader.write_area(out.size()), out.data(), out.size());
    reader.commit(out.size());
    std::string_view body;
    size_t declared;
    REQUIRE(reader.next(body, declared) == FrameReader::Status::Frame);
    uint64_t id;
    auto request = decode_request(body, id);
    REQUIRE(request.ok());
    CHECK(request->op == Op::Subscribe);
    CHECK(request->id == 7);
    CHECK(request->method == "watch");
    CHECK(request->params == Map{{"key_path", List{"a"}}});
    REQUIRE(reader.next(body, declared) == FrameReader::Status::Frame);
    auto error = decode_reply(body);
    REQUIRE(error.ok());
    CHECK(error->kind == ReplyKind::Error);
    CHECK(error->error.code == ErrorCode::Noentry);
    CHECK(error->error.remote);
    REQUIRE(reader.next(body, declared) == FrameReader::Status::Frame);
    auto end = decode_reply(body);
    REQUIRE(end.ok());
    CHECK(end->kind == ReplyKind::End);
    CHECK(end->error.code == ErrorCode::Ok);
    CHECK(reader.next(body, declared) == FrameReader::Status::NeedMore);
}

TEST_CASE("a frame above the limit is reported as oversized, not buffered") {
    using namespace ggl::bus;
    FrameReader reader(1024);
    std::string header = bytes({0x00, 0x10, 0x00, 0x00});
    std::memcpy(reader.write_area(4), header.data(), 4);
    reader.commit(4);
    std::string_view body;
    size_t declared = 0;
    CHECK(reader.next(body, declared) == FrameReader::Status::Oversized);
    CHECK(declared == 0x100000);
    std::string out;
    auto too_big = append_result(out, 1, std::string(2000, 'x'), 1024);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == ErrorCode::Range);
    CHECK(out.empty());
}

TEST_CASE("requests missing their parts are INVALID and keep their id") {
    using namespace ggl::bus;
    uint64_t id = 0;
    auto no_op = decode_request(msgpack_encode(Map{{"id", 5}, {"method", "x"}}), id);
    REQUIRE_FALSE(no_op.ok());
    CHECK(no_op.error().code == ErrorCode::Invalid);
    CHECK(id == 5);
    auto bad_op = decode_request(msgpack_encode(Map{{"op", "dance"}, {"id", 6}, {"method", "x"}}), id);
    REQUIRE_FALSE(bad_op.ok());
    CHECK(id == 6);
    auto no_id = decode_request(msgpack_encode(Map{{"op", "call"}, {"method", "x"}}), id);
    REQUIRE_FALSE(no_id.ok());
    CHECK(no_id.error().code == ErrorCode::Invalid);
    auto bad_params =
        decode_request(msgpack_encode(Map{{"op", "call"}, {"id", 1}, {"method", "x"}, {"params", 3}}), id);
    REQUIRE_FALSE(bad_params.ok());
    CHECK_THAT(bad_params.error().message, Catch::Contains("params"));
    auto notify = decode_request(msgpack_encode(Map{{"op", "notify"}, {"method", "x"}}), id);
    REQUIRE(notify.ok());
    auto not_map = decode_request(msgpack_encode(List{1}), id);
    REQUIRE_FALSE(not_map.ok());
    CHECK(not_map.error().code == ErrorCode::Parse);
}
