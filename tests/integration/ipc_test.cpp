// ggipcd end to end: the real daemon on a real socket, spoken to byte by byte with a small
// event-stream client; with a real ggconfigd and ggpubsubd behind it for the operations.
#include "process.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/event_stream.hpp"
#include "ggl/json.hpp"
#include "ggl/services/ipc_component.hpp"
#include "ggl/text.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

using namespace ggl;
using namespace ggl::testing;
using namespace ggl::event_stream;
using namespace std::chrono_literals;

namespace {

constexpr int32_t kApplicationMessage = 0, kApplicationError = 1, kPing = 2, kPingResponse = 3, kConnect = 4,
                  kConnectAck = 5, kProtocolError = 6;
constexpr int32_t kAccepted = 1, kTerminate = 2;
constexpr const char* kToken = "TestTokenForComponentA0123";
constexpr const char* kTokenB = "TestTokenForComponentB0123";

void write_file(const std::string& path, std::string_view text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// Writes a token the way deployments do: a temporary file renamed into place.
void issue_token(const std::string& root, const std::string& component, const std::string& token) {
    std::string path = root + "/ipc/svcuid/" + component;
    write_file(path + ".tmp.1", token);
    std::filesystem::rename(path + ".tmp.1", path);
}

int32_t int_header(const Message& message, const char* name) {
    const Header* header = message.find(name);
    return header == nullptr ? -1 : static_cast<int32_t>(header->integer);
}

std::string string_header(const Message& message, const char* name) {
    const Header* header = message.find(name);
    return header == nullptr ? std::string() : header->bytes;
}

Message rpc(int32_t type, int32_t flags, int32_t stream) {
    Message message;
    message.headers = {Header::int32(":message-type", type), Header::int32(":message-flags", flags),
                       Header::int32(":stream-id", stream)};
    return message;
}

// The client side of event-stream RPC, as small as a test needs.
class IpcClient {
public:
    explicit IpcClient(const std::string& path) {
        fd_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("connect " + path + ": " + std::strerror(errno));
        }
    }

    void send_raw(std::string_view bytes) {
        size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            sent += static_cast<size_t>(n);
        }
    }
    void send(const Message& message) {
        std::string bytes;
        REQUIRE(append_message(bytes, message).ok());
        send_raw(bytes);
    }

    // The next message, or nullopt when none came in time or the server closed.
    std::optional<Message> receive(std::chrono::milliseconds timeout = 5000ms) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            Message message;
            auto status = decoder_.next(message);
            if (status == StreamDecoder::Status::Message) return message;
            if (status == StreamDecoder::Status::Failed) throw std::runtime_error(decoder_.error().message);
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || closed_) return std::nullopt;
            pollfd watched{fd_.get(), POLLIN, 0};
            if (::poll(&watched, 1, static_cast<int>(left.count())) <= 0) continue;
            char* area = decoder_.write_area(65536);
            ssize_t n = ::recv(fd_.get(), area, decoder_.write_space(), 0);
            if (n <= 0) {
                closed_ = true;
                continue;
            }
            decoder_.commit(static_cast<size_t>(n));
        }
    }

    // True when the server closes the connection within timeout (messages before are skipped).
    bool closed_within(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!closed_ && std::chrono::steady_clock::now() < deadline) {
            receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        }
        return closed_;
    }

    Message connect(const std::string& token, const std::string& version = "0.1.0") {
        Message message = rpc(kConnect, 0, 0);
        message.headers.push_back(Header::string(":version", version));
        message.payload = "{\"authToken\":\"" + token + "\"}";
        send(message);
        auto ack = receive();
        REQUIRE(ack.has_value());
        return *ack;
    }

    // Starts a stream with an operation; returns its id.
    int32_t start(const std::string& operation, const std::string& json_body) {
        int32_t id = next_stream_++;
        Message message = rpc(kApplicationMessage, 0, id);
        message.headers.push_back(Header::string("operation", "aws.greengrass#" + operation));
        message.headers.push_back(Header::string(":content-type", "application/json"));
        message.payload = json_body;
        send(message);
        return id;
    }

    // The next message on stream id (messages of other streams are kept for later).
    Message next_on(int32_t id, std::chrono::milliseconds timeout = 5000ms) {
        for (auto it = kept_.begin(); it != kept_.end(); ++it) {
            if (int_header(*it, ":stream-id") == id) {
                Message message = std::move(*it);
                kept_.erase(it);
                return message;
            }
        }
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            auto message = receive(left);
            if (!message) throw std::runtime_error("no message on stream " + std::to_string(id));
            if (int_header(*message, ":stream-id") == id) return *message;
            kept_.push_back(std::move(*message));
        }
    }

    Message call(const std::string& operation, const std::string& json_body) {
        return next_on(start(operation, json_body));
    }

    int fd() const { return fd_.get(); }

