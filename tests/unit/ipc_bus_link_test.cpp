// Unit tests of ggipcd's non-blocking bus link (daemons/ggipcd/bus_link): requests queued
// in one loop turn leave together and survive partial writes, and call timeouts, kept in
// one queue per link, fire for the calls nobody answered and for no others.
#include "bus_link.hpp"

#include "ggl/bus_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace ggl;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A bus service "link_test" on the test's own loop: "echo" answers its params, "never"
// keeps its calls unanswered until the fixture goes.
struct Fixture {
    std::string dir;
    EventLoop loop;
    std::unique_ptr<bus::Server> server;
    std::vector<bus::Call> unanswered;

    Fixture() {
        std::string pattern = std::filesystem::temp_directory_path().string() + "/ggl-link-XXXXXX";
        dir = ::mkdtemp(pattern.data());
        ::setenv("GGL_RUNTIME_DIR", dir.c_str(), 1);
        server = std::make_unique<bus::Server>(loop, "link_test", "1");
        server->add_call({"echo", {}, "params back"},
                         [](const bus::Call& call) -> Result<Object> { return Object(call.params()); });
        server->add_async_call({"never", {}, "no answer"},
                               [this](bus::Call call) { unanswered.push_back(std::move(call)); });
        REQUIRE(server->listen().ok());
    }
    ~Fixture() {
        unanswered.clear();
        server.reset();
        std::filesystem::remove_all(dir);
    }

    // Runs the loop until stop() or the guard time, whichever first.
    void run(std::chrono::milliseconds guard = 10s) {
        auto timer = loop.add_timer(guard, [this] { loop.stop(); });
        REQUIRE(loop.run().ok());
        loop.cancel_timer(timer);
    }
};

} // namespace

TEST_CASE_METHOD(Fixture, "calls made in one turn are all answered in order, though the socket takes them in parts") {
    ipc::BusLink link(loop, "link_test");
    // About 8 MiB of requests in one turn: far more than a socket buffer holds, so the
    // batched send stops short and resumes as the service reads.
    constexpr int kCalls = 2000;
    const std::string padding(4096, 'p');
    std::vector<int64_t> answered;
    loop.post([&] {
        for (int i = 0; i < kCalls; ++i) {
            link.call("echo", Map{{"n", i}, {"pad", padding}}, [&](Result<Object> result) {
                REQUIRE(result.ok());
                REQUIRE(string_field(*result, "pad") == padding);
                answered.push_back(int_field(*result, "n", -1));
                if (answered.size() == kCalls) loop.stop();
            });
        }
    });
    run();
    REQUIRE(answered.size() == kCalls);
    for (int i = 0; i < kCalls; ++i) {
        REQUIRE(answered[static_cast<size_t>(i)] == i);
    }
}

TEST_CASE_METHOD(Fixture, "only the calls nobody answers time out, each after the link's timeout") {
    ipc::BusLink link(loop, "link_test", 150ms);
    struct Outcome {
        Clock::time_point made;
        Clock::time_point done;
        ErrorCode code = ErrorCode::Ok;
        bool called = false;
    };
    std::vector<Outcome> outcomes(5);
    int pending = 5;
    auto make = [&](size_t index, const char* method) {
        outcomes[index].made = Clock::now();
        link.call(method, Map{}, [&, index](Result<Object> result) {
            outcomes[index].done = Clock::now();
            outcomes[index].code = result.ok() ? ErrorCode::Ok : result.error().code;
            outcomes[index].called = true;
            if (--pending == 0) loop.stop();
        });
    };
    loop.post([&] {
        make(0, "never");
        make(1, "echo");
        make(2, "echo");
    });
    // Later calls: an answered one, and one more that nobody answers, whose deadline
    // comes 60 ms after the first one's.
    loop.add_timer(60ms, [&] {
        make(3, "echo");
        make(4, "never");
    });
    run(5s);
    for (const Outcome& outcome : outcomes) REQUIRE(outcome.called);
    for (size_t index : {1, 2, 3}) CHECK(outcomes[index].code == ErrorCode::Ok);
    for (size_t index : {0, 4}) {
        INFO("call " << index);
        CHECK(outcomes[index].code == ErrorCode::Timeout);
        CHECK(outcomes[index].done - outcomes[index].made >= 150ms);
        CHECK(outcomes[index].done - outcomes[index].made < 2s);
    }
    CHECK(outcomes[4].done > outcomes[0].done);
}
