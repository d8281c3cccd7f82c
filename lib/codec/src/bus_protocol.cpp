// Core bus frames and messages: encoding straight into the output buffer, bounded decoding.
#include "ggl/bus_protocol.hpp"

#include "ggl/msgpack.hpp"
#include "ggl/read_buffer.hpp"

#include <msgpack.h>

#include <cstring>

namespace ggl::bus {

namespace {

int append_to_string(void* data, const char* buf, size_t len) {
    static_cast<std::string*>(data)->append(buf, len);
    return 0;
}

void pack_text(msgpack_packer& pk, std::string_view text) {
    msgpack_pack_str(&pk, text.size());
    msgpack_pack_str_body(&pk, text.data(), text.size());
}

// Writes a frame header placeholder, lets body() pack the map, then patches the length.
template <typename Body>
Result<void> append_frame(std::string& out, size_t max_frame, Body&& body) {
    size_t start = out.size();
    out.append(kFrameHeaderSize, '\0');
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, append_to_string);
    body(pk);
    size_t length = out.size() - start - kFrameHeaderSize;
    if (length > max_frame) {
        out.resize(start);
        return make_error(ErrorCode::Range, "message of " + std::to_string(length) +
                                                " bytes exceeds the bus frame limit of " + std::to_string(max_frame) +
                                                " bytes");
    }
    auto* header = reinterpret_cast<unsigned char*>(out.data() + start);
    header[0] = static_cast<unsigned char>(length >> 24);
    header[1] = static_cast<unsigned char>(length >> 16);
    header[2] = static_cast<unsigned char>(length >> 8);
    header[3] = static_cast<unsigned char>(length);
    return {};
}

void pack_error(msgpack_packer& pk, const Error& error) {
    msgpack_pack_map(&pk, 2);
    pack_text(pk, "code");
    pack_text(pk, error_code_name(error.code));
    pack_text(pk, "message");
    pack_text(pk, error.message);
}

Error decode_error_object(const Object* object) {
    Error error{ErrorCode::Failure, "", true};
    const Map* map = object ? object->if_map() : nullptr;
    if (map == nullptr) {
        error.message = "malformed error in reply";
        return error;
    }
    const Object* code = map->find("code");
    const Object* message = map->find("message");
    if (message && message->is_buffer()) {
        error.message = std::string(message->as_buffer());
    }
    if (code && code->is_buffer()) {
        if (auto known = error_code_from_name(code->as_buffer())) {
            error.code = *known;
        } else {
            error.code = ErrorCode::Remote;
            error.message = std::string(code->as_buffer()) + ": " + error.message;
        }
    }
    return error;
}

bool read_id(const Map& map, uint64_t& id) {
    const Object* value = map.find("id");
    if (value == nullptr || !value->is_i64() || value->as_i64() < 0) {
        return false;
    }
    id = static_cast<uint64_t>(value->as_i64());
    return true;
}

} // namespace

std::string_view op_name(Op op) {
    switch (op) {
    case Op::Call: return "call";
    case Op::Notify: return "notify";
    case Op::Subscribe: return "subscribe";
    case Op::Cancel: return "cancel";
    }
    return "call";
}

Result<void> append_request(std::string& out, const Request& request, size_t max_frame) {
    return append_frame(out, max_frame, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, 4);
        pack_text(pk, "op");
        pack_text(pk, op_name(request.op));
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, request.id);
        pack_text(pk, "method");
        pack_text(pk, request.method);
        pack_text(pk, "params");
        msgpack_append(request.params, out);
    });
}

Result<void> append_result(std::string& out, uint64_t id, const Object& result, size_t max_frame) {
    return append_frame(out, max_frame, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, 2);
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, id);
        pack_text(pk, "result");
        msgpack_append(result, out);
    });
}

Result<void> append_event(std::string& out, uint64_t id, const Object& event, size_t max_frame) {
    return append_frame(out, max_frame, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, 2);
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, id);
        pack_text(pk, "event");
        msgpack_append(event, out);
    });
}

void append_error(std::string& out, uint64_t id, const Error& error) {
    // Error messages are short by construction; cap them so the frame always fits.
    Error capped = error;
    if (capped.message.size() > 4096) {
        capped.message.resize(4096);
    }
    (void)append_frame(out, SIZE_MAX, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, 2);
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, id);
        pack_text(pk, "error");
        pack_error(pk, capped);
    });
}

void append_accepted(std::string& out, uint64_t id) {
    (void)append_frame(out, SIZE_MAX, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, 2);
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, id);
        pack_text(pk, "accepted");
        msgpack_pack_true(&pk);
    });
}

void append_end(std::string& out, uint64_t id, const Error* error) {
    (void)append_frame(out, SIZE_MAX, [&](msgpack_packer& pk) {
        msgpack_pack_map(&pk, error ? 3 : 2);
        pack_text(pk, "id");
        msgpack_pack_uint64(&pk, id);
        pack_text(pk, "end");
        msgpack_pack_true(&pk);
        if (error) {
            Error capped = *error;
            if (capped.message.size() > 4096) {
                capped.message.resize(4096);
            }
            pack_text(pk, "error");
            pack_error(pk, capped);
        }
    });
}

