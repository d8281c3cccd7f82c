// The core bus wire protocol (docs/bus.md): frames, requests and replies.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::bus {

// Largest frame accepted or sent: GGL_BUS_MAX_FRAME, default 4 MiB.
inline constexpr size_t kDefaultMaxFrame = 4 * 1024 * 1024;
inline constexpr size_t kFrameHeaderSize = 4;

enum class Op { Call, Notify, Subscribe, Cancel };
std::string_view op_name(Op op);

struct Request {
    Op op = Op::Call;
    uint64_t id = 0;
    std::string method;
    Map params;
};

// What a reply frame carries. A call gets Result or Error; a subscribe gets Accepted
// (or Error), then Events, then End (with an error when it ended by failure).
enum class ReplyKind { Result, Error, Accepted, Event, End };

struct Reply {
    uint64_t id = 0;
    ReplyKind kind = ReplyKind::Result;
    Object value; // result or event
    Error error; // for Error, and for End when it ended by failure (code != Ok)
};

// Appends one frame (header + body) to out. Fails with RANGE when the body would
// exceed max_frame; out is then unchanged.
Result<void> append_request(std::string& out, const Request& request, size_t max_frame);
Result<void> append_result(std::string& out, uint64_t id, const Object& result, size_t max_frame);
Result<void> append_event(std::string& out, uint64_t id, const Object& event, size_t max_frame);
void append_error(std::string& out, uint64_t id, const Error& error);
void append_accepted(std::string& out, uint64_t id);
void append_end(std::string& out, uint64_t id, const Error* error = nullptr);

// Decoding a frame body. A body that is not a msgpack map is PARSE; a map that is
// not a valid request (missing op, unknown op, id not an unsigned integer, ...) is
// INVALID. On INVALID, id_out holds the request id when one could be read, so the
// error reply can be matched by the caller.
Result<Request> decode_request(std::string_view body, uint64_t& id_out);
Result<Reply> decode_reply(std::string_view body);

// Splits a byte stream into frame bodies.
class FrameReader {
public:
    explicit FrameReader(size_t max_frame) : max_frame_(max_frame) {}

    // Space to read into: at least min_space bytes, grown as a frame demands,
    // never ahead of the bytes that actually arrive.
    char* write_area(size_t min_space);
    size_t write_space() const { return buffer_.size() - end_; }
    void commit(size_t n) { end_ += n; }

    enum class Status { Frame, NeedMore, Oversized };
    // On Frame, body views the next frame (valid until the next call to any member).
    // On Oversized, declared holds the announced size and the stream cannot continue.
    Status next(std::string_view& body, size_t& declared);

    // Whether next() would return a frame (or report an oversized one) without more input.
    bool has_frame() const;
    // Bytes buffered and not yet returned as frames.
    size_t pending() const { return end_ - begin_; }
    size_t max_frame() const { return max_frame_; }

private:
    std::string buffer_;
    size_t begin_ = 0;
    size_t end_ = 0;
    size_t max_frame_;
};

} // namespace ggl::bus
