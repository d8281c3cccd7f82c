// libFuzzer target: a byte stream through the frame reader, request/reply and msgpack decoders.
#include "ggl/bus_protocol.hpp"
#include "ggl/msgpack.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ggl;
    using namespace ggl::bus;

    // As a stream: split into frames the way a server does, in uneven chunks.
    FrameReader reader(64 * 1024);
    size_t offset = 0;
    size_t chunk = size == 0 ? 1 : (data[0] % 13) + 1;
    while (offset < size) {
        size_t n = std::min(chunk, size - offset);
        std::memcpy(reader.write_area(n), data + offset, n);
        reader.commit(n);
        offset += n;
        std::string_view body;
        size_t declared = 0;
        FrameReader::Status status;
        while ((status = reader.next(body, declared)) == FrameReader::Status::Frame) {
            uint64_t id = 0;
            auto request = decode_request(body, id);
            auto reply = decode_reply(body);
            (void)reply;
            if (request.ok()) {
                // Whatever is accepted must encode again within the limit it came in.
                std::string out;
                if (!append_request(out, *request, 64 * 1024).ok()) {
                    std::abort();
                }
            }
        }
        if (status == FrameReader::Status::Oversized) {
            break;
        }
    }

    // As one msgpack object: decoding must be total, and a decoded object must survive
    // an encode/decode round trip unchanged (NaN aside, which is unequal to itself).
    auto decoded = msgpack_decode(std::string_view(reinterpret_cast<const char*>(data), size));
    if (decoded.ok()) {
        auto again = msgpack_decode(msgpack_encode(*decoded));
        if (!again.ok()) {
            std::abort();
        }
    }
    return 0;
}