Result<Request> decode_request(std::string_view body, uint64_t& id_out) {
    id_out = 0;
    auto decoded = msgpack_decode(body);
    if (!decoded) {
        return std::move(decoded).error();
    }
    Map* map = decoded->is_map() ? &decoded->as_map() : nullptr;
    if (map == nullptr) {
        return make_error(ErrorCode::Parse, "request is not a msgpack map");
    }
    Request request;
    bool has_id = read_id(*map, request.id);
    if (has_id) {
        id_out = request.id;
    }
    const Object* op = map->find("op");
    if (op == nullptr || !op->is_buffer()) {
        return make_error(ErrorCode::Invalid, "request has no \"op\" string");
    }
    std::string_view op_text = op->as_buffer();
    if (op_text == "call") {
        request.op = Op::Call;
    } else if (op_text == "notify") {
        request.op = Op::Notify;
    } else if (op_text == "subscribe") {
        request.op = Op::Subscribe;
    } else if (op_text == "cancel") {
        request.op = Op::Cancel;
    } else {
        return make_error(ErrorCode::Invalid, "unknown op \"" + std::string(op_text.substr(0, 64)) + "\"");
    }
    if (!has_id && (map->contains("id") || request.op != Op::Notify)) {
        return make_error(ErrorCode::Invalid, "request \"id\" must be an unsigned integer");
    }
    if (request.op != Op::Cancel) {
        Object* method = map->find("method");
        if (method == nullptr || !method->is_buffer()) {
            return make_error(ErrorCode::Invalid, "request has no \"method\" string");
        }
        request.method = std::string(method->as_buffer());
    }
    if (Object* params = map->find("params")) {
        if (params->is_map()) {
            request.params = std::move(params->as_map());
        } else if (!params->is_null()) {
            return make_error(ErrorCode::Invalid, "request \"params\" must be a map");
        }
    }
    return request;
}

Result<Reply> decode_reply(std::string_view body) {
    auto decoded = msgpack_decode(body);
    if (!decoded) {
        return std::move(decoded).error();
    }
    Map* map = decoded->is_map() ? &decoded->as_map() : nullptr;
    if (map == nullptr) {
        return make_error(ErrorCode::Parse, "reply is not a msgpack map");
    }
    Reply reply;
    if (!read_id(*map, reply.id)) {
        return make_error(ErrorCode::Parse, "reply has no unsigned \"id\"");
    }
    if (Object* result = map->find("result")) {
        reply.kind = ReplyKind::Result;
        reply.value = std::move(*result);
    } else if (Object* event = map->find("event")) {
        reply.kind = ReplyKind::Event;
        reply.value = std::move(*event);
    } else if (map->contains("end")) {
        reply.kind = ReplyKind::End;
        if (const Object* error = map->find("error")) {
            reply.error = decode_error_object(error);
        } else {
            reply.error = Error{ErrorCode::Ok, "", true};
        }
    } else if (const Object* error = map->find("error")) {
        reply.kind = ReplyKind::Error;
        reply.error = decode_error_object(error);
    } else if (map->contains("accepted")) {
        reply.kind = ReplyKind::Accepted;
    } else {
        return make_error(ErrorCode::Parse, "reply has none of result, error, accepted, event, end");
    }
    return reply;
}

char* FrameReader::write_area(size_t min_space) {
    if (begin_ == end_) {
        begin_ = end_ = 0;
        // Give back the memory a large frame needed once it has been consumed.
        if (buffer_.size() > (1u << 20)) {
            buffer_.resize(64u << 10);
            buffer_.shrink_to_fit();
        }
    } else if (begin_ > 0 && buffer_.size() - end_ < min_space) {
        move_unconsumed_to_front(buffer_, begin_, end_);
    }
    return space_after(buffer_, end_, min_space);
}

bool FrameReader::has_frame() const {
    size_t available = end_ - begin_;
    if (available < kFrameHeaderSize) {
        return false;
    }
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    size_t length = (size_t{h[0]} << 24) | (size_t{h[1]} << 16) | (size_t{h[2]} << 8) | h[3];
    return length > max_frame_ || available >= kFrameHeaderSize + length;
}

FrameReader::Status FrameReader::next(std::string_view& body, size_t& declared) {
    size_t available = end_ - begin_;
    if (available < kFrameHeaderSize) {
        return Status::NeedMore;
    }
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    size_t length = (size_t{h[0]} << 24) | (size_t{h[1]} << 16) | (size_t{h[2]} << 8) | h[3];
    if (length > max_frame_) {
        declared = length;
        return Status::Oversized;
    }
    if (available < kFrameHeaderSize + length) {
        return Status::NeedMore;
    }
    body = std::string_view(buffer_.data() + begin_ + kFrameHeaderSize, length);
    begin_ += kFrameHeaderSize + length;
    return Status::Frame;
}

} // namespace ggl::bus
