// Unit tests of the bus server and client over real Unix sockets in one process.
#include "ggl/bus_client.hpp"
#include "ggl/bus_server.hpp"
#include "ggl/msgpack.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

using namespace ggl;
using namespace ggl::bus;
using namespace std::chrono_literals;

namespace {

// A gate a handler waits on until the test opens it: ordering without sleeps.
class Gate {
public:
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

std::string make_temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ggl-bus-test-XXXXXX").string();
    char* dir = ::mkdtemp(pattern.data());
    REQUIRE(dir != nullptr);
    return dir;
}

// Runs a Server on its own loop thread, like a daemon.
class TestServer {
public:
    explicit TestServer(std::string path, ServerOptions options = {}) : path_(std::move(path)) {
        server_ = std::make_unique<Server>(loop_, "test", "1.2.3", options);
        install_methods();
    }

    ~TestServer() { stop(); }

    void start() {
        auto listening = server_->listen_path(path_);
        REQUIRE(listening.ok());
        thread_ = std::thread([this] { (void)loop_.run(); });
    }

    void stop() {
        if (thread_.joinable()) {
            gate.open();
            loop_.post([this] { server_.reset(); });
            loop_.stop();
            thread_.join();
        }
        server_.reset();
    }

    // Runs fn on the loop thread and waits for its result.
    template <typename Fn>
    auto on_loop(Fn fn) {
        std::promise<decltype(fn())> promise;
        loop_.post([&] { promise.set_value(fn()); });
        return promise.get_future().get();
    }

    size_t connections() {
        return on_loop([this] { return server_->connection_count(); });
    }

    Gate gate;
    std::atomic<int> notified{0};
    std::atomic<int> cancelled{0};
    std::atomic<int> blocked_started{0};

private:
    void install_methods() {
        server_->add_call({"echo", {}, "Returns its params."},
                          [](const Call& call) -> Result<Object> { return Object{call.params()}; });
        server_->add_call({"need", {{"key_path", ParamType::List, true, "path"}}, "Needs a list."},
                          [](const Call&) -> Result<Object> { return Object{"ok"}; });
        server_->add_call({"fail", {}, "Fails."},
                          [](const Call&) -> Result<Object> { return make_error(ErrorCode::Noentry, "nothing here"); });
        server_->add_call({"count", {}, "Counts notifies."}, [this](const Call&) -> Result<Object> {
            ++notified;
            return Object{};
        });
        server_->add_call({"get_count", {}, ""}, [this](const Call&) -> Result<Object> {
            return Object{static_cast<int64_t>(notified.load())};
        });
        server_->add_call({"peer", {}, ""}, [](const Call& call) -> Result<Object> {
            return Object{
                Map{{"pid", static_cast<int64_t>(call.peer().pid)}, {"uid", static_cast<int64_t>(call.peer().uid)}}};
        });
        server_->add_call({"huge", {}, ""},
                          [](const Call&) -> Result<Object> { return Object{std::string(5u << 20, 'x')}; });
        server_->add_call({"blocked", {}, "Waits for the gate.", Dispatch::Worker},
                          [this](const Call&) -> Result<Object> {
                              ++blocked_started;
                              gate.wait();
                              return Object{"released"};
                          });
        server_->add_async_call({"forgets", {}, "Never answers."}, [](Call) {});
        // Each stream below is a function that reschedules itself. Only the pending timer
        // or callback holds it strongly, so it is freed when it stops or the loop goes away.
        server_->add_subscribe({"ticks", {}, "An event per tick until cancelled."}, [this](Subscription sub) {
            sub.on_cancel([this] { ++cancelled; });
            auto counter = std::make_shared<int>(0);
            auto tick = std::make_shared<std::function<void()>>();
            std::weak_ptr<std::function<void()>> weak_tick = tick;
            *tick = [this, sub, counter, weak_tick]() mutable {
                if (!sub.send(Map{{"n", (*counter)++}})) {
                    return;
                }
                if (auto self = weak_tick.lock()) {
                    loop_.add_timer(5ms, [self] { (*self)(); });
                }
            };
            loop_.add_timer(0ms, [tick] { (*tick)(); });
        });
        server_->add_subscribe({"stream", {{"count", ParamType::Int, true, ""}}, "count events, then end."},
                               [this](Subscription sub) {
                                   int64_t total = sub.param("count")->as_i64();
                                   auto next = std::make_shared<int64_t>(0);
                                   auto pump = std::make_shared<std::function<void()>>();
                                   std::weak_ptr<std::function<void()>> weak_pump = pump;
                                   *pump = [sub, next, total, weak_pump]() mutable {
                                       while (*next < total && sub.backlog() < (256u << 10)) {
                                           sub.send(Map{{"n", (*next)++}});
                                       }
                                       if (*next == total) {
                                           sub.end();
                                       } else if (auto self = weak_pump.lock()) {
                                           sub.when_drained([self] { (*self)(); });
                                       }
                                   };
                                   loop_.post([pump] { (*pump)(); });
                               });
        server_->add_subscribe({"flood", {}, "Events until the client is dropped."}, [this](Subscription sub) {
            sub.on_cancel([this] { ++cancelled; });
            auto pump = std::make_shared<std::function<void()>>();
            std::weak_ptr<std::function<void()>> weak_pump = pump;
            *pump = [sub, weak_pump, this]() mutable {
                for (int i = 0; i < 1000; ++i) {
                    if (!sub.send(std::string(1000, 'e'))) {
                        return;
                    }
                }
                if (auto self = weak_pump.lock()) {
                    loop_.post([self] { (*self)(); });
                }
            };
            loop_.post([pump] { (*pump)(); });
        });
        server_->add_subscribe({"fails_later", {}, "One event, then an error."}, [](Subscription sub) {
            sub.send(Object{1});
            sub.end(make_error(ErrorCode::Config, "broken"));
        });
        server_->add_subscribe({"refuses", {}, "Rejects every subscriber."},
                               [](Subscription sub) { sub.reject(make_error(ErrorCode::Unauthorized, "not you")); });
    }

