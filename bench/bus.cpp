// bench-bus: core bus throughput against a raw Unix-socket ping-pong of the same payload.
//
// Every figure is measured the same way in the same run: a server in a forked child
// process, the client in this one, each measurement running for a fixed time.
#include "ggl/bus_client.hpp"
#include "ggl/bus_server.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace ggl;
using namespace ggl::bus;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kPayload = 64;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

sockaddr_un address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return addr;
}

bool read_exact(int fd, char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::read(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

bool write_exact(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n <= 0) {
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// The raw baseline: blocking reads and writes of a length-prefixed 64-byte message,
// one thread per connection, no encoding at all.
[[noreturn]] void run_raw_server(const std::string& path) {
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = address(path);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 64) != 0) {
        std::perror("raw server");
        std::_Exit(1);
    }
    for (;;) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        std::thread([fd] {
            char message[4 + kPayload];
            while (read_exact(fd, message, sizeof message) && write_exact(fd, message, sizeof message)) {}
            ::close(fd);
        }).detach();
    }
}

[[noreturn]] void run_bus_server(const std::string& path) {
    EventLoop loop;
    Server server(loop, "bench", "1");
    server.add_call({"echo", {}, "Returns its params."},
                    [](const Call& call) -> Result<Object> { return Object{call.params()}; });
    server.add_subscribe({"stream", {{"count", ParamType::Int, true, ""}}, "count events, then end."},
                         [&loop](Subscription sub) {
                             int64_t total = sub.param("count")->as_i64();
                             auto next = std::make_shared<int64_t>(0);
                             // Only the pending callback holds the pump, so it is freed when done.
                             auto pump = std::make_shared<std::function<void()>>();
                             std::weak_ptr<std::function<void()>> weak_pump = pump;
                             *pump = [sub, next, total, weak_pump]() mutable {
                                 // Fill up to a bound, then wait for the socket to drain.
                                 while (*next < total && sub.backlog() < (256u << 10)) {
                                     sub.send(Map{{"n", (*next)++}});
                                 }
                                 if (*next == total) {
                                     sub.end();
                                 } else if (auto self = weak_pump.lock()) {
                                     sub.when_drained([self] { (*self)(); });
                                 }
                             };
                             loop.post([pump] { (*pump)(); });
                         });
    if (auto ok = server.listen_path(path); !ok) {
        std::fprintf(stderr, "bus server: %s\n", ok.error().to_string().c_str());
        std::_Exit(1);
    }
    (void)loop.run();
    std::_Exit(0);
}

pid_t spawn(void (*server)(const std::string&), const std::string& path) {
    pid_t pid = ::fork();
    if (pid == 0) {
        server(path);
    }
    // Wait until it accepts connections.
    for (int i = 0; i < 500; ++i) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto addr = address(path);
        bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (up) {
            return pid;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::fprintf(stderr, "server at %s did not start\n", path.c_str());
    std::exit(1);
}

double raw_ping_pong(const std::string& path, double seconds) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = address(path);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        std::exit(1);
    }
    char message[4 + kPayload] = {0, 0, 0, kPayload};
    std::memset(message + 4, 'x', kPayload);
    uint64_t count = 0;
    auto start = Clock::now();
    while (seconds_since(start) < seconds) {
        for (int i = 0; i < 256; ++i) {
            if (!write_exact(fd, message, sizeof message) || !read_exact(fd, message, sizeof message)) {
                std::exit(1);
            }
        }
        count += 256;
    }
    double rate = static_cast<double>(count) / seconds_since(start);
    ::close(fd);
    return rate;
}

Map payload_params() {
    // {"data": <64 bytes>} as the params of every call.
    return Map{{"data", Bytes{std::string(kPayload, 'x')}}};
}

void check(const Result<Object>& result) {
    if (!result) {
        std::fprintf(stderr, "call failed: %s\n", result.error().to_string().c_str());
        std::exit(1);
    }
}

double bus_one_at_a_time(const std::string& path, double seconds) {
    auto client = Client::for_path(path);
    uint64_t count = 0;
    auto start = Clock::now();
    while (seconds_since(start) < seconds) {
        for (int i = 0; i < 256; ++i) {
            check(client.call("echo", payload_params()));
        }
        count += 256;
    }
    return static_cast<double>(count) / seconds_since(start);
}

