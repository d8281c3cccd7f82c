// The client side of Greengrass IPC (event-stream RPC) for the benchmarks (bench-ipc,
// bench-load): blocking, as small as a benchmark needs. Not for tests (they have their own).
#pragma once

#include "ggl/event_stream.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::bench {

// The program named in die's messages; main sets it first.
inline const char* program_name = "bench";

// Prints "<program_name>: what" to stderr and exits 1.
[[noreturn]] void die(const std::string& what);

// A header's value, or -1 / "" when the message has none of that name.
int32_t int_header(const event_stream::Message& message, const char* name);
std::string string_header(const event_stream::Message& message, const char* name);

class IpcClient {
public:
    // Connects to ggipcd's socket at path (dies when it cannot); timeout_ms is how long
    // connect(), call() and receive() without a timeout wait for a message.
    IpcClient(const std::string& path, int timeout_ms);
    ~IpcClient();
    IpcClient(const IpcClient&) = delete;
    IpcClient& operator=(const IpcClient&) = delete;

    // CONNECT with the SVCUID token; dies when ggipcd does not accept it (component names
    // the client in that message).
    void connect(const std::string& token, const std::string& component);

    // Appends a request starting a new stream to out; returns its stream id.
    int32_t append_request(std::string& out, const std::string& operation, std::string json);

    // Sends all of bytes; dies when the socket fails.
    void send_raw(std::string_view bytes);

    // The next message; false when none came within timeout_ms.
    bool receive(event_stream::Message& message, int timeout_ms);
    bool receive(event_stream::Message& message) { return receive(message, timeout_ms_); }

    // One request on a new stream, waiting for the first answer on it (messages of other
    // streams are passed over): true when its service-model-type is expected, else false
    // with the answer, or that none came, in error.
    bool call(const std::string& operation, std::string json, const std::string& expected, std::string& error);

private:
    int fd_;
    int timeout_ms_;
    event_stream::StreamDecoder decoder_;
    int32_t next_stream_ = 1;
};

} // namespace ggl::bench
