// ggpubsubd end to end: the real daemon over its real socket. JSON and binary messages,
// wildcard filters, receive modes, refusals, and fan-out that does not wait for a
// subscriber that stopped reading.
#include "process.hpp"

#include "ggl/bus_client.hpp"

#include <catch2/catch.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace ggl;
using namespace ggl::testing;
using namespace std::chrono_literals;

namespace {

struct Daemon {
    TempDir dir{"ggl-pubsub"};
    std::string runtime = dir.path() + "/run";
    std::string log = dir.path() + "/ggpubsubd.log";
    std::string socket = runtime + "/gg_pubsub";
    std::unique_ptr<Process> process;

    explicit Daemon(std::vector<std::string> args = {}) {
        std::filesystem::create_directories(runtime);
        ProcessOptions options;
        options.env["GGL_RUNTIME_DIR"] = runtime;
        options.stderr_file = log;
        args.insert(args.begin(), GGL_PUBSUBD_EXE);
        process = std::make_unique<Process>(std::move(args), options);
        for (int attempt = 0; attempt < 1000; ++attempt) {
            if (socket_accepts(socket)) {
                return;
            }
            if (process->exited()) {
                throw std::runtime_error("ggpubsubd exited at start; its log:\n" + read_file(log));
            }
            ::usleep(10000);
        }
        throw std::runtime_error("ggpubsubd did not serve within 10 s; its log:\n" + read_file(log));
    }
    ~Daemon() {
        process->signal(SIGTERM);
        Finished finished = process->finish();
        // A clean stop: under the sanitizers, a leak or error report makes it non-zero.
        INFO("ggpubsubd's log:\n" << read_file(log));
        CHECK(finished.exit_code == 0);
    }
    bus::Client client() const { return bus::Client::for_path(socket); }
};

Map json_message(Object value) { return Map{{"json", std::move(value)}}; }

Result<Object> publish(bus::Client& client, const std::string& topic, Map message, std::string sender = {}) {
    Map params{{"topic", topic}, {"message", std::move(message)}};
    if (!sender.empty()) {
        params.set("sender", sender);
    }
    return client.call("publish", std::move(params));
}

// A subscription on its own connection, accepted before the constructor returns.
struct Subscriber {
    bus::Client client;
    uint64_t id = 0;