    std::string path_;
    EventLoop loop_;
    std::unique_ptr<Server> server_;
    std::thread thread_;
};

UniqueFd raw_connect(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval tv{10, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void raw_send(int fd, std::string_view data) {
    REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

std::string frame(const std::string& body) {
    uint32_t n = static_cast<uint32_t>(body.size());
    std::string out{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                    static_cast<char>(n)};
    return out + body;
}

// Reads one reply frame; an empty optional when the server closed the connection.
std::optional<Reply> raw_read(int fd) {
    FrameReader reader(kDefaultMaxFrame);
    for (;;) {
        std::string_view body;
        size_t declared;
        if (reader.next(body, declared) == FrameReader::Status::Frame) {
            auto reply = decode_reply(body);
            REQUIRE(reply.ok());
            return *reply;
        }
        // Read byte by byte so nothing past this frame is consumed.
        char* area = reader.write_area(1);
        ssize_t n = ::recv(fd, area, 1, 0);
        if (n <= 0) {
            return std::nullopt;
        }
        reader.commit(1);
    }
}

struct Fixture {
    Fixture() : dir(make_temp_dir()), path(dir + "/test"), server(path) { server.start(); }
    ~Fixture() {
        server.stop();
        std::filesystem::remove_all(dir);
    }
    Client client(ClientOptions options = {}) { return Client::for_path(path, options); }

    std::string dir;
    std::string path;
    TestServer server;
};

} // namespace

TEST_CASE_METHOD(Fixture, "a call returns the handler's result") {
    auto client_ = client();
    auto result = client_.call("echo", Map{{"x", 1}, {"s", "text"}});
    REQUIRE(result.ok());
    CHECK(*result == Object(Map{{"x", 1}, {"s", "text"}}));
}

TEST_CASE_METHOD(Fixture, "a remote error arrives with its code and is marked remote") {
    auto client_ = client();
    auto result = client_.call("fail", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Noentry);
    CHECK(result.error().message == "nothing here");
    CHECK(result.error().remote);
}

TEST_CASE_METHOD(Fixture, "an unknown method is NOENTRY naming the method") {
    auto client_ = client();
    auto result = client_.call("nope", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Noentry);
    CHECK_THAT(result.error().message, Catch::Contains("nope"));
}

TEST_CASE_METHOD(Fixture, "params are checked against the method's spec before the handler runs") {
    auto client_ = client();
    auto missing = client_.call("need", {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Invalid);
    CHECK_THAT(missing.error().message, Catch::Contains("key_path"));
    auto wrong = client_.call("need", Map{{"key_path", "a/b"}});
    REQUIRE_FALSE(wrong.ok());
    CHECK_THAT(wrong.error().message, Catch::Contains("must be list"));
    CHECK(client_.call("need", Map{{"key_path", List{"a"}}}).ok());
}

TEST_CASE_METHOD(Fixture, "a handler that never answers still produces a FAILURE reply") {
    auto client_ = client();
    auto result = client_.call("forgets", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Failure);
}

TEST_CASE_METHOD(Fixture, "notifies run their handler and get no reply") {
    auto client_ = client();
    for (int i = 0; i < 5; ++i) {
        REQUIRE(client_.notify("count", {}).ok());
    }
    auto count = client_.call("get_count", {});
    REQUIRE(count.ok());
    CHECK(count->as_i64() == 5);
    CHECK(client_.in_flight() == 0);
}

TEST_CASE_METHOD(Fixture, "a subscription streams events until cancelled") {
    auto client_ = client();
    int seen = 0;
    auto ended = client_.subscribe("ticks", {}, [&](const Object& event) {
        CHECK(event.as_map().find("n")->as_i64() == seen);
        return ++seen < 5;
    });
    REQUIRE(ended.ok());
    CHECK(seen == 5);
    // The server learnt of the cancel: its on_cancel ran before the next call is served.
    CHECK(client_.call("echo", {}).ok());
    CHECK(server.cancelled.load() == 1);
}

TEST_CASE_METHOD(Fixture, "a subscription ended by failure reports the error after its events") {
    auto client_ = client();
    int seen = 0;
    auto ended = client_.subscribe("fails_later", {}, [&](const Object&) { return ++seen > 0; });
    REQUIRE_FALSE(ended.ok());
    CHECK(ended.error().code == ErrorCode::Config);
    CHECK(seen == 1);
    auto refused = client_.subscribe("refuses", {}, [](const Object&) { return true; });
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::Unauthorized);
}

TEST_CASE_METHOD(Fixture, "subscribe and call are not interchangeable") {
    auto client_ = client();
    auto wrong = client_.call("ticks", {});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == ErrorCode::Invalid);
    auto wrong2 = client_.subscribe("echo", {}, [](const Object&) { return true; });
    REQUIRE_FALSE(wrong2.ok());
    CHECK(wrong2.error().code == ErrorCode::Invalid);
}

TEST_CASE_METHOD(Fixture, "a client going away cancels its subscriptions") {
    {
        auto client_ = client();
        auto id = client_.send(Op::Subscribe, "ticks", {});
        REQUIRE(id.ok());
        auto accepted = client_.receive(5s);
        REQUIRE(accepted.ok());
        CHECK(accepted->kind == ReplyKind::Accepted);
        auto event = client_.receive(5s);
        REQUIRE(event.ok());
        CHECK(event->kind == ReplyKind::Event);
    }
    auto other = client();
    for (int i = 0; i < 200 && server.cancelled.load() == 0; ++i) {
        REQUIRE(other.call("echo", {}).ok()); // each round trip lets the server see the hang-up
        std::this_thread::sleep_for(5ms);
    }
    CHECK(server.cancelled.load() == 1);
}

TEST_CASE_METHOD(Fixture, "1000 pipelined calls on one connection are all answered by id") {
    auto client_ = client();
    std::vector<uint64_t> ids;
    for (int i = 0; i < 1000; ++i) {
        auto id = client_.send(Op::Call, "echo", Map{{"i", i}});
        REQUIRE(id.ok());
        ids.push_back(*id);
    }
    CHECK(client_.in_flight() == 1000);
    std::vector<bool> answered(1000, false);
    for (int i = 0; i < 1000; ++i) {
        auto reply = client_.receive(10s);
        REQUIRE(reply.ok());
        REQUIRE(reply->kind == ReplyKind::Result);
        int64_t index = reply->value.as_map().find("i")->as_i64();
        REQUIRE(index >= 0);
        REQUIRE(index < 1000);
        CHECK(reply->id == ids[static_cast<size_t>(index)]);
        CHECK_FALSE(answered[static_cast<size_t>(index)]);
        answered[static_cast<size_t>(index)] = true;
    }
    CHECK(client_.in_flight() == 0);
}

TEST_CASE_METHOD(Fixture, "50 concurrent clients are all served") {
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 50; ++t) {
        threads.emplace_back([&, t] {
            auto client_ = client();
            int good = 0;
            for (int i = 0; i < 100; ++i) {
                auto result = client_.call("echo", Map{{"t", t}, {"i", i}});
                if (result.ok() && *result == Object(Map{{"t", t}, {"i", i}})) {
                    ++good;
                }
            }
            if (good == 100) {
                ++ok;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(ok.load() == 50);
}

TEST_CASE_METHOD(Fixture, "a blocked handler does not stall other clients or the same connection") {
    auto slow = client();
    auto slow_id = slow.send(Op::Call, "blocked", {});
    REQUIRE(slow_id.ok());
    REQUIRE(slow.flush().ok());
    // The same connection keeps being served while its first request is blocked.
    auto echo_id = slow.send(Op::Call, "echo", Map{{"same", true}});
    REQUIRE(echo_id.ok());
    auto first = slow.receive(10s);
    REQUIRE(first.ok());
    CHECK(first->id == *echo_id);
    // And so are other clients.
    auto other = client();
    for (int i = 0; i < 10; ++i) {
        REQUIRE(other.call("echo", {}).ok());
    }
    server.gate.open();
    auto released = slow.receive(10s);
    REQUIRE(released.ok());
    CHECK(released->id == *slow_id);
    CHECK(released->value == Object("released"));
}

TEST_CASE_METHOD(Fixture, "a call that outlives its timeout fails locally with TIMEOUT") {
    auto client_ = client();
    auto result = client_.call("blocked", {}, 100ms);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Timeout);
    CHECK_FALSE(result.error().remote);
    server.gate.open();
    // The connection was reset: the late answer cannot be mistaken for a new reply.
    auto next = client_.call("echo", Map{{"after", 1}});
    REQUIRE(next.ok());
    CHECK(*next == Object(Map{{"after", 1}}));
}

TEST_CASE_METHOD(Fixture, "an oversized frame gets a RANGE error and the connection is closed") {
    auto fd = raw_connect(path);
    raw_send(fd.get(), std::string("\x7f\xff\xff\xff", 4));
    auto reply = raw_read(fd.get());
    REQUIRE(reply.has_value());
    CHECK(reply->kind == ReplyKind::Error);
    CHECK(reply->error.code == ErrorCode::Range);
    CHECK_FALSE(raw_read(fd.get()).has_value());
    auto client_ = client();
    CHECK(client_.call("echo", {}).ok());
}

TEST_CASE_METHOD(Fixture, "a request or result above the frame limit is refused, not sent") {
    auto client_ = client();
    auto too_big = client_.call("echo", Map{{"blob", std::string(5u << 20, 'x')}});
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == ErrorCode::Range);
    CHECK_FALSE(too_big.error().remote);
    auto huge = client_.call("huge", {});
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == ErrorCode::Range);
    CHECK(huge.error().remote);
    CHECK(client_.call("echo", {}).ok());
}

TEST_CASE_METHOD(Fixture, "a malformed frame gets PARSE and the connection stays usable") {
    auto fd = raw_connect(path);
    raw_send(fd.get(), frame(std::string("\xc1\xc1\xc1", 3)));
    auto reply = raw_read(fd.get());
    REQUIRE(reply.has_value());
    CHECK(reply->error.code == ErrorCode::Parse);
    raw_send(fd.get(), frame(""));
    auto empty = raw_read(fd.get());
    REQUIRE(empty.has_value());
    CHECK(empty->error.code == ErrorCode::Parse);
    raw_send(fd.get(), frame(msgpack_encode(Map{{"op", "call"}, {"id", 3}, {"method", "echo"}, {"params", Map{}}})));
    auto good = raw_read(fd.get());
    REQUIRE(good.has_value());
    CHECK(good->id == 3);
    CHECK(good->kind == ReplyKind::Result);
}

TEST_CASE("a frame left unfinished is closed after the partial-frame timeout") {
    std::string dir = make_temp_dir();
    ServerOptions options;
    options.partial_frame_timeout = 100ms;
    TestServer server(dir + "/test", options);
    server.start();
    auto fd = raw_connect(dir + "/test");
    raw_send(fd.get(), std::string("\x00\x00", 2));
    CHECK_FALSE(raw_read(fd.get()).has_value()); // closed, not hung (SO_RCVTIMEO is 10 s)
    server.stop();
    std::filesystem::remove_all(dir);
}

TEST_CASE_METHOD(Fixture, "a client vanishing mid-call leaves the server serving others") {
    {
        auto fd = raw_connect(path);
        raw_send(fd.get(), frame(msgpack_encode(Map{{"op", "call"}, {"id", 1}, {"method", "blocked"}})));
        for (int i = 0; i < 1000 && server.blocked_started.load() == 0; ++i) {
            std::this_thread::sleep_for(2ms);
        }
        REQUIRE(server.blocked_started.load() == 1);
    } // closed while its call is blocked
    server.gate.open();
    auto client_ = client();
    REQUIRE(client_.call("echo", {}).ok());
    for (int i = 0; i < 100 && server.connections() > 1; ++i) {
        std::this_thread::sleep_for(5ms);
    }
    CHECK(server.connections() == 1); // only this client is left
    CHECK(client_.call("echo", {}).ok());
}

TEST_CASE("a client holding a connection survives a server restart") {
    std::string dir = make_temp_dir();
    std::string path = dir + "/test";
    auto server = std::make_unique<TestServer>(path);
    server->start();
    auto client = Client::for_path(path);
    REQUIRE(client.call("echo", {}).ok());

    // A subscription in flight when the server goes away fails with NOCONN, not a clean end.
    auto id = client.send(Op::Subscribe, "ticks", {});
    REQUIRE(id.ok());
    auto accepted = client.receive(5s);
    REQUIRE(accepted.ok());
    REQUIRE(accepted->kind == ReplyKind::Accepted);
    server->stop();
    Result<Reply> last = client.receive(5s);
    while (last.ok()) {
        CHECK(last->kind == ReplyKind::Event);
        last = client.receive(5s);
    }
    CHECK(last.error().code == ErrorCode::Noconn);

    server = std::make_unique<TestServer>(path);
    server->start();
    auto again = client.call("echo", Map{{"back", true}});
    REQUIRE(again.ok());
    CHECK(*again == Object(Map{{"back", true}}));

    // A connection that died while idle is replaced without the caller noticing.
    server->stop();
    server = std::make_unique<TestServer>(path);
    server->start();
    auto transparent = client.call("echo", Map{{"n", 2}});
    REQUIRE(transparent.ok());
    server->stop();
    std::filesystem::remove_all(dir);
}

TEST_CASE_METHOD(Fixture, "handlers see the caller's credentials") {
    auto client_ = client();
    auto peer = client_.call("peer", {});
    REQUIRE(peer.ok());
    CHECK(peer->as_map().find("pid")->as_i64() == getpid());
    CHECK(peer->as_map().find("uid")->as_i64() == getuid());
}

TEST_CASE_METHOD(Fixture, "ggl.describe lists every method with kind and params") {
    auto client_ = client();
    auto description = client_.call("ggl.describe", {});
    REQUIRE(description.ok());
    const Map& map = description->as_map();
    CHECK(*map.find("service") == Object("test"));
    CHECK(*map.find("version") == Object("1.2.3"));
    bool found_need = false;
    bool found_ticks = false;
    for (const auto& method : map.find("methods")->as_list()) {
        const Map& m = method.as_map();
        if (*m.find("name") == Object("need")) {
            found_need = true;
            CHECK(*m.find("kind") == Object("call"));
            const Map& param = m.find("params")->as_list().at(0).as_map();
            CHECK(*param.find("name") == Object("key_path"));
            CHECK(*param.find("type") == Object("list"));
            CHECK(*param.find("required") == Object(true));
        }
        if (*m.find("name") == Object("ticks")) {
            found_ticks = true;
            CHECK(*m.find("kind") == Object("subscribe"));
        }
    }
    CHECK(found_need);
    CHECK(found_ticks);
}

TEST_CASE_METHOD(Fixture, "a large stream honours backpressure and arrives complete and in order") {
    auto client_ = client();
    int64_t expected = 0;
    auto ended = client_.subscribe("stream", Map{{"count", 100000}}, [&](const Object& event) {
        REQUIRE(event.as_map().find("n")->as_i64() == expected);
        ++expected;
        return true;
    });
    REQUIRE(ended.ok());
    CHECK(expected == 100000);
}

TEST_CASE("a subscriber that never reads is dropped instead of blocking the server") {
    std::string dir = make_temp_dir();
    ServerOptions options;
    options.max_backlog = 1u << 20;
    TestServer server(dir + "/test", options);
    server.start();
    auto reader = raw_connect(dir + "/test");
    raw_send(reader.get(), frame(msgpack_encode(Map{{"op", "subscribe"}, {"id", 1}, {"method", "flood"}})));
    auto other = Client::for_path(dir + "/test");
    for (int i = 0; i < 1000 && server.cancelled.load() == 0; ++i) {
        REQUIRE(other.call("echo", {}).ok()); // the server keeps answering meanwhile
        std::this_thread::sleep_for(10ms);
    }
    CHECK(server.connections() == 1);
    server.stop();
    std::filesystem::remove_all(dir);
}

TEST_CASE("connecting where no server listens is NOCONN naming the socket") {
    auto client = Client::for_path("/nonexistent/ggl/socket");
    auto result = client.call("echo", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::Noconn);
    CHECK_FALSE(result.error().remote);
    CHECK_THAT(result.error().message, Catch::Contains("/nonexistent/ggl/socket"));
}

TEST_CASE("a second server on a live socket is BUSY and a stale socket file is replaced") {
    std::string dir = make_temp_dir();
    std::string path = dir + "/test";
    {
        TestServer first(path);
        first.start();
        EventLoop loop;
        Server second(loop, "test", "1");
        auto listening = second.listen_path(path);
        REQUIRE_FALSE(listening.ok());
        CHECK(listening.error().code == ErrorCode::Busy);
    }
    // Leave a stale socket file behind, as a crashed daemon would.
    {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    REQUIRE(std::filesystem::exists(path));
    TestServer third(path);
    third.start();
    auto client = Client::for_path(path);
    CHECK(client.call("echo", {}).ok());
    third.stop();
    CHECK_FALSE(std::filesystem::exists(path)); // removed on close
    std::filesystem::remove_all(dir);
}