private:
    UniqueFd fd_;
    StreamDecoder decoder_;
    bool closed_ = false;
    int32_t next_stream_ = 1;
    std::deque<Message> kept_;
};

Object body_of(const Message& message) {
    auto body = from_json(message.payload);
    REQUIRE(body.ok());
    return *body;
}

// A device in a temp dir with ggipcd (and, when asked, ggconfigd and ggpubsubd) running.
struct Device {
    TempDir dir{"ggl-ipc"};
    std::string runtime = dir.path() + "/run";
    std::string root = dir.path() + "/root";
    std::string socket = runtime + "/gg-ipc.socket";
    std::vector<std::unique_ptr<Process>> daemons;

    explicit Device(bool with_services = false) {
        std::filesystem::create_directories(runtime);
        issue_token(root, "com.example.A", kToken);
        issue_token(root, "com.example.B", kTokenB);
        if (with_services) {
            start(GGL_CONFIGD_EXE, "gg_config");
#ifdef GGL_PUBSUBD_EXE
            start(GGL_PUBSUBD_EXE, "gg_pubsub");
#endif
        }
        start(GGL_IPCD_EXE, "gg-ipc.socket");
    }

    void start(const std::string& exe, const std::string& socket_name) {
        ProcessOptions options;
        options.env["GGL_RUNTIME_DIR"] = runtime;
        options.env["GGL_ROOT"] = root;
        options.env["GGL_CONFIG_DIR"] = dir.path() + "/etc";
        options.env["GGL_CONFIG_DB"] = root + "/config.db";
        std::string log = dir.path() + "/" + socket_name + ".log";
        options.stderr_file = log;
        daemons.push_back(std::make_unique<Process>(std::vector<std::string>{exe}, options));
        for (int attempt = 0; attempt < 1000; ++attempt) {
            if (socket_accepts(runtime + "/" + socket_name)) return;
            if (daemons.back()->exited()) break;
            ::usleep(10000);
        }
        throw std::runtime_error(exe + " did not serve; its log:\n" + read_file(log));
    }
    std::string ipcd_log() const { return read_file(dir.path() + "/gg-ipc.socket.log"); }

    // Writes (or, with null, deletes) a component's accessControl through gg_config, as a
    // deployment does.
    void set_access_control(const std::string& component, const std::string& json) {
        auto client = bus::Client::for_path(runtime + "/gg_config");
        List path{Object("services"), Object(component), Object("configuration"), Object("accessControl")};
        if (json == "null") {
            REQUIRE(client.call("delete", Map{{"key_path", path}}).ok());
            return;
        }
        auto value = from_json(json);
        REQUIRE(value.ok());
        REQUIRE(client.call("write", Map{{"key_path", path}, {"value", *value}}).ok());
    }
};