    Subscriber(const Daemon& daemon, Map params) : client(daemon.client()) {
        auto sent = client.send(bus::Op::Subscribe, "subscribe", std::move(params));
        REQUIRE(sent.ok());
        id = *sent;
        auto reply = client.receive(5000ms);
        REQUIRE(reply.ok());
        INFO(reply->error.to_string());
        REQUIRE(reply->kind == bus::ReplyKind::Accepted);
    }
    // The next event; fails the test when none comes in time.
    Object next(std::chrono::milliseconds timeout = 5000ms) {
        auto reply = client.receive(timeout);
        INFO((reply ? std::string() : reply.error().to_string()));
        REQUIRE(reply.ok());
        REQUIRE(reply->kind == bus::ReplyKind::Event);
        return reply->value;
    }
    // True when no event arrives within the time given.
    bool quiet(std::chrono::milliseconds timeout = 300ms) {
        auto readable = client.wait_readable(timeout);
        return readable.ok() && !*readable;
    }
};

Map filter(const std::string& topic_filter) { return Map{{"topic_filter", topic_filter}}; }

Error subscribe_error(const Daemon& daemon, Map params) {
    bus::Client client = daemon.client();
    auto sent = client.send(bus::Op::Subscribe, "subscribe", std::move(params));
    REQUIRE(sent.ok());
    auto reply = client.receive(5000ms);
    REQUIRE(reply.ok());
    REQUIRE(reply->kind == bus::ReplyKind::Error);
    return reply->error;
}

const Map* subscription_stats(const Object& stats, const std::string& topic_filter, const std::string& name) {
    const Object* list = find_field(stats, "subscriptions");
    REQUIRE(list != nullptr);
    for (const Object& entry : list->as_list()) {
        if (string_field(entry, "topic_filter") == topic_filter && string_field(entry, "subscriber") == name) {
            return &entry.as_map();
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("JSON and binary messages reach the subscriptions whose filters match") {
    Daemon daemon;
    Subscriber exact(daemon, filter("home/kitchen/temperature"));
    Subscriber one_level(daemon, filter("home/+/temperature"));
    Subscriber rest(daemon, filter("home/#"));
    Subscriber other(daemon, filter("garden/#"));
    bus::Client publisher = daemon.client();

    Map reading{{"celsius", 21.5}, {"sensor", "k1"}, {"tags", List{"a", "b"}}};
    REQUIRE(publish(publisher, "home/kitchen/temperature", json_message(reading), "com.example.Sensor").ok());
    std::string blob("\x00\x01\xff binary\n", 11);
    REQUIRE(publish(publisher, "home/kitchen/temperature", Map{{"binary", Bytes{blob}}}).ok());
    REQUIRE(publish(publisher, "home/hall/light", json_message("on")).ok());

    for (Subscriber* s : {&exact, &one_level, &rest}) {
        Object first = s->next();
        CHECK(string_field(first, "topic") == "home/kitchen/temperature");
        CHECK(*find_field(first, "message") == Object(json_message(reading)));
        CHECK(string_field(first, "sender") == "com.example.Sensor");
        Object second = s->next();
        const Object* binary = find_field(*find_field(second, "message"), "binary");
        REQUIRE(binary != nullptr);
        CHECK(binary->is_bytes()); // msgpack bin, not str
        CHECK(binary->as_bytes().data == blob);
        CHECK(find_field(second, "sender") == nullptr);
    }
    Object light = rest.next();
    CHECK(string_field(light, "topic") == "home/hall/light");
    CHECK(*find_field(light, "message") == Object(json_message("on")));
    CHECK(exact.quiet());
    CHECK(one_level.quiet());
    CHECK(other.quiet());

    // "home/#" also matches "home" itself; "#" matches everything.
    Subscriber everything(daemon, filter("#"));
    REQUIRE(publish(publisher, "home", json_message(nullptr)).ok());
    CHECK(string_field(rest.next(), "topic") == "home");
    CHECK(string_field(everything.next(), "topic") == "home");
}

TEST_CASE("RECEIVE_MESSAGES_FROM_OTHERS skips the subscriber's own messages") {
    Daemon daemon;
    Subscriber others(daemon, Map{{"topic_filter", "chat/#"},
                                  {"receive_mode", "RECEIVE_MESSAGES_FROM_OTHERS"},
                                  {"subscriber", "com.example.A"}});
    Subscriber all(
        daemon,
        Map{{"topic_filter", "chat/#"}, {"receive_mode", "RECEIVE_ALL_MESSAGES"}, {"subscriber", "com.example.A"}});
    bus::Client publisher = daemon.client();
    REQUIRE(publish(publisher, "chat/1", json_message("from A"), "com.example.A").ok());
    REQUIRE(publish(publisher, "chat/1", json_message("from B"), "com.example.B").ok());
    REQUIRE(publish(publisher, "chat/1", json_message("from nobody")).ok());

    CHECK(*find_field(*find_field(others.next(), "message"), "json") == Object("from B"));
    CHECK(*find_field(*find_field(others.next(), "message"), "json") == Object("from nobody"));
    CHECK(others.quiet());
    CHECK(*find_field(*find_field(all.next(), "message"), "json") == Object("from A"));
    CHECK(*find_field(*find_field(all.next(), "message"), "json") == Object("from B"));
    CHECK(*find_field(*find_field(all.next(), "message"), "json") == Object("from nobody"));
}

TEST_CASE("bad topics, filters, modes and messages are refused with the reason") {
    Daemon daemon;
    bus::Client client = daemon.client();
    auto expect_invalid = [](const Result<Object>& result, const std::string& text) {
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == ErrorCode::Invalid);
        CHECK_THAT(result.error().message, Catch::Contains(text));
    };
    expect_invalid(publish(client, "a/+/c", json_message(1)), "contains the wildcard '+'");
    expect_invalid(publish(client, "", json_message(1)), "topic is empty");
    expect_invalid(publish(client, std::string(70000, 'a'), json_message(1)), "the limit is 65535");
    expect_invalid(publish(client, "a", Map{}), "exactly one key");
    expect_invalid(publish(client, "a", Map{{"json", 1}, {"binary", Bytes{"x"}}}), "exactly one key");
    expect_invalid(publish(client, "a", Map{{"text", "x"}}), "exactly one key");
    expect_invalid(publish(client, "a", Map{{"binary", 5}}), "message.binary must be bytes");
    expect_invalid(client.call("publish", Map{{"message", json_message(1)}}), "missing required param \"topic\"");

    Error e = subscribe_error(daemon, filter("a/#/c"));
    CHECK(e.code == ErrorCode::Invalid);
    CHECK_THAT(e.message, Catch::Contains("'#' must be the last level"));
    e = subscribe_error(daemon, filter("a/b+"));
    CHECK_THAT(e.message, Catch::Contains("'+' must fill a whole level"));
    e = subscribe_error(daemon, Map{{"topic_filter", "a"}, {"receive_mode", "SOMETIMES"}});
    CHECK_THAT(e.message, Catch::Contains("receive_mode must be RECEIVE_ALL_MESSAGES or RECEIVE_MESSAGES_FROM_OTHERS"));
    e = subscribe_error(daemon, Map{{"topic_filter", "a"}, {"receive_mode", "RECEIVE_MESSAGES_FROM_OTHERS"}});
    CHECK_THAT(e.message, Catch::Contains("needs \"subscriber\""));

    // The daemon still serves after all that.
    auto described = client.call("ggl.describe", Map{});
    REQUIRE(described.ok());
    CHECK(string_field(*described, "service") == "gg_pubsub");
}

TEST_CASE("subscriptions end when cancelled or when their client goes away") {
    Daemon daemon;
    bus::Client control = daemon.client();
    auto count = [&] {
        auto stats = control.call("stats", Map{});
        REQUIRE(stats.ok());
        return find_field(*stats, "subscriptions")->as_list().size();
    };
    {
        Subscriber gone(daemon, filter("x"));
        Subscriber cancelled(daemon, filter("x"));
        CHECK(count() == 2);
        REQUIRE(cancelled.client.cancel(cancelled.id).ok());
        REQUIRE(cancelled.client.flush().ok());
        auto end = cancelled.client.receive(5000ms);
        REQUIRE(end.ok());
        CHECK(end->kind == bus::ReplyKind::End);
        CHECK(count() == 1);
    }
    // The client closed its connection; the daemon notices on its next loop turn.
    for (int i = 0; i < 100 && count() != 0; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    CHECK(count() == 0);
    REQUIRE(publish(control, "x", json_message(1)).ok());
}

TEST_CASE("a subscriber that stops reading loses messages while the others get every one") {
    Daemon daemon; // default queue: 1000 messages
    constexpr int kMessages = 10000;
    Subscriber stalled(daemon, Map{{"topic_filter", "load/#"}, {"subscriber", "com.example.Stalled"}});
    Subscriber reader(daemon, Map{{"topic_filter", "load/+"}, {"subscriber", "com.example.Reader"}});

    // The reader reads on its own thread, checking order as it goes.
    std::atomic<int> received{0};
    bool in_order = true;
    std::thread reading([&] {
        while (received < kMessages) {
            auto reply = reader.client.receive(10000ms);
            if (!reply || reply->kind != bus::ReplyKind::Event) {
                return;
            }
            const Object* json = find_field(*find_field(reply->value, "message"), "json");
            in_order = in_order && json != nullptr && int_field(*json, "seq", -1) == received.load();
            received.fetch_add(1);
        }
    });

    // Publishes pipelined, at most 64 awaiting their answer.
    bus::Client publisher = daemon.client();
    std::string padding(200, 'p');
    int answered = 0;
    for (int seq = 0; seq < kMessages; ++seq) {
        // A reader that keeps up, even on a loaded machine: the publisher stays at most
        // 500 messages ahead of it (far less than the stalled subscriber's queue).
        for (int wait = 0; seq - received.load() > 500 && wait < 10000; ++wait) {
            std::this_thread::sleep_for(1ms);
        }
        Map params{{"topic", "load/" + std::to_string(seq % 7)},
                   {"message", json_message(Map{{"seq", seq}, {"pad", padding}})},
                   {"sender", "com.example.Publisher"}};
        REQUIRE(publisher.send(bus::Op::Call, "publish", std::move(params)).ok());
        while (publisher.in_flight() >= 64 || (seq + 1 == kMessages && publisher.in_flight() > 0)) {
            auto reply = publisher.receive(10000ms);
            REQUIRE(reply.ok());
            REQUIRE(reply->kind == bus::ReplyKind::Result);
            ++answered;
        }
    }
    CHECK(answered == kMessages);
    reading.join();
    CHECK(received == kMessages);
    CHECK(in_order);

    // Every publish was answered, so the daemon has handled them all: for the stalled
    // subscriber each message was written to its connection, queued, or dropped.
    auto stats = publisher.call("stats", Map{});
    REQUIRE(stats.ok());
    const Map* slow = subscription_stats(*stats, "load/#", "com.example.Stalled");
    const Map* fast = subscription_stats(*stats, "load/+", "com.example.Reader");
    REQUIRE(slow != nullptr);
    REQUIRE(fast != nullptr);
    CHECK(int_field(*fast, "delivered") == kMessages);
    CHECK(int_field(*fast, "dropped") == 0);
    int64_t delivered = int_field(*slow, "delivered");
    int64_t queued = int_field(*slow, "queued");
    int64_t dropped = int_field(*slow, "dropped");
    INFO("stalled: delivered " << delivered << ", queued " << queued << ", dropped " << dropped);
    CHECK(dropped > 0);
    CHECK(queued == 1000); // the queue filled up before anything was dropped
    CHECK(delivered + queued + dropped == kMessages);
    CHECK(int_field(*stats, "dropped") == dropped);
    CHECK(int_field(*stats, "published") == kMessages);
    CHECK_THAT(read_file(daemon.log), Catch::Contains("does not keep up: dropped"));

    // Reading again, the stalled subscriber gets exactly what was not dropped, in order.
    int64_t late = 0;
    int64_t last_seq = -1;
    bool late_in_order = true;
    while (late < delivered + queued) {
        auto reply = stalled.client.receive(10000ms);
        REQUIRE(reply.ok());
        REQUIRE(reply->kind == bus::ReplyKind::Event);
        int64_t seq = int_field(*find_field(*find_field(reply->value, "message"), "json"), "seq", -1);
        late_in_order = late_in_order && seq > last_seq;
        last_seq = seq;
        ++late;
    }
    CHECK(late_in_order);
    CHECK(stalled.quiet());
    auto after = publisher.call("stats", Map{});
    REQUIRE(after.ok());
    CHECK(int_field(*subscription_stats(*after, "load/#", "com.example.Stalled"), "queued") == 0);
}

TEST_CASE("the byte limit bounds a stalled subscriber's queue too") {
    Daemon daemon({"--queue-messages", "100000", "--queue-bytes", "65536"});
    constexpr int kMessages = 3000;
    Subscriber stalled(daemon, filter("big"));
    bus::Client publisher = daemon.client();
    std::string kilobyte(1024, 'k');
    for (int i = 0; i < kMessages; ++i) {
        REQUIRE(publish(publisher, "big", Map{{"binary", Bytes{kilobyte}}}).ok());
    }
    auto stats = publisher.call("stats", Map{});
    REQUIRE(stats.ok());
    const Map* slow = subscription_stats(*stats, "big", "");
    REQUIRE(slow != nullptr);
    int64_t queued = int_field(*slow, "queued");
    INFO("delivered " << int_field(*slow, "delivered") << ", queued " << queued << ", dropped "
                      << int_field(*slow, "dropped"));
    CHECK(queued > 0);
    CHECK(queued * 1024 <= 65536);
    CHECK(int_field(*slow, "dropped") > 0);
    CHECK(int_field(*slow, "delivered") + queued + int_field(*slow, "dropped") == kMessages);
}

TEST_CASE("ggpubsubd refuses bad queue limits on its command line") {
    Finished finished = run({GGL_PUBSUBD_EXE, "--queue-messages", "0"});
    CHECK(finished.exit_code != 0);
    CHECK_THAT(finished.err, Catch::Contains("--queue-messages"));
    finished = run({GGL_PUBSUBD_EXE, "--queue-bytes", "lots"});
    CHECK(finished.exit_code != 0);
    CHECK_THAT(finished.err, Catch::Contains("--queue-bytes"));
}
