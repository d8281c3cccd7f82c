// libFuzzer target: a byte stream through the event-stream decoder (Greengrass IPC framing),
// in uneven chunks as a socket delivers it; every decoded message is re-encoded and must
// decode to itself.
#include "ggl/event_stream.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ggl::event_stream;
    std::string_view input(reinterpret_cast<const char*>(data), size);

    // The whole input as one frame.
    (void)decode_message(input, 64 * 1024);

    // As a stream, with a small limit so the oversized paths are reachable.
    StreamDecoder decoder(64 * 1024);
    size_t chunk = size == 0 ? 1 : (data[0] % 17) + 1;
    size_t offset = 0;
    while (offset < size) {
        size_t n = std::min(chunk, size - offset);
        decoder.feed(input.substr(offset, n));
        offset += n;
        Message message;
        StreamDecoder::Status status;
        while ((status = decoder.next(message)) == StreamDecoder::Status::Message) {
            std::string encoded;
            if (!append_message(encoded, message, 64 * 1024).ok()) {
                std::abort(); // what was decoded within the limit must encode
            }
            auto again = decode_message(encoded, 64 * 1024);
            if (!again.ok() || !(*again == message)) {
                std::abort();
            }
        }
        if (status == StreamDecoder::Status::Failed) {
            break;
        }
    }
    return 0;
}
