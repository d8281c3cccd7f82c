// The event-stream codec byte by byte: hand-built frames (CRCs computed here with zlib,
// not by the codec), every header type, and each kind of damage a frame can carry.
#include "ggl/event_stream.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>

using namespace ggl;
using namespace ggl::event_stream;

namespace {

void put_be(std::string& out, uint64_t value, size_t n) {
    for (size_t i = n; i > 0; --i) out.push_back(static_cast<char>((value >> ((i - 1) * 8)) & 0xff));
}

uint32_t crc(std::string_view data) {
    return static_cast<uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// A frame assembled by hand from raw header bytes and a payload.
std::string frame(const std::string& headers, const std::string& payload) {
    std::string out;
    put_be(out, 16 + headers.size() + payload.size(), 4);
    put_be(out, headers.size(), 4);
    put_be(out, crc(out), 4);
    out += headers;
    out += payload;
    put_be(out, crc(out), 4);
    return out;
}

std::string string_header(const std::string& name, const std::string& value) {
    std::string out;
    out.push_back(static_cast<char>(name.size()));
    out += name;
    out.push_back(7);
    put_be(out, value.size(), 2);
    out += value;
    return out;
}

} // namespace

TEST_CASE("a hand-built frame decodes to its headers and payload") {
    std::string bytes = frame(string_header(":content-type", "application/json"), "{\"a\":1}");
    auto message = decode_message(bytes);
    REQUIRE(message.ok());
    REQUIRE(message->headers.size() == 1);
    CHECK(message->headers[0].name == ":content-type");
    CHECK(message->headers[0].type == HeaderType::String);
    CHECK(message->headers[0].bytes == "application/json");
    CHECK(message->payload == "{\"a\":1}");
}

TEST_CASE("the encoder writes the bytes a hand-built frame has") {
    Message message;
    message.headers.push_back(Header::string(":content-type", "application/json"));
    message.payload = "{\"a\":1}";
    std::string out;
    REQUIRE(append_message(out, message).ok());
    CHECK(out == frame(string_header(":content-type", "application/json"), "{\"a\":1}"));
}

TEST_CASE("an empty message is 16 bytes and round-trips") {
    std::string out;
    REQUIRE(append_message(out, Message{}).ok());
    CHECK(out.size() == kMinMessageSize);
    auto decoded = decode_message(out);
    REQUIRE(decoded.ok());
    CHECK(decoded->headers.empty());
    CHECK(decoded->payload.empty());
}

TEST_CASE("every header type round-trips with its value and sign") {
    std::array<uint8_t, 16> uuid{};
    for (size_t i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<uint8_t>(0xf0 + i);
    Message message;
    message.headers = {
        Header::boolean("t", true),
        Header::boolean("f", false),
        Header::byte("byte", -5),
        Header::int16("i16", -30000),
        Header::int32(":stream-id", -2000000000),
        Header::int64("i64", INT64_MIN + 7),
        Header::byte_buffer("buf", std::string("\0\xff\x01", 3)),
        Header::string("str", "héllo"),
        Header::timestamp("ts", 1700000000123),
        Header::uuid("id", uuid),
    };
    message.payload = std::string("\0binary\xfe", 8);
    std::string out;
    REQUIRE(append_message(out, message).ok());
    auto decoded = decode_message(out);
    REQUIRE(decoded.ok());
    CHECK(*decoded == message);
    CHECK(decoded->find("t")->as_bool());
    CHECK_FALSE(decoded->find("f")->as_bool());
    CHECK(decoded->find("byte")->integer == -5);
    CHECK(decoded->find("i16")->integer == -30000);
    CHECK(decoded->find(":stream-id")->integer == -2000000000);
    CHECK(decoded->find("i64")->integer == INT64_MIN + 7);
    CHECK(decoded->find("ts")->type == HeaderType::Timestamp);
    CHECK(decoded->find("id")->bytes.size() == 16);
    CHECK(decoded->find("missing") == nullptr);
}

TEST_CASE("a bad prelude CRC is refused before the lengths are used") {
    std::string bytes = frame("", "payload");
    bytes[8] ^= 0x01;
    auto decoded = decode_message(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::Parse);
    CHECK(decoded.error().message.find("prelude CRC") != std::string::npos);

    // A corrupted length with a stale CRC: the huge length is never trusted.
    std::string huge = frame("", "x");
    huge[0] = 0x7f;
    StreamDecoder decoder;
    decoder.feed(huge.substr(0, kPreludeSize));
    Message message;
    CHECK(decoder.next(message) == StreamDecoder::Status::Failed);
    CHECK(decoder.error().message.find("prelude CRC") != std::string::npos);
}

TEST_CASE("a bad message CRC is refused") {
    std::string bytes = frame(string_header("a", "b"), "payload");
    bytes[bytes.size() - 6] ^= 0x20; // a payload byte
    auto decoded = decode_message(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::Parse);
    CHECK(decoded.error().message.find("message CRC") != std::string::npos);
}

TEST_CASE("a truncated frame waits for more, and whole frames need all their bytes") {
    std::string bytes = frame(string_header("k", "v"), "hello");
    CHECK_FALSE(decode_message(bytes.substr(0, bytes.size() - 1)).ok());
    CHECK_FALSE(decode_message(bytes.substr(0, 5)).ok());
    StreamDecoder decoder;
    Message message;
    decoder.feed(bytes.substr(0, bytes.size() - 1));
    CHECK(decoder.next(message) == StreamDecoder::Status::NeedMore);
    decoder.feed(bytes.substr(bytes.size() - 1));
    REQUIRE(decoder.next(message) == StreamDecoder::Status::Message);
    CHECK(message.payload == "hello");
}

TEST_CASE("the stream decoder splits frames fed one byte at a time") {
    std::string stream;
    for (int i = 0; i < 3; ++i) {
        Message message;
        message.headers.push_back(Header::int32(":stream-id", i));
        message.payload = std::string(static_cast<size_t>(i) * 100, 'x');
        REQUIRE(append_message(stream, message).ok());
    }
    StreamDecoder decoder;
    std::vector<Message> seen;
    for (char c : stream) {
        decoder.feed(std::string_view(&c, 1));
        Message message;
        while (decoder.next(message) == StreamDecoder::Status::Message) seen.push_back(message);
    }
    REQUIRE(seen.size() == 3);
    CHECK(seen[2].find(":stream-id")->integer == 2);
    CHECK(seen[2].payload.size() == 200);
    CHECK(decoder.pending() == 0);
}

TEST_CASE("lengths beyond the limit or inconsistent with each other are refused") {
    SECTION("total length over the configured maximum") {
        std::string bytes = frame("", std::string(2000, 'p'));
        auto decoded = decode_message(bytes, 1024);
        REQUIRE_FALSE(decoded.ok());
        CHECK(decoded.error().code == ErrorCode::Range);
        StreamDecoder decoder(1024);
        decoder.feed(bytes.substr(0, kPreludeSize));
        Message message;
        CHECK(decoder.next(message) == StreamDecoder::Status::Failed);
        CHECK(decoder.error().code == ErrorCode::Range);
    }
    SECTION("total length below 16") {
        std::string prelude;
        put_be(prelude, 15, 4);
        put_be(prelude, 0, 4);
        put_be(prelude, crc(prelude), 4);
        auto total = check_prelude(prelude);
        REQUIRE_FALSE(total.ok());
        CHECK(total.error().message.find("minimum") != std::string::npos);
    }
    SECTION("headers length larger than the frame") {
        std::string prelude;
        put_be(prelude, 40, 4);
        put_be(prelude, 30, 4);
        put_be(prelude, crc(prelude), 4);
        auto total = check_prelude(prelude);
        REQUIRE_FALSE(total.ok());
        CHECK(total.error().message.find("headers length") != std::string::npos);
    }
    SECTION("a default limit of 16 MiB") {
        std::string prelude;
        put_be(prelude, (16u << 20) + 1, 4);
        put_be(prelude, 0, 4);
        put_be(prelude, crc(prelude), 4);
        CHECK(check_prelude(prelude).error().code == ErrorCode::Range);
    }
    SECTION("the encoder refuses what the decoder would") {
        Message message;
        message.payload = std::string(2000, 'p');
        std::string out = "kept";
        CHECK(append_message(out, message, 1024).error().code == ErrorCode::Range);
        CHECK(out == "kept");
    }
}

TEST_CASE("an unknown header type names the header and the type") {
    std::string headers;
    headers.push_back(4);
    headers += "name";
    headers.push_back(10); // one past uuid
    auto decoded = decode_message(frame(headers, ""));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::Parse);
    CHECK(decoded.error().message.find("\"name\"") != std::string::npos);
    CHECK(decoded.error().message.find("unknown value type 10") != std::string::npos);
}

TEST_CASE("a header value that runs past the headers section is refused") {
    std::string headers;
    headers.push_back(1);
    headers += "s";
    headers.push_back(7);
    put_be(headers, 50, 2); // claims 50 bytes, has 3
    headers += "abc";
    auto decoded = decode_message(frame(headers, "payload-after"));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().message.find("runs past") != std::string::npos);

    std::string empty_name;
    empty_name.push_back(0);
    CHECK(decode_message(frame(empty_name, "")).error().message.find("empty name") != std::string::npos);
}

TEST_CASE("header names and values beyond their limits are not encoded") {
    std::string out;
    Message long_name;
    long_name.headers.push_back(Header::string(std::string(128, 'n'), "v"));
    CHECK(append_message(out, long_name).error().code == ErrorCode::Range);
    Message long_value;
    long_value.headers.push_back(Header::string("n", std::string(32768, 'v')));
    CHECK(append_message(out, long_value).error().code == ErrorCode::Range);
    CHECK(out.empty());
}

TEST_CASE("after a damaged frame the decoder stays failed") {
    std::string good;
    REQUIRE(append_message(good, Message{}).ok());
    std::string bad = good;
    bad[15] ^= 1;
    StreamDecoder decoder;
    decoder.feed(bad + good);
    Message message;
    CHECK(decoder.next(message) == StreamDecoder::Status::Failed);
    CHECK(decoder.next(message) == StreamDecoder::Status::Failed);
}
