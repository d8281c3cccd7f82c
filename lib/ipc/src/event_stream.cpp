// The AWS event-stream codec: every length is checked against the CRC that covers it
// before it is used.
#include "ggl/event_stream.hpp"

#include "ggl/read_buffer.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstring>

namespace ggl::event_stream {

namespace {

uint32_t crc32_of(std::string_view data, uint32_t seed = 0) {
    // zlib's crc32 takes uInt lengths; frames are far below 4 GiB.
    return static_cast<uint32_t>(
        ::crc32(seed, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

uint64_t read_be(const char* p, size_t n) {
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) {
        value = (value << 8) | static_cast<uint8_t>(p[i]);
    }
    return value;
}

void write_be(std::string& out, uint64_t value, size_t n) {
    char bytes[8];
    for (size_t i = 0; i < n; ++i) {
        bytes[i] = static_cast<char>((value >> ((n - 1 - i) * 8)) & 0xff);
    }
    out.append(bytes, n);
}

void patch_be32(std::string& out, size_t at, uint32_t value) {
    for (size_t i = 0; i < 4; ++i) {
        out[at + i] = static_cast<char>((value >> ((3 - i) * 8)) & 0xff);
    }
}

std::string hex32(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08x", value);
    return text;
}

Error parse_error(std::string message) { return make_error(ErrorCode::Parse, std::move(message)); }

size_t fixed_value_size(HeaderType type) {
    switch (type) {
    case HeaderType::BoolTrue:
    case HeaderType::BoolFalse: return 0;
    case HeaderType::Byte: return 1;
    case HeaderType::Int16: return 2;
    case HeaderType::Int32: return 4;
    case HeaderType::Int64:
    case HeaderType::Timestamp: return 8;
    case HeaderType::Uuid: return 16;
    case HeaderType::ByteBuffer:
    case HeaderType::String: return 0;
    }
    return 0;
}

// What a header takes on the wire (its checks come when it is written).
size_t encoded_size(const Header& header) {
    size_t value = header.is_buffer() ? 2 + header.bytes.size() : fixed_value_size(header.type);
    return 2 + header.name.size() + value;
}

int64_t sign_extend(uint64_t raw, size_t bytes) {
    if (bytes == 8) {
        return static_cast<int64_t>(raw);
    }
    uint64_t sign = uint64_t{1} << (bytes * 8 - 1);
    return static_cast<int64_t>((raw ^ sign) - sign);
}

Result<std::vector<Header>> decode_headers(std::string_view data) {
    std::vector<Header> headers;
    headers.reserve(6); // an RPC message has 3 to 6
    size_t at = 0;
    while (at < data.size()) {
        size_t name_size = static_cast<uint8_t>(data[at]);
        ++at;
        if (name_size == 0) {
            return parse_error("header " + std::to_string(headers.size() + 1) + " has an empty name");
        }
        if (data.size() - at < name_size + 1) {
            return parse_error("header " + std::to_string(headers.size() + 1) + " runs past the headers section");
        }
        Header header;
        header.name.assign(data.data() + at, name_size);
        at += name_size;
        uint8_t type = static_cast<uint8_t>(data[at]);
        ++at;
        if (type > static_cast<uint8_t>(HeaderType::Uuid)) {
            return parse_error("header \"" + header.name + "\" has unknown value type " + std::to_string(type));
        }
        header.type = static_cast<HeaderType>(type);
        size_t value_size = fixed_value_size(header.type);
        if (header.is_buffer()) {
            if (data.size() - at < 2) {
                return parse_error("header \"" + header.name + "\" runs past the headers section");
            }
            value_size = static_cast<size_t>(read_be(data.data() + at, 2));
            at += 2;
        }
        if (data.size() - at < value_size) {
            return parse_error("header \"" + header.name + "\" value of " + std::to_string(value_size) +
                               " bytes runs past the headers section");
        }
        const char* value = data.data() + at;
        if (header.is_buffer() || header.type == HeaderType::Uuid) {
            header.bytes.assign(value, value_size);
        } else if (value_size > 0) {
            // The integer types (the bools have no value): big-endian two's complement.
            header.integer = sign_extend(read_be(value, value_size), value_size);
        }
        at += value_size;
        headers.push_back(std::move(header));
    }
    return headers;
}

Result<void> append_header(std::string& out, const Header& header) {
    if (header.name.empty() || header.name.size() > kMaxHeaderNameSize) {
        return make_error(ErrorCode::Range, "header name \"" + header.name + "\" must be 1 to 127 bytes");
    }
    // Name length, name and type in one append (this runs for every header of every message).
    char head[2 + kMaxHeaderNameSize];
    head[0] = static_cast<char>(header.name.size());
    std::memcpy(head + 1, header.name.data(), header.name.size());
    head[1 + header.name.size()] = static_cast<char>(header.type);
    out.append(head, 2 + header.name.size());
    switch (header.type) {
    case HeaderType::BoolTrue:
    case HeaderType::BoolFalse: break;
    case HeaderType::Byte:
    case HeaderType::Int16:
    case HeaderType::Int32:
    case HeaderType::Int64:
    case HeaderType::Timestamp:
        write_be(out, static_cast<uint64_t>(header.integer), fixed_value_size(header.type));
        break;
    case HeaderType::ByteBuffer:
    case HeaderType::String:
        if (header.bytes.size() > kMaxHeaderValueSize) {
            return make_error(ErrorCode::Range, "header \"" + header.name + "\" value of " +
                                                    std::to_string(header.bytes.size()) + " bytes exceeds 32767 bytes");
        }
        write_be(out, header.bytes.size(), 2);
        out += header.bytes;
        break;
    case HeaderType::Uuid:
        if (header.bytes.size() != 16) {
            return make_error(ErrorCode::Range, "header \"" + header.name + "\" UUID must be 16 bytes");
        }
        out += header.bytes;
        break;
    }
    return {};
}

} // namespace

std::string_view header_type_name(HeaderType type) {
    switch (type) {
    case HeaderType::BoolTrue: return "bool (true)";
    case HeaderType::BoolFalse: return "bool (false)";
    case HeaderType::Byte: return "byte";
    case HeaderType::Int16: return "int16";
    case HeaderType::Int32: return "int32";
    case HeaderType::Int64: return "int64";
    case HeaderType::ByteBuffer: return "byte buffer";
    case HeaderType::String: return "string";
    case HeaderType::Timestamp: return "timestamp";
    case HeaderType::Uuid: return "uuid";
    }
    return "unknown";
}

Header Header::boolean(std::string name, bool value) {
    return Header{std::move(name), value ? HeaderType::BoolTrue : HeaderType::BoolFalse, 0, {}};
}
Header Header::byte(std::string name, int8_t value) { return Header{std::move(name), HeaderType::Byte, value, {}}; }
Header Header::int16(std::string name, int16_t value) { return Header{std::move(name), HeaderType::Int16, value, {}}; }
Header Header::int32(std::string name, int32_t value) { return Header{std::move(name), HeaderType::Int32, value, {}}; }
Header Header::int64(std::string name, int64_t value) { return Header{std::move(name), HeaderType::Int64, value, {}}; }
Header Header::byte_buffer(std::string name, std::string value) {
    return Header{std::move(name), HeaderType::ByteBuffer, 0, std::move(value)};
}
Header Header::string(std::string name, std::string value) {
    return Header{std::move(name), HeaderType::String, 0, std::move(value)};
}
Header Header::timestamp(std::string name, int64_t ms_since_epoch) {
    return Header{std::move(name), HeaderType::Timestamp, ms_since_epoch, {}};
}
Header Header::uuid(std::string name, const std::array<uint8_t, 16>& value) {
    return Header{std::move(name), HeaderType::Uuid, 0, std::string(value.begin(), value.end())};
}

bool Header::is_integer() const {
    return type == HeaderType::Byte || type == HeaderType::Int16 || type == HeaderType::Int32 ||
           type == HeaderType::Int64 || type == HeaderType::Timestamp;
}

const Header* Message::find(std::string_view name) const {
    for (const Header& header : headers) {
        if (header.name == name) {
            return &header;
        }
    }
    return nullptr;
}

Result<void> append_message(std::string& out, const Message& message, size_t max_message_size) {
    // Encoded in place after a prelude placeholder, which is filled in once the sizes are
    // known; on any error out is cut back to what it was.
    size_t start = out.size();
    size_t expected = kMinMessageSize + message.payload.size();
    for (const Header& header : message.headers) {
        expected += encoded_size(header);
    }
    out.reserve(start + expected);
    out.append(kPreludeSize, '\0');
    for (const Header& header : message.headers) {
        if (auto appended = append_header(out, header); !appended) {
            out.resize(start);
            return appended;
        }
    }
    size_t headers_size = out.size() - start - kPreludeSize;
    if (headers_size > kMaxHeadersSize) {
        out.resize(start);
        return make_error(ErrorCode::Range, "headers of " + std::to_string(headers_size) +
                                                " bytes exceed the limit of " + std::to_string(kMaxHeadersSize));
    }
    size_t total = kMinMessageSize + headers_size + message.payload.size();
    if (total > max_message_size || total > UINT32_MAX) {
        out.resize(start);
        return make_error(ErrorCode::Range, "message of " + std::to_string(total) + " bytes exceeds the limit of " +
                                                std::to_string(max_message_size) + " bytes");
    }
    patch_be32(out, start, static_cast<uint32_t>(total));
    patch_be32(out, start + 4, static_cast<uint32_t>(headers_size));
    patch_be32(out, start + 8, crc32_of(std::string_view(out).substr(start, 8)));
    out += message.payload;
    write_be(out, crc32_of(std::string_view(out).substr(start, total - kMessageCrcSize)), 4);
    return {};
}

Result<uint32_t> check_prelude(std::string_view prelude, size_t max_message_size) {
    if (prelude.size() < kPreludeSize) {
        return parse_error("truncated prelude: " + std::to_string(prelude.size()) + " of 12 bytes");
    }
    uint32_t computed = crc32_of(prelude.substr(0, 8));
    uint32_t stated = static_cast<uint32_t>(read_be(prelude.data() + 8, 4));
    if (computed != stated) {
        return parse_error("prelude CRC mismatch (frame says " + hex32(stated) + ", computed " + hex32(computed) + ")");
    }
    uint32_t total = static_cast<uint32_t>(read_be(prelude.data(), 4));
    uint32_t headers = static_cast<uint32_t>(read_be(prelude.data() + 4, 4));
    if (total < kMinMessageSize) {
        return parse_error("total length " + std::to_string(total) + " is below the minimum of 16 bytes");
    }
    if (total > max_message_size) {
        return make_error(ErrorCode::Range, "message of " + std::to_string(total) + " bytes exceeds the limit of " +
                                                std::to_string(max_message_size) + " bytes");
    }
    if (headers > total - kMinMessageSize) {
        return parse_error("headers length " + std::to_string(headers) + " exceeds the total length " +
                           std::to_string(total));
    }
    if (headers > kMaxHeadersSize) {
        return make_error(ErrorCode::Range, "headers of " + std::to_string(headers) + " bytes exceed the limit of " +
                                                std::to_string(kMaxHeadersSize));
    }
    return total;
}

namespace {

// The rest of decode_message, for a frame of total bytes whose prelude check_prelude passed.
Result<Message> decode_checked(std::string_view frame, uint32_t total) {
    uint32_t computed = crc32_of(frame.substr(0, total - kMessageCrcSize));
    uint32_t stated = static_cast<uint32_t>(read_be(frame.data() + total - kMessageCrcSize, 4));
    if (computed != stated) {
        return parse_error("message CRC mismatch (frame says " + hex32(stated) + ", computed " + hex32(computed) + ")");
    }
    size_t headers_size = static_cast<size_t>(read_be(frame.data() + 4, 4));
    auto headers = decode_headers(frame.substr(kPreludeSize, headers_size));
    if (!headers) {
        return std::move(headers).error();
    }
    Message message;
    message.headers = std::move(*headers);
    size_t payload_at = kPreludeSize + headers_size;
    message.payload.assign(frame.substr(payload_at, total - kMessageCrcSize - payload_at));
    return message;
}

} // namespace

Result<Message> decode_message(std::string_view frame, size_t max_message_size) {
    auto total = check_prelude(frame, max_message_size);
    if (!total) {
        return std::move(total).error();
    }
    if (frame.size() != *total) {
        return parse_error("frame of " + std::to_string(frame.size()) + " bytes, prelude says " +
                           std::to_string(*total));
    }
    return decode_checked(frame, *total);
}

char* StreamDecoder::write_area(size_t min_space) {
    if (begin_ > 0 && (begin_ == end_ || begin_ >= buffer_.size() / 2)) {
        move_unconsumed_to_front(buffer_, begin_, end_);
    }
    return space_after(buffer_, end_, min_space);
}

void StreamDecoder::feed(std::string_view data) {
    // Appended rather than copied into write_area(): that would first zero-fill the space.
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (begin_ > 0 && begin_ >= buffer_.size() / 2) {
        move_unconsumed_to_front(buffer_, begin_, end_);
    }
    buffer_.resize(end_);
    buffer_.append(data);
    end_ = buffer_.size();
}

StreamDecoder::Status StreamDecoder::next(Message& message) {
    if (failed_) {
        return Status::Failed;
    }
    std::string_view available(buffer_.data() + begin_, end_ - begin_);
    if (available.size() < kPreludeSize) {
        return Status::NeedMore;
    }
    auto total = check_prelude(available.substr(0, kPreludeSize), max_);
    if (!total) {
        failed_ = true;
        error_ = std::move(total).error();
        return Status::Failed;
    }
    if (available.size() < *total) {
        return Status::NeedMore;
    }
    auto decoded = decode_checked(available.substr(0, *total), *total);
    if (!decoded) {
        failed_ = true;
        error_ = std::move(decoded).error();
        return Status::Failed;
    }
    message = std::move(*decoded);
    begin_ += *total;
    if (begin_ == end_) {
        begin_ = end_ = 0;
        // A large message does not pin its buffer for the rest of the connection.
        if (buffer_.size() > (4u << 10)) {
            std::string().swap(buffer_);
        }
    }
    return Status::Message;
}

} // namespace ggl::event_stream
