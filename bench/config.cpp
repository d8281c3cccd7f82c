// bench-config: figures for ggconfigd over the bus (reads/s, durable writes/s, map
// writes, subscription events, `ggl config get` wall time, memory), on a temp store.
#include "ggl/bus_client.hpp"
#include "ggl/env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using namespace ggl;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kRound = std::chrono::seconds(2);

pid_t spawn(const std::vector<std::string>& argv, bool quiet = false) {
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (quiet) {
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    }
    int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        std::perror(argv[0].c_str());
        std::exit(1);
    }
    return pid;
}

// Calls per second of body, run for kRound.
double rate(const std::function<void()>& body) {
    auto start = Clock::now();
    size_t count = 0;
    while (Clock::now() - start < kRound) {
        body();
        ++count;
    }
    return count / std::chrono::duration<double>(Clock::now() - start).count();
}

void require(const Result<Object>& result, const char* what) {
    if (!result) {
        std::fprintf(stderr, "bench-config: %s: %s\n", what, result.error().to_string().c_str());
        std::exit(1);
    }
}

// PSS and RSS in KiB from smaps_rollup.
std::pair<long, long> memory_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    long pss = -1;
    long rss = -1;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("Rss:")) {
            rss = std::atol(line.c_str() + 4);
        } else if (line.starts_with("Pss:")) {
            pss = std::atol(line.c_str() + 4);
        }
    }
    return {pss, rss};
}

} // namespace

int main() {
    std::string bin = env::executable_dir() + "/../bin";
    char pattern[] = "/tmp/ggl-bench-config.XXXXXX";
    std::string dir = ::mkdtemp(pattern);
    ::setenv("GGL_RUNTIME_DIR", dir.c_str(), 1);
    ::setenv("GGL_ROOT", dir.c_str(), 1);
    ::setenv("GGL_CONFIG_DIR", (dir + "/etc").c_str(), 1);
    ::setenv("GGL_CONFIG_DB", (dir + "/config.db").c_str(), 1);
    ::setenv("GGL_LOG_LEVEL", "warn", 1);
    pid_t daemon = spawn({bin + "/ggconfigd"});

    auto client = bus::Client::for_path(dir + "/gg_config");
    for (int i = 0; i < 500 && !client.connect(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto [idle_pss, idle_rss] = memory_of(daemon);

    std::string value64(64, 'v');
    require(client.call("write", Map{{"key_path", List{"bench", "one"}}, {"value", value64}}), "write");
    std::printf("reads/s, single key, one connection:          %10.0f\n",
                rate([&] { require(client.call("read", Map{{"key_path", List{"bench", "one"}}}), "read"); }));
    size_t serial = 0;
    std::printf("durable writes/s, 64-byte value:               %10.0f\n", rate([&] {
                    require(client.call("write", Map{{"key_path", List{"bench", "one"}},
                                                     {"value", value64 + std::to_string(serial++)}}),
                            "write");
                }));

    auto map_of = [&](int leaves, size_t round) {
        Map map;
        for (int i = 0; i < leaves; ++i) {
            map.append("k" + std::to_string(i), std::to_string(round) + "-" + std::to_string(i));
        }
        return Object(std::move(map));
    };
    size_t round = 0;
    std::printf("map writes/s, 100 leaves:                      %10.0f\n", rate([&] {
                    require(client.call("write", Map{{"key_path", List{"bench", "map100"}}, {"value", map_of(100, round++)}}),
                            "map write");
                }));
    std::printf("map writes/s, 1000 leaves:                     %10.0f\n", rate([&] {
                    require(client.call("write", Map{{"key_path", List{"bench", "map1000"}}, {"value", map_of(1000, round++)}}),
                            "map write");
                }));
    std::printf("map reads/s, 1000 leaves:                      %10.0f\n",
                rate([&] { require(client.call("read", Map{{"key_path", List{"bench", "map1000"}}}), "map read"); }));

    // Subscription events: 10 subscribers on one key, each on its own connection.
    {
        constexpr int kSubscribers = 10;
        constexpr int kWrites = 2000;
        std::atomic<long> events{0};
        std::vector<std::thread> readers;
        std::atomic<int> ready{0};
        for (int s = 0; s < kSubscribers; ++s) {
            readers.emplace_back([&] {
                auto sub = bus::Client::for_path(dir + "/gg_config");
                long seen = 0;
                bool counted_ready = false;
                (void)sub.subscribe(
                    "subscribe", Map{{"key_path", List{"bench", "events"}}},
                    [&](const Object&) {
                        if (!counted_ready) {
                            counted_ready = true;
                            ++ready;
                            return true;
                        }
                        ++events;
                        return ++seen < kWrites;
                    },
                    std::chrono::milliseconds(10000));
            });
        }
        int primer = 0;
        while (ready < kSubscribers) {
            require(client.call("write", Map{{"key_path", List{"bench", "events"}}, {"value", primer++}}), "write");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        auto start = Clock::now();
        for (int i = 0; i < kWrites; ++i) {
            require(client.call("write", Map{{"key_path", List{"bench", "events"}}, {"value", -1 - i}}), "write");
        }
        for (auto& reader : readers) {
            reader.join();
        }
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf("subscription events/s delivered, 10 subscribers:%8.0f\n", events / seconds);
    }

    // 100,000 keys, written as 100 maps of 1000.
    for (int block = 0; block < 100; ++block) {
        require(client.call("write", Map{{"key_path", List{"big", "b" + std::to_string(block)}}, {"value", map_of(1000, 0)}}),
                "bulk write");
    }
    std::printf("reads/s with 100,000 keys stored:              %10.0f\n", rate([&] {
                    int i = std::rand() % 100000;
                    require(client.call("read", Map{{"key_path", List{"big", "b" + std::to_string(i / 1000),
                                                                      "k" + std::to_string(i % 1000)}}}),
                            "read");
                }));
    auto [full_pss, full_rss] = memory_of(daemon);

    // `ggl config get` wall time, process start included.
    {
        constexpr int kCalls = 50;
        auto start = Clock::now();
        for (int i = 0; i < kCalls; ++i) {
            pid_t cli = spawn({bin + "/ggl-config", "get", "bench/one"}, true);
            int status = 0;
            ::waitpid(cli, &status, 0);
        }
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / kCalls;
        std::fflush(stdout);
        std::printf("\n`ggl config get` wall time per call:          %10.2f ms\n", ms);
    }
    std::printf("ggconfigd idle:            PSS %6ld KiB  RSS %6ld KiB\n", idle_pss, idle_rss);
    std::printf("ggconfigd with 100k keys:  PSS %6ld KiB  RSS %6ld KiB\n", full_pss, full_rss);

    ::kill(daemon, SIGTERM);
    ::waitpid(daemon, nullptr, 0);
    std::filesystem::remove_all(dir);
    return 0;
}