double bus_pipelined(const std::string& path, double seconds, size_t depth) {
    auto client = Client::for_path(path);
    uint64_t count = 0;
    for (size_t i = 0; i < depth; ++i) {
        (void)client.send(Op::Call, "echo", payload_params());
    }
    auto start = Clock::now();
    bool sending = true;
    while (client.in_flight() > 0) {
        auto reply = client.receive(std::chrono::seconds(10));
        if (!reply || reply->kind != ReplyKind::Result) {
            std::fprintf(stderr, "pipelined call failed\n");
            std::exit(1);
        }
        ++count;
        if (sending && (count % 256 != 0 || seconds_since(start) < seconds)) {
            (void)client.send(Op::Call, "echo", payload_params());
        } else {
            sending = false;
        }
    }
    return static_cast<double>(count) / seconds_since(start);
}

double bus_concurrent(const std::string& path, double seconds, int connections) {
    std::atomic<uint64_t> total{0};
    std::vector<std::thread> threads;
    auto start = Clock::now();
    for (int t = 0; t < connections; ++t) {
        threads.emplace_back([&] {
            auto client = Client::for_path(path);
            uint64_t count = 0;
            while (seconds_since(start) < seconds) {
                for (int i = 0; i < 64; ++i) {
                    check(client.call("echo", payload_params()));
                }
                count += 64;
            }
            total += count;
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    return static_cast<double>(total.load()) / seconds_since(start);
}

double bus_events(const std::string& path, int64_t count) {
    auto client = Client::for_path(path);
    int64_t received = 0;
    auto start = Clock::now();
    auto ended = client.subscribe("stream", Map{{"count", count}}, [&](const Object&) {
        ++received;
        return true;
    });
    double elapsed = seconds_since(start);
    if (!ended || received != count) {
        std::fprintf(stderr, "stream failed after %lld events\n", static_cast<long long>(received));
        std::exit(1);
    }
    return static_cast<double>(received) / elapsed;
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 1.0;
    int rounds = 3;
    int64_t events = 1000000;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--quick") {
            seconds = 0.3;
            events = 200000;
        } else if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (arg == "--rounds" && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: bench-bus [--quick] [--seconds S] [--rounds N]\n");
            return 2;
        }
    }
    ggl::log::set_level(ggl::log::Level::Warn);
    char pattern[] = "/tmp/ggl-bench-XXXXXX";
    std::string dir = ::mkdtemp(pattern);
    std::string raw_path = dir + "/raw";
    std::string bus_path = dir + "/bench";
    pid_t raw = spawn(run_raw_server, raw_path);
    pid_t bus = spawn(run_bus_server, bus_path);

    std::printf("bench-bus: %zu-byte payload, best of %d interleaved rounds of %.1f s, %u cores\n", kPayload, rounds,
                seconds, std::thread::hardware_concurrency());
    // Interleaved rounds, best of each: a busy machine slows whichever figure it
    // happens to overlap, and the ratios should not depend on that luck.
    double raw_rate = 0;
    double one = 0;
    double pipelined = 0;
    double concurrent = 0;
    double event_rate = 0;
    for (int round = 0; round < rounds; ++round) {
        raw_rate = std::max(raw_rate, raw_ping_pong(raw_path, seconds));
        one = std::max(one, bus_one_at_a_time(bus_path, seconds));
        pipelined = std::max(pipelined, bus_pipelined(bus_path, seconds, 64));
        concurrent = std::max(concurrent, bus_concurrent(bus_path, seconds, 8));
        event_rate = std::max(event_rate, bus_events(bus_path, events));
    }

    std::printf("%-44s %12.0f /s\n", "raw unix-socket ping-pong (one at a time)", raw_rate);
    std::printf("%-44s %12.0f /s   %.2fx raw (goal >= 0.70x)\n", "bus calls, one at a time", one, one / raw_rate);
    std::printf("%-44s %12.0f /s   %.2fx raw (goal >= 2.00x)\n", "bus calls, 64 in flight (pipelined)", pipelined,
                pipelined / raw_rate);
    std::printf("%-44s %12.0f /s   %.2fx raw\n", "bus calls, 8 connections one at a time", concurrent,
                concurrent / raw_rate);
    std::printf("%-44s %12.0f /s   (goal >= 200000)\n", "subscription events to one subscriber", event_rate);

    ::kill(raw, SIGTERM);
    ::kill(bus, SIGTERM);
    ::waitpid(raw, nullptr, 0);
    ::waitpid(bus, nullptr, 0);
    std::filesystem::remove_all(dir);
    return 0;
}
