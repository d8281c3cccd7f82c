// Unit tests of the event loop's turn hooks: before-wait work, the output flush after
// it, and callbacks run once the loop is idle.
#include "ggl/event_loop.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace ggl;
using namespace std::chrono_literals;

namespace {

// Fires every `period` until `until` after the call: a busy loop for that long.
void keep_busy(EventLoop& loop, std::chrono::milliseconds period, std::chrono::steady_clock::time_point until) {
    loop.add_timer(period, [&loop, period, until] {
        if (std::chrono::steady_clock::now() < until) {
            keep_busy(loop, period, until);
        }
    });
}

} // namespace

TEST_CASE("the output flush runs after every before-wait callback, whatever the order they were added in") {
    EventLoop loop;
    std::vector<std::string> order;
    loop.add_output_flush([&] { order.push_back("flush"); });
    loop.add_before_wait([&] { order.push_back("work"); });
    loop.post([&] { loop.stop(); });
    REQUIRE(loop.run().ok());
    REQUIRE(order.size() >= 2);
    CHECK(order[0] == "work");
    CHECK(order[1] == "flush");
}

TEST_CASE("an idle callback runs once the loop has been idle long enough, once per busy period") {
    EventLoop loop;
    std::vector<std::chrono::steady_clock::time_point> ran;
    auto start = std::chrono::steady_clock::now();
    // The idle time is 20 turns of the busy periods: a loaded machine delaying a turn
    // that long is what it would take to see the callback early.
    loop.on_idle(200ms, [&] { ran.push_back(std::chrono::steady_clock::now()); });
    // Busy for 500 ms (a turn every 10 ms), idle until 1000 ms, busy again until 1200 ms,
    // then idle until 1600 ms.
    keep_busy(loop, 10ms, start + 500ms);
    loop.add_timer(1000ms, [&] { keep_busy(loop, 10ms, start + 1200ms); });
    loop.add_timer(1600ms, [&] { loop.stop(); });
    REQUIRE(loop.run().ok());
    REQUIRE(ran.size() == 2);
    // Not while busy, and once each quiet period had lasted the idle time.
    CHECK(ran[0] - start >= 700ms);
    CHECK(ran[0] - start < 1000ms);
    CHECK(ran[1] - start >= 1400ms);
}

TEST_CASE("an idle callback runs last in its turn, after the before-wait work and the output flush") {
    EventLoop loop;
    std::vector<std::string> order;
    loop.on_idle(50ms, [&] {
        order.push_back("idle");
        loop.stop();
    });
    loop.add_before_wait([&] { order.push_back("before-wait"); });
    loop.add_output_flush([&] { order.push_back("flush"); });
    REQUIRE(loop.run().ok());
    // The turn that ran the idle check ran the hooks first, then the idle callback.
    REQUIRE(order.size() >= 3);
    CHECK(order.back() == "idle");
    CHECK(order[order.size() - 2] == "flush");
    CHECK(order[order.size() - 3] == "before-wait");
}

TEST_CASE("work that runs in the same turn as the idle check still counts as work") {
    EventLoop loop;
    auto start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point worked;
    std::chrono::steady_clock::time_point idle_ran;
    loop.on_idle(100ms, [&] {
        idle_ran = std::chrono::steady_clock::now();
        loop.stop();
    });
    // Due with the idle check armed by the first turn (both at about 100 ms): the loop
    // wakes once for both and runs them in one turn.
    loop.add_timer(100ms, [&] { worked = std::chrono::steady_clock::now(); });
    loop.add_timer(2000ms, [&] { loop.stop(); });
    REQUIRE(loop.run().ok());
    REQUIRE(idle_ran > start);
    CHECK(idle_ran - worked >= 100ms);
}
