// The AWS event-stream message codec (the framing under Greengrass IPC): prelude, typed
// headers, payload, CRC32s; whole frames and an incremental decoder for a byte stream.
#pragma once

#include "ggl/error.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::event_stream {

// total length (4) + headers length (4) + prelude CRC (4); a message CRC (4) ends a frame.
inline constexpr size_t kPreludeSize = 12;
inline constexpr size_t kMessageCrcSize = 4;
inline constexpr size_t kMinMessageSize = kPreludeSize + kMessageCrcSize;
inline constexpr size_t kDefaultMaxMessageSize = 16u << 20;
// The headers section may not exceed this, whatever the message limit (as the SDKs).
inline constexpr size_t kMaxHeadersSize = 128u << 10;
inline constexpr size_t kMaxHeaderNameSize = 127;
inline constexpr size_t kMaxHeaderValueSize = 32767;

// The wire value of each header type.
enum class HeaderType : uint8_t {
    BoolTrue = 0,
    BoolFalse = 1,
    Byte = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    ByteBuffer = 6,
    String = 7,
    Timestamp = 8, // ms since the epoch, int64 on the wire
    Uuid = 9, // 16 bytes
};

std::string_view header_type_name(HeaderType type);

struct Header {
    std::string name;
    HeaderType type = HeaderType::BoolFalse;
    int64_t integer = 0; // Byte, Int16, Int32, Int64, Timestamp
    std::string bytes; // ByteBuffer, String, Uuid (16 bytes)

    static Header boolean(std::string name, bool value);
    static Header byte(std::string name, int8_t value);
    static Header int16(std::string name, int16_t value);
    static Header int32(std::string name, int32_t value);
    static Header int64(std::string name, int64_t value);
    static Header byte_buffer(std::string name, std::string value);
    static Header string(std::string name, std::string value);
    static Header timestamp(std::string name, int64_t ms_since_epoch);
    static Header uuid(std::string name, const std::array<uint8_t, 16>& value);

    bool as_bool() const { return type == HeaderType::BoolTrue; }
    bool is_integer() const;
    bool is_buffer() const { return type == HeaderType::ByteBuffer || type == HeaderType::String; }
    bool operator==(const Header&) const = default;
};

struct Message {
    std::vector<Header> headers;
    std::string payload;

    // The first header of that name, or nullptr.
    const Header* find(std::string_view name) const;
    bool operator==(const Message&) const = default;
};

// Appends one encoded frame to out. RANGE when a header name or value is too long, the
// headers exceed kMaxHeadersSize or the frame max_message_size; out is then unchanged.
Result<void> append_message(std::string& out, const Message& message, size_t max_message_size = kDefaultMaxMessageSize);

// Reads the prelude of a frame: the total length it announces, after checking the prelude
// CRC and that both lengths are consistent and within max_message_size. PARSE or RANGE
// with a message that says what was wrong.
Result<uint32_t> check_prelude(std::string_view prelude, size_t max_message_size = kDefaultMaxMessageSize);

// Decodes exactly one whole frame: prelude and message CRCs, then the headers.
Result<Message> decode_message(std::string_view frame, size_t max_message_size = kDefaultMaxMessageSize);

// Splits a byte stream into messages; lengths are trusted only after the CRC that covers
// them matched. After an error the stream cannot continue (framing is lost).
class StreamDecoder {
public:
    explicit StreamDecoder(size_t max_message_size = kDefaultMaxMessageSize) : max_(max_message_size) {}

    // Space to read into: at least min_space bytes.
    char* write_area(size_t min_space);
    size_t write_space() const { return buffer_.size() - end_; }
    void commit(size_t n) { end_ += n; }
    // Copies data in (for a reader with its own buffer, and for tests and fuzzers).
    void feed(std::string_view data);

    enum class Status { Message, NeedMore, Failed };
    // On Message, message holds the next one. On Failed, error() says why.
    Status next(Message& message);
    const Error& error() const { return error_; }
    size_t pending() const { return end_ - begin_; }
    size_t max_message_size() const { return max_; }
    // Applies to frames not yet started (a server raises it once a client authenticated).
    void set_max_message_size(size_t max) { max_ = max; }

private:
    std::string buffer_;
    size_t begin_ = 0;
    size_t end_ = 0;
    size_t max_;
    bool failed_ = false;
    Error error_;
};

} // namespace ggl::event_stream
