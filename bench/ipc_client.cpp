#include "ipc_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace ggl::bench {

using namespace event_stream;

namespace {
constexpr int32_t kApplicationMessage = 0, kConnect = 4, kConnectAck = 5;
constexpr int32_t kAccepted = 1;
} // namespace

void die(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program_name, what.c_str());
    std::exit(1);
}

int32_t int_header(const Message& message, const char* name) {
    const Header* header = message.find(name);
    return header == nullptr ? -1 : static_cast<int32_t>(header->integer);
}

std::string string_header(const Message& message, const char* name) {
    const Header* header = message.find(name);
    return header == nullptr ? std::string() : header->bytes;
}

IpcClient::IpcClient(const std::string& path, int timeout_ms)
    : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), timeout_ms_(timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        die("connect " + path + ": " + std::strerror(errno));
    }
}

IpcClient::~IpcClient() { ::close(fd_); }

void IpcClient::connect(const std::string& token, const std::string& component) {
    Message message;
    message.headers = {Header::int32(":message-type", kConnect), Header::int32(":message-flags", 0),
                       Header::int32(":stream-id", 0), Header::string(":version", "0.1.0")};
    message.payload = "{\"authToken\":\"" + token + "\"}";
    std::string bytes;
    if (!append_message(bytes, message)) die("encoding the CONNECT of " + component);
    send_raw(bytes);
    Message ack;
    if (!receive(ack) || int_header(ack, ":message-type") != kConnectAck ||
        (int_header(ack, ":message-flags") & kAccepted) == 0) {
        die("ggipcd did not accept the CONNECT of " + component);
    }
}

int32_t IpcClient::append_request(std::string& out, const std::string& operation, std::string json) {
    int32_t id = next_stream_++;
    Message message;
    message.headers = {Header::int32(":message-type", kApplicationMessage), Header::int32(":message-flags", 0),
                       Header::int32(":stream-id", id), Header::string("operation", "aws.greengrass#" + operation),
                       Header::string(":content-type", "application/json")};
    message.payload = std::move(json);
    if (!append_message(out, message)) die("encoding " + operation);
    return id;
}

void IpcClient::send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) die(std::string("ggipcd: send: ") + std::strerror(errno));
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

bool IpcClient::receive(Message& message, int timeout_ms) {
    for (;;) {
        auto status = decoder_.next(message);
        if (status == StreamDecoder::Status::Message) return true;
        if (status == StreamDecoder::Status::Failed) die("decoding an IPC frame: " + decoder_.error().message);
        pollfd watched{fd_, POLLIN, 0};
        if (::poll(&watched, 1, timeout_ms) <= 0) return false;
        char* area = decoder_.write_area(65536);
        ssize_t n = ::recv(fd_, area, decoder_.write_space(), 0);
        if (n <= 0) die("ggipcd closed a connection");
        decoder_.commit(static_cast<size_t>(n));
    }
}

bool IpcClient::call(const std::string& operation, std::string json, const std::string& expected, std::string& error) {
    std::string bytes;
    int32_t id = append_request(bytes, operation, std::move(json));
    send_raw(bytes);
    Message answer;
    while (receive(answer)) {
        if (int_header(answer, ":stream-id") != id) continue;
        if (string_header(answer, "service-model-type") == expected) return true;
        error = operation + " answered " + string_header(answer, "service-model-type") + " " + answer.payload;
        return false;
    }
    error = operation + ": no answer within " + std::to_string(timeout_ms_) + " ms";
    return false;
}

} // namespace ggl::bench