constexpr const char* kPubsubPolicy =
    R"({"aws.greengrass.ipc.pubsub":{"p1":{"operations":["*"],"resources":["sensors/*"]}}})";

} // namespace

TEST_CASE("the IPC socket is mode 0666") {
    Device device;
    struct stat st {};
    REQUIRE(::stat(device.socket.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0666);
}

TEST_CASE("a message before CONNECT gets a protocol error and the connection closes") {
    Device device;
    IpcClient client(device.socket);
    client.send(rpc(kPing, 0, 0));
    auto reply = client.receive();
    REQUIRE(reply.has_value());
    CHECK(int_header(*reply, ":message-type") == kProtocolError);
    CHECK(reply->payload.find("CONNECT") != std::string::npos);
    CHECK(client.closed_within(2000ms));
}

TEST_CASE("an operation before CONNECT is refused too") {
    Device device;
    IpcClient client(device.socket);
    client.start("GetConfiguration", "{}");
    auto reply = client.receive();
    REQUIRE(reply.has_value());
    CHECK(int_header(*reply, ":message-type") == kProtocolError);
    CHECK(client.closed_within(2000ms));
}

TEST_CASE("a large frame before CONNECT is refused by its prelude alone") {
    Device device;
    IpcClient client(device.socket);
    Message big = rpc(kConnect, 0, 0);
    big.payload = std::string(100000, ' ');
    std::string bytes;
    REQUIRE(append_message(bytes, big).ok());
    client.send_raw(bytes.substr(0, 12)); // only the prelude: the server must not wait for the rest
    auto reply = client.receive();
    REQUIRE(reply.has_value());
    CHECK(int_header(*reply, ":message-type") == kProtocolError);
    CHECK(reply->payload.find("exceeds the limit") != std::string::npos);
    CHECK(client.closed_within(2000ms));
}

TEST_CASE("a CONNECT with a token no deployment issued is not accepted") {
    Device device;
    IpcClient client(device.socket);
    Message ack = client.connect("NotAnIssuedTokenAtAll0000");
    CHECK(int_header(ack, ":message-type") == kConnectAck);
    CHECK((int_header(ack, ":message-flags") & kAccepted) == 0);
    CHECK(client.closed_within(2000ms));
    CHECK(device.ipcd_log().find("not the SVCUID") != std::string::npos);
}

TEST_CASE("a CONNECT with a wrong protocol version or no token is not accepted") {
    Device device;
    {
        IpcClient client(device.socket);
        Message ack = client.connect(kToken, "0.2.0");
        CHECK((int_header(ack, ":message-flags") & kAccepted) == 0);
        CHECK(client.closed_within(2000ms));
    }
    {
        IpcClient client(device.socket);
        Message message = rpc(kConnect, 0, 0);
        message.headers.push_back(Header::string(":version", "0.1.0"));
        message.payload = "{}";
        client.send(message);
        auto ack = client.receive();
        REQUIRE(ack.has_value());
        CHECK((int_header(*ack, ":message-flags") & kAccepted) == 0);
    }
}

TEST_CASE("a CONNECT with a deployed component's SVCUID is accepted, and PING answered") {
    Device device;
    IpcClient client(device.socket);
    Message ack = client.connect(kToken);
    CHECK(int_header(ack, ":message-type") == kConnectAck);
    CHECK((int_header(ack, ":message-flags") & kAccepted) == kAccepted);
    client.send(rpc(kPing, 0, 0));
    auto pong = client.receive();
    REQUIRE(pong.has_value());
    CHECK(int_header(*pong, ":message-type") == kPingResponse);
    CHECK(device.ipcd_log().find("connected as com.example.A") != std::string::npos);
}

TEST_CASE("a token issued while ggipcd runs is accepted, a removed one no longer") {
    Device device;
    issue_token(device.root, "com.example.Late", "LateTokenIssuedAfterStart");
    {
        IpcClient client(device.socket);
        CHECK((int_header(client.connect("LateTokenIssuedAfterStart"), ":message-flags") & kAccepted) == kAccepted);
    }
    std::filesystem::remove(device.root + "/ipc/svcuid/com.example.Late");
    IpcClient client(device.socket);
    CHECK((int_header(client.connect("LateTokenIssuedAfterStart"), ":message-flags") & kAccepted) == 0);
}

TEST_CASE("other daemons check a token on the bus service ipc_component") {
    Device device;
    auto client = bus::Client::for_path(device.runtime + "/ipc_component");
    auto known = client.call("verify_svcuid", Map{{"svcuid", kTokenB}});
    REQUIRE(known.ok());
    CHECK(string_field(*known, "component_name") == "com.example.B");
    auto unknown = client.call("verify_svcuid", Map{{"svcuid", "NotAnIssuedTokenAtAll0000"}});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code == ErrorCode::Noentry);

    // The typed client every daemon uses finds the service in $GGL_RUNTIME_DIR.
    const char* previous = std::getenv("GGL_RUNTIME_DIR");
    std::string saved = previous ? previous : "";
    ::setenv("GGL_RUNTIME_DIR", device.runtime.c_str(), 1);
    services::IpcComponentClient typed;
    auto component = typed.verify_svcuid(kTokenB);
    auto refused = typed.verify_svcuid("NotAnIssuedTokenAtAll0000");
    if (previous) {
        ::setenv("GGL_RUNTIME_DIR", saved.c_str(), 1);
    } else {
        ::unsetenv("GGL_RUNTIME_DIR");
    }
    REQUIRE(component.ok());
    CHECK(*component == "com.example.B");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::Noentry);
}

TEST_CASE("a deployment's proposal reaches a validation stream, silence ends TIMED_OUT and a report answers") {
    Device device;
    IpcClient a(device.socket);
    a.connect(kToken);
    int32_t stream = a.start("SubscribeToValidateConfigurationUpdates", "{}");
    Message accepted = a.next_on(stream);
    REQUIRE(string_header(accepted, "service-model-type") ==
            "aws.greengrass#SubscribeToValidateConfigurationUpdatesResponse");
    CHECK((int_header(accepted, ":message-flags") & kTerminate) == 0);
    auto deployments = bus::Client::for_path(device.runtime + "/ipc_component");
    auto proposal = [](const char* deployment, int64_t timeout_ms) {
        return Map{{"component_name", "com.example.A"},
                   {"deployment_id", deployment},
                   {"configuration", Map{{"port", int64_t{8080}}}},
                   {"timeout_ms", timeout_ms}};
    };

    // Nobody reports: TIMED_OUT once timeout_ms passed; a late report is refused.
    auto silent = deployments.call("validate_configuration", proposal("dep-1", 200));
    REQUIRE(silent.ok());
    CHECK(string_field(*silent, "status") == "TIMED_OUT");
    Message event = a.next_on(stream);
    REQUIRE(string_header(event, "service-model-type") == "aws.greengrass#ValidateConfigurationUpdateEvents");
    Object event_body = body_of(event);
    const Object* update = find_field(event_body, "validateConfigurationUpdateEvent");
    REQUIRE(update != nullptr);
    CHECK(string_field(*update, "componentName") == "com.example.A");
    CHECK(string_field(*update, "deploymentId") == "dep-1");
    CHECK(to_json(*find_field(*update, "configuration")) == "{\"port\":8080}");
    Message late = a.call("SendConfigurationValidityReport",
                          "{\"configurationValidityReport\":{\"status\":\"ACCEPTED\",\"deploymentId\":\"dep-1\"}}");
    CHECK(string_header(late, "service-model-type") == "aws.greengrass#InvalidArgumentsError");

    // The deployment waits (pipelined) while the component reports; a bad status is refused.
    auto id = deployments.send(bus::Op::Call, "validate_configuration", proposal("dep-2", 10000));
    REQUIRE(id.ok());
    REQUIRE(deployments.flush().ok());
    Message second = a.next_on(stream);
    Object second_body = body_of(second);
    const Object* second_update = find_field(second_body, "validateConfigurationUpdateEvent");
    REQUIRE(second_update != nullptr);
    CHECK(string_field(*second_update, "deploymentId") == "dep-2");
    Message bad = a.call("SendConfigurationValidityReport",
                         "{\"configurationValidityReport\":{\"status\":\"MAYBE\",\"deploymentId\":\"dep-2\"}}");
    CHECK(string_header(bad, "service-model-type") == "aws.greengrass#InvalidArgumentsError");
    Message reported = a.call("SendConfigurationValidityReport",
                              "{\"configurationValidityReport\":{\"status\":\"REJECTED\",\"deploymentId\":\"dep-2\","
                              "\"message\":\"port 8080 is taken\"}}");
    CHECK(string_header(reported, "service-model-type") == "aws.greengrass#SendConfigurationValidityReportResponse");
    auto answer = deployments.receive(5000ms);
    REQUIRE(answer.ok());
    CHECK(answer->id == *id);
    CHECK(string_field(answer->value, "status") == "REJECTED");
    CHECK(string_field(answer->value, "message") == "port 8080 is taken");

    // Once the client ends its stream, the component has no subscriber.
    a.send(rpc(kApplicationMessage, kTerminate, stream));
    a.call("ValidateAuthorizationToken", "{\"token\":\"x\"}"); // the terminate has been read
    auto nobody = deployments.call("validate_configuration", proposal("dep-3", 10000));
    REQUIRE(nobody.ok());
    CHECK(string_field(*nobody, "status") == "NO_SUBSCRIBER");
}

TEST_CASE("an unknown operation answers ServiceError and ends its stream") {
    Device device;
    IpcClient client(device.socket);
    client.connect(kToken);
    Message reply = client.call("NoSuchOperation", "{}");
    CHECK(int_header(reply, ":message-type") == kApplicationError);
    CHECK((int_header(reply, ":message-flags") & kTerminate) == kTerminate);
    CHECK(string_header(reply, "service-model-type") == "aws.greengrass#ServiceError");
    Object body = body_of(reply);
    CHECK(string_field(body, "_errorCode") == "ServiceError");
    CHECK(string_field(body, "message").find("aws.greengrass#NoSuchOperation is not supported") != std::string::npos);
    // The connection stays usable.
    client.send(rpc(kPing, 0, 0));
    auto pong = client.receive();
    REQUIRE(pong.has_value());
    CHECK(int_header(*pong, ":message-type") == kPingResponse);
}

TEST_CASE("a request body that is not a JSON object is InvalidArgumentsError") {
    Device device;
    IpcClient client(device.socket);
    client.connect(kToken);
    Message reply = client.call("GetConfiguration", "[1,2");
    CHECK(string_header(reply, "service-model-type") == "aws.greengrass#InvalidArgumentsError");
}

TEST_CASE("a frame with a bad CRC gets a protocol error and the connection closes") {
    Device device;
    IpcClient client(device.socket);
    client.connect(kToken);
    std::string bytes;
    REQUIRE(append_message(bytes, rpc(kPing, 0, 0)).ok());
    bytes[bytes.size() - 1] ^= 0x55;
    client.send_raw(bytes);
    auto reply = client.receive();
    REQUIRE(reply.has_value());
    CHECK(int_header(*reply, ":message-type") == kProtocolError);
    CHECK(reply->payload.find("message CRC") != std::string::npos);
    CHECK(client.closed_within(2000ms));
}

TEST_CASE("an operation whose bus service is not running answers ServiceError naming it") {
    Device device; // no ggconfigd, no aws_iot_mqtt
    IpcClient client(device.socket);
    client.connect(kToken);
    Message reply = client.call("GetConfiguration", "{\"keyPath\":[\"a\"]}");
    CHECK(string_header(reply, "service-model-type") == "aws.greengrass#ServiceError");
    CHECK(string_field(body_of(reply), "message").find("gg_config is not running") != std::string::npos);
}

TEST_CASE("PublishToIoTCore without iotcored answers ServiceError naming aws_iot_mqtt") {
    Device device(true);
    device.set_access_control("com.example.A",
                              R"({"aws.greengrass.ipc.mqttproxy":{"m":{"operations":["*"],"resources":["t/#"]}}})");
    IpcClient client(device.socket);
    client.connect(kToken);
    Message iot = client.call("PublishToIoTCore", "{\"topicName\":\"t/1\",\"qos\":\"0\",\"payload\":\"aGk=\"}");
    CHECK(string_header(iot, "service-model-type") == "aws.greengrass#ServiceError");
    CHECK(string_field(body_of(iot), "message").find("aws_iot_mqtt") != std::string::npos);
    Message subscribe = client.call("SubscribeToIoTCore", "{\"topicName\":\"t/+\",\"qos\":\"1\"}");
    CHECK(string_header(subscribe, "service-model-type") == "aws.greengrass#ServiceError");
}

TEST_CASE("a client that never reads does not stall another") {
    Device device;
    IpcClient slow(device.socket);
    slow.connect(kToken);
    // Pings whose answers slow never reads, until its socket buffer is full both ways.
    std::string pings;
    for (int i = 0; i < 4096; ++i) REQUIRE(append_message(pings, rpc(kPing, 0, 0)).ok());
    ::fcntl(slow.fd(), F_SETFL, O_NONBLOCK);
    size_t written = 0;
    auto until = std::chrono::steady_clock::now() + 5s;
    auto last_progress = std::chrono::steady_clock::now();
    // Until ggipcd has taken nothing more for 300 ms: it stopped reading slow.
    while (std::chrono::steady_clock::now() < until && std::chrono::steady_clock::now() - last_progress < 300ms) {
        ssize_t n = ::send(slow.fd(), pings.data(), pings.size(), MSG_NOSIGNAL);
        if (n > 0) {
            written += static_cast<size_t>(n);
            last_progress = std::chrono::steady_clock::now();
        } else {
            ::usleep(1000);
        }
    }
    // Far more answers than the socket buffers between ggipcd and slow can hold: a
    // blocking write to slow would hang ggipcd from here on.
    CHECK(written > (256u << 10));
    IpcClient fast(device.socket);
    auto started = std::chrono::steady_clock::now();
    CHECK((int_header(fast.connect(kTokenB), ":message-flags") & kAccepted) == kAccepted);
    fast.send(rpc(kPing, 0, 0));
    auto pong = fast.receive(2000ms);
    REQUIRE(pong.has_value());
    CHECK(int_header(*pong, ":message-type") == kPingResponse);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    // slow is still served once it reads: its answers were queued, not dropped.
    auto late = slow.receive(2000ms);
    REQUIRE(late.has_value());
    CHECK(int_header(*late, ":message-type") == kPingResponse);
}

TEST_CASE("three hundred clients connected at once are all served") {
    Device device;
    std::vector<std::unique_ptr<IpcClient>> clients;
    for (int i = 0; i < 300; ++i) {
        clients.push_back(std::make_unique<IpcClient>(device.socket));
        Message connect = rpc(kConnect, 0, 0);
        connect.headers.push_back(Header::string(":version", "0.1.0"));
        connect.payload = std::string("{\"authToken\":\"") + (i % 2 ? kToken : kTokenB) + "\"}";
        clients.back()->send(connect);
    }
    for (auto& client : clients) client->send(rpc(kPing, 0, 0));
    size_t accepted = 0;
    size_t pongs = 0;
    for (auto& client : clients) {
        auto ack = client->receive();
        if (ack && (int_header(*ack, ":message-flags") & kAccepted)) ++accepted;
        auto pong = client->receive();
        if (pong && int_header(*pong, ":message-type") == kPingResponse) ++pongs;
    }
    CHECK(accepted == 300);
    CHECK(pongs == 300);
}

TEST_CASE("configuration operations through a real ggconfigd") {
    Device device(true);
    IpcClient a(device.socket);
    a.connect(kToken);

    Message updated =
        a.call("UpdateConfiguration",
               "{\"keyPath\":[],\"timestamp\":1700000000.5,\"valueToMerge\":{\"mode\":\"fast\",\"limits\":{\"n\":3}}}");
    REQUIRE(string_header(updated, "service-model-type") == "aws.greengrass#UpdateConfigurationResponse");
    CHECK((int_header(updated, ":message-flags") & kTerminate) == kTerminate);

    SECTION("a leaf comes back wrapped in its key") {
        Message got = a.call("GetConfiguration", "{\"keyPath\":[\"mode\"]}");
        REQUIRE(string_header(got, "service-model-type") == "aws.greengrass#GetConfigurationResponse");
        Object body = body_of(got);
        CHECK(string_field(body, "componentName") == "com.example.A");
        CHECK(to_json(*find_field(body, "value")) == "{\"mode\":\"fast\"}");
    }
    SECTION("a map comes back as it is, and another component's can be read") {
        IpcClient b(device.socket);
        b.connect(kTokenB);
        Object body =
            body_of(b.call("GetConfiguration", "{\"componentName\":\"com.example.A\",\"keyPath\":[\"limits\"]}"));
        CHECK(to_json(*find_field(body, "value")) == "{\"n\":3}");
    }
    SECTION("a missing key is ResourceNotFoundError") {
        Message got = a.call("GetConfiguration", "{\"keyPath\":[\"absent\"]}");
        CHECK(string_header(got, "service-model-type") == "aws.greengrass#ResourceNotFoundError");
    }
    SECTION("an older timestamp fails with FailedUpdateConditionCheckError and writes nothing") {
        Message refused =
            a.call("UpdateConfiguration",
                   "{\"keyPath\":[],\"timestamp\":1600000000,\"valueToMerge\":{\"mode\":\"old\",\"new\":1}}");
        CHECK(string_header(refused, "service-model-type") == "aws.greengrass#FailedUpdateConditionCheckError");
        CHECK_THAT(string_field(body_of(refused), "message"), Catch::Contains("mode"));
        Object body = body_of(a.call("GetConfiguration", "{\"keyPath\":[\"mode\"]}"));
        CHECK(to_json(*find_field(body, "value")) == "{\"mode\":\"fast\"}");
        Message absent = a.call("GetConfiguration", "{\"keyPath\":[\"new\"]}");
        CHECK(string_header(absent, "service-model-type") == "aws.greengrass#ResourceNotFoundError");
    }
    SECTION("accessControl cannot be changed over IPC") {
        Message refused = a.call("UpdateConfiguration",
                                 "{\"keyPath\":[],\"timestamp\":1800000000,\"valueToMerge\":{\"accessControl\":{}}}");
        CHECK(string_header(refused, "service-model-type") == "aws.greengrass#InvalidArgumentsError");
    }
    SECTION("a subscriber hears the change with its key path") {
        int32_t stream = a.start("SubscribeToConfigurationUpdate", "{\"keyPath\":[\"limits\"]}");
        Message accepted = a.next_on(stream);
        REQUIRE(string_header(accepted, "service-model-type") ==
                "aws.greengrass#SubscribeToConfigurationUpdateResponse");
        CHECK((int_header(accepted, ":message-flags") & kTerminate) == 0);
        IpcClient b(device.socket);
        b.connect(kTokenB);
        // B cannot write A's configuration: UpdateConfiguration writes the caller's own.
        a.call("UpdateConfiguration", "{\"keyPath\":[\"limits\"],\"timestamp\":1800000000,\"valueToMerge\":{\"n\":4}}");
        Message event = a.next_on(stream);
        REQUIRE(string_header(event, "service-model-type") == "aws.greengrass#ConfigurationUpdateEvents");
        Object body = body_of(event);
        const Object* update = find_field(body, "configurationUpdateEvent");
        REQUIRE(update != nullptr);
        CHECK(string_field(*update, "componentName") == "com.example.A");
        CHECK(to_json(*find_field(*update, "keyPath")) == "[\"limits\",\"n\"]");
        // The client ends the stream; the connection goes on.
        a.send(rpc(kApplicationMessage, kTerminate, stream));
        a.send(rpc(kPing, 0, 0));
        auto pong = a.receive();
        REQUIRE(pong.has_value());
        CHECK(int_header(*pong, ":message-type") == kPingResponse);
    }
}

#ifdef GGL_PUBSUBD_EXE
// Components A and B connected to a device with ggpubsubd, both allowed sensors/*, and B
// subscribed to filter on stream.
struct PubsubPair {
    Device device{true};
    IpcClient a{device.socket};
    IpcClient b{device.socket};
    int32_t stream = 0;

    explicit PubsubPair(const std::string& filter) {
        device.set_access_control("com.example.A", kPubsubPolicy);
        device.set_access_control("com.example.B", kPubsubPolicy);
        a.connect(kToken);
        b.connect(kTokenB);
        stream = b.start("SubscribeToTopic", "{\"topic\":\"" + filter + "\"}");
        REQUIRE(string_header(b.next_on(stream), "service-model-type") == "aws.greengrass#SubscribeToTopicResponse");
    }
};

TEST_CASE("publish and subscribe between two components through a real ggpubsubd") {
    PubsubPair pair("sensors/+/temp");
    IpcClient& a = pair.a;
    IpcClient& b = pair.b;
    int32_t stream = pair.stream;

    Message published =
        a.call("PublishToTopic",
               "{\"topic\":\"sensors/1/temp\",\"publishMessage\":{\"jsonMessage\":{\"message\":{\"c\":21}}}}");
    CHECK(string_header(published, "service-model-type") == "aws.greengrass#PublishToTopicResponse");
    Message json = b.next_on(stream);
    REQUIRE(string_header(json, "service-model-type") == "aws.greengrass#SubscriptionResponseMessage");
    Object body = body_of(json);
    CHECK(to_json(body) == "{\"jsonMessage\":{\"message\":{\"c\":21},\"context\":{\"topic\":\"sensors/1/temp\"}}}");

    std::string binary = std::string("\x00\xff\x10", 3);
    a.call("PublishToTopic", "{\"topic\":\"sensors/2/temp\",\"publishMessage\":{\"binaryMessage\":{\"message\":\"" +
                                 base64_encode(binary) + "\"}}}");
    Object bin = body_of(b.next_on(stream));
    const Object* message = find_field(bin, "binaryMessage");
    REQUIRE(message != nullptr);
    CHECK(base64_decode(string_field(*message, "message")) == binary);

    // A wildcard subscriber does not hear itself by default (RECEIVE_MESSAGES_FROM_OTHERS).
    b.call("PublishToTopic", "{\"topic\":\"sensors/3/temp\",\"publishMessage\":{\"jsonMessage\":{\"message\":3}}}");
    a.call("PublishToTopic", "{\"topic\":\"sensors/4/temp\",\"publishMessage\":{\"jsonMessage\":{\"message\":4}}}");
    Object next = body_of(b.next_on(stream));
    CHECK(to_json(*find_field(*find_field(next, "jsonMessage"), "message")) == "4");
}

TEST_CASE("a burst of pipelined publishes reaches a subscriber that reads late, whole and in order") {
    PubsubPair pair("sensors/burst");
    IpcClient& a = pair.a;
    IpcClient& b = pair.b;
    int32_t stream = pair.stream;

    // Every request in one write: ggipcd batches its answers and events, and its writes to
    // b, which reads only afterwards, fall short of what it has queued many times over.
    constexpr int kBurst = 2000;
    const std::string padding(200, 'x');
    std::string burst;
    for (int i = 1; i <= kBurst; ++i) {
        Message request = rpc(kApplicationMessage, 0, i);
        request.headers.push_back(Header::string("operation", "aws.greengrass#PublishToTopic"));
        request.headers.push_back(Header::string(":content-type", "application/json"));
        request.payload = "{\"topic\":\"sensors/burst\",\"publishMessage\":{\"jsonMessage\":{\"message\":{\"n\":" +
                          std::to_string(i) + ",\"pad\":\"" + padding + "\"}}}}";
        REQUIRE(append_message(burst, request).ok());
    }
    a.send_raw(burst);
    for (int i = 1; i <= kBurst; ++i) {
        auto answer = a.receive();
        REQUIRE(answer.has_value());
        REQUIRE(int_header(*answer, ":stream-id") == i);
        REQUIRE(string_header(*answer, "service-model-type") == "aws.greengrass#PublishToTopicResponse");
    }
    for (int i = 1; i <= kBurst; ++i) {
        Object body = body_of(b.next_on(stream));
        const Object* message = find_field(*find_field(body, "jsonMessage"), "message");
        REQUIRE(message != nullptr);
        REQUIRE(int_field(*message, "n") == i);
        REQUIRE(string_field(*message, "pad") == padding);
    }
}

TEST_CASE("accessControl decides who may publish, and a change of policy takes effect") {
    Device device(true);
    IpcClient a(device.socket);
    a.connect(kToken);
    const char* publish = "{\"topic\":\"sensors/1/temp\",\"publishMessage\":{\"jsonMessage\":{\"message\":1}}}";

    Message denied = a.call("PublishToTopic", publish);
    CHECK(string_header(denied, "service-model-type") == "aws.greengrass#UnauthorizedError");
    CHECK(string_field(body_of(denied), "message").find("com.example.A") != std::string::npos);
    std::string log = device.ipcd_log();
    CHECK(log.find("denied aws.greengrass#PublishToTopic for com.example.A on resource \"sensors/1/temp\"") !=
          std::string::npos);

    device.set_access_control("com.example.A", kPubsubPolicy);
    Message allowed = a.call("PublishToTopic", publish);
    CHECK(string_header(allowed, "service-model-type") == "aws.greengrass#PublishToTopicResponse");
    // Outside the policy's resources.
    Message other = a.call("PublishToTopic", "{\"topic\":\"actuators/1\",\"publishMessage\":{\"jsonMessage\":{}}}");
    CHECK(string_header(other, "service-model-type") == "aws.greengrass#UnauthorizedError");

    device.set_access_control("com.example.A", "null");
    Message revoked;
    // The change reaches ggipcd as a gg_config event; allow it a moment to arrive.
    for (int attempt = 0; attempt < 50; ++attempt) {
        revoked = a.call("PublishToTopic", publish);
        if (string_header(revoked, "service-model-type") == "aws.greengrass#UnauthorizedError") break;
        ::usleep(20000);
    }
    CHECK(string_header(revoked, "service-model-type") == "aws.greengrass#UnauthorizedError");
}

TEST_CASE("{iot:thingName} in a policy's resources is the device's thing name") {
    Device device(true);
    {
        auto client = bus::Client::for_path(device.runtime + "/gg_config");
        REQUIRE(client
                    .call("write",
                          Map{{"key_path", List{Object("system"), Object("thingName")}}, {"value", Object("dev-7")}})
                    .ok());
    }
    device.set_access_control(
        "com.example.A",
        R"({"aws.greengrass.ipc.pubsub":{"p1":{"operations":["*"],"resources":["things/{iot:thingName}/*"]}}})");
    IpcClient a(device.socket);
    a.connect(kToken);
    Message own =
        a.call("PublishToTopic", "{\"topic\":\"things/dev-7/state\",\"publishMessage\":{\"jsonMessage\":{}}}");
    CHECK(string_header(own, "service-model-type") == "aws.greengrass#PublishToTopicResponse");
    Message other =
        a.call("PublishToTopic", "{\"topic\":\"things/dev-8/state\",\"publishMessage\":{\"jsonMessage\":{}}}");
    CHECK(string_header(other, "service-model-type") == "aws.greengrass#UnauthorizedError");
}
#endif
