// bench-config: figures for ggconfigd over the bus (reads/s, durable writes/s and fsyncs
// per write, map writes and reads, subscription events, `ggl config get` wall time, PSS
// and RSS idle and with 100,000 keys), on a temp store, in one run. One-at-a-time figures
// come with the machine's floor for them: a bare socket round trip, a bare fdatasync.
//
// ggconfigd is started the way its unit starts it: socket-activated (ggconfigd.socket),
// so it binds nothing and looks up no group itself.
#include "bench_root.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

using namespace ggl;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kRound = std::chrono::milliseconds(1500);
constexpr size_t kReadDepth = 64; // requests in flight on the pipelined connection
constexpr size_t kWriteDepth = 16;
// One-page commits that fill a fresh WAL to sqlite's checkpoint threshold (1000 pages).
constexpr int kWalWarmupWrites = 1100;

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
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    }
    int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        std::fprintf(stderr, "bench-config: %s: %s\n", argv[0].c_str(), std::strerror(spawned));
        std::exit(1);
    }
    return pid;
}

// Starts ggconfigd with its listening socket passed as systemd does (LISTEN_FDS), and
// with NOTIFY_SOCKET so that its readiness is known without sending it a request.
pid_t spawn_socket_activated(const std::string& exe, const std::string& socket_path, const std::string& notify_path) {
    int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 128) != 0) {
        std::perror("bench-config: listening socket");
        std::exit(1);
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        // The bench has no threads yet, so setenv after fork is safe here.
        if (listener != 3) {
            ::dup2(listener, 3);
            ::close(listener);
        }
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        ::setenv("LISTEN_FDS", "1", 1);
        ::setenv("LISTEN_FDNAMES", "gg_config", 1);
        ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
        ::execl(exe.c_str(), exe.c_str(), static_cast<char*>(nullptr));
        std::perror(exe.c_str());
        ::_exit(127);
    }
    ::close(listener);
    return pid;
}

void require(const Result<Object>& result, const char* what) {
    if (!result) {
        std::fprintf(stderr, "bench-config: %s: %s\n", what, result.error().to_string().c_str());
        std::exit(1);
    }
}

// Calls per second, one at a time, for kRound.
double rate(const std::function<void()>& body) {
    auto start = Clock::now();
    size_t count = 0;
    while (Clock::now() - start < kRound) {
        for (int i = 0; i < 16; ++i) {
            body();
        }
        count += 16;
    }
    return count / std::chrono::duration<double>(Clock::now() - start).count();
}

// The machine's floor under one-at-a-time reads: 64-byte round trips per second between
// two processes over a Unix socket, the peer doing no work at all.
double round_trip_floor() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        return -1;
    }
    pid_t echo = ::fork();
    if (echo == 0) {
        ::close(pair[0]);
        char buffer[64];
        while (::recv(pair[1], buffer, sizeof buffer, 0) > 0) {
            if (::send(pair[1], buffer, sizeof buffer, MSG_NOSIGNAL) <= 0) {
                break;
            }
        }
        ::_exit(0);
    }
    ::close(pair[1]);
    char buffer[64] = {};
    double per_second = rate([&] {
        if (::send(pair[0], buffer, sizeof buffer, MSG_NOSIGNAL) != sizeof buffer ||
            ::recv(pair[0], buffer, sizeof buffer, MSG_WAITALL) != sizeof buffer) {
            std::fprintf(stderr, "bench-config: round trip: %s\n", std::strerror(errno));
            std::exit(1);
        }
    });
    ::close(pair[0]);
    ::waitpid(echo, nullptr, 0);
    return per_second;
}

// The machine's floor under one-at-a-time durable writes: what one commit of a WAL frame
// costs the disk, a 4 KiB write and its fdatasync, per second. In place (a WAL file at
// its working size), or appended (a WAL file that grows: the fdatasync then also
// commits the file's new size to the file system's journal).
double fdatasync_floor(const std::string& dir, bool append) {
    std::string path = dir + "/fdatasync-floor";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<char> page(4096, 'f');
    constexpr off_t kPages = 256; // a WAL-sized file, written once so later writes overwrite
    for (off_t i = 0; fd >= 0 && !append && i < kPages; ++i) {
        (void)::pwrite(fd, page.data(), page.size(), i * 4096);
    }
    if (fd < 0 || ::fdatasync(fd) != 0) {
        std::fprintf(stderr, "bench-config: %s: %s\n", path.c_str(), std::strerror(errno));
        std::exit(1);
    }
    off_t next = 0;
    double per_second = rate([&] {
        off_t page_index = append ? next++ : (next++ % kPages);
        if (::pwrite(fd, page.data(), page.size(), page_index * 4096) != 4096 || ::fdatasync(fd) != 0) {
            std::fprintf(stderr, "bench-config: %s: %s\n", path.c_str(), std::strerror(errno));
            std::exit(1);
        }
    });
    ::close(fd);
    ::unlink(path.c_str());
    return per_second;
}

// Calls per second with `depth` requests in flight on one connection, for kRound.
double pipelined_rate(bus::Client& client, size_t depth, const char* method, const std::function<Map()>& params) {
    for (size_t i = 0; i < depth; ++i) {
        if (!client.send(bus::Op::Call, method, params())) {
            std::fprintf(stderr, "bench-config: cannot send\n");
            std::exit(1);
        }
    }
    auto start = Clock::now();
    size_t count = 0;
    bool sending = true;
    while (client.in_flight() > 0) {
        auto reply = client.receive(std::chrono::seconds(10));
        if (!reply || reply->kind != bus::ReplyKind::Result) {
            std::fprintf(stderr, "bench-config: pipelined %s failed: %s\n", method,
                         reply ? reply->error.to_string().c_str() : reply.error().to_string().c_str());
            std::exit(1);
        }
        ++count;
        if (sending && (count % 64 != 0 || Clock::now() - start < kRound)) {
            (void)client.send(bus::Op::Call, method, params());
        } else {
            sending = false;
        }
    }
    return count / std::chrono::duration<double>(Clock::now() - start).count();
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

// fsync + fdatasync calls of every thread of pid while body runs, counted by strace
// (-1 when strace is not available).
long count_syncs(pid_t pid, const std::string& dir, const std::function<void()>& body) {
    if (::access("/usr/bin/strace", X_OK) != 0) {
        body();
        return -1;
    }
    std::string report = dir + "/strace.txt";
    pid_t tracer = spawn(
        {"/usr/bin/strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", report, "-p", std::to_string(pid)}, true);
    // strace attaches to every thread before it starts counting.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    body();
    ::kill(tracer, SIGINT);
    ::waitpid(tracer, nullptr, 0);
    std::ifstream in(report);
    long syncs = 0;
    for (std::string line; std::getline(in, line);) {
        // "% time  seconds  usecs/call  calls  errors  syscall": calls is the 4th column.
        if (line.find("sync") != std::string::npos && line.find("total") == std::string::npos) {
            double percent = 0;
            double seconds = 0;
            long per_call = 0;
            long calls = 0;
            if (std::sscanf(line.c_str(), "%lf %lf %ld %ld", &percent, &seconds, &per_call, &calls) == 4) {
                syncs += calls;
            }
        }
    }
    return syncs;
}

Map write_params(const std::string& key, Object value) {
    return Map{{"key_path", List{"bench", key}}, {"value", std::move(value)}};
}

} // namespace

int main() {
    std::string bin = env::executable_dir() + "/../bin";
    std::string dir = bench::make_bench_root("config");
    std::string socket_path = dir + "/gg_config";
    std::string notify_path = dir + "/notify";
    int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un notify_address{};
    notify_address.sun_family = AF_UNIX;
    std::snprintf(notify_address.sun_path, sizeof notify_address.sun_path, "%s", notify_path.c_str());
    timeval ready_timeout{10, 0};
    ::setsockopt(notify, SOL_SOCKET, SO_RCVTIMEO, &ready_timeout, sizeof ready_timeout);
    if (::bind(notify, reinterpret_cast<sockaddr*>(&notify_address), sizeof notify_address) != 0) {
        std::perror("bench-config: notify socket");
        return 1;
    }
    pid_t daemon = spawn_socket_activated(bin + "/ggconfigd", socket_path, notify_path);
    char ready_message[64] = {};
    if (::recv(notify, ready_message, sizeof ready_message - 1, 0) <= 0 ||
        std::string_view(ready_message) != "READY=1") {
        std::fprintf(stderr, "bench-config: ggconfigd did not report READY=1\n");
        return 1;
    }
    ::close(notify);
    // Idle: started, ready, no request served yet, and idle for over a second: start-up's
    // check-point is done and the idle heap trim (lib/heap) has run.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto [idle_pss, idle_rss] = memory_of(daemon);
    auto client = bus::Client::for_path(socket_path);
    require(client.call("write", Map{{"key_path", List{"bench", "warm"}}, {"value", 1}}), "write");
    require(client.call("read", Map{{"key_path", List{"bench", "warm"}}}), "read");
    require(client.call("list", Map{{"key_path", List{"bench"}}}), "list");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Idle again after serving a read, a write and a list.
    auto [served_pss, served_rss] = memory_of(daemon);
    // And once ggconfigd has been idle long enough to check-point, free its sqlite page
    // cache and trim its heap (1 s).
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    auto [rested_pss, rested_rss] = memory_of(daemon);
    // What the idle work costs the next request: the first read after the idle period
    // refills the sqlite page cache and the trimmed heap; the second runs warm. Against
    // a read after a pause too short for any idle work (0.5 s), which pays only for the
    // sleep (a cold CPU cache, a wake-up).
    auto read_us = [&] {
        auto start = Clock::now();
        require(client.call("read", Map{{"key_path", List{"bench", "warm"}}}), "read");
        return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    };
    double first_read_us = read_us();
    double warm_read_us = read_us();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    double paused_read_us = read_us();
    std::printf("bench-config: ggconfigd on %s, %u cores; 64-byte values; one connection unless said\n", dir.c_str(),
                std::thread::hardware_concurrency());

    const std::string value64(64, 'v');
    require(client.call("write", write_params("one", value64)), "write");
    std::printf("reads/s, one at a time:                            %10.0f\n", rate([&] {
                    require(client.call("read", Map{{"key_path", List{"bench", "one"}}}), "read");
                }));
    std::printf("  floor: bare 64-byte socket round trips/s:        %10.0f\n", round_trip_floor());
    std::printf("reads/s, %zu in flight:                            %10.0f\n", kReadDepth,
                pipelined_rate(client, kReadDepth, "read", [] {
                    return Map{{"key_path", List{"bench", "one"}}};
                }));

    size_t serial = 0;
    auto next_value = [&] { return Object(value64.substr(0, 56) + std::to_string(10000000 + serial++)); };
    auto write_one = [&] { require(client.call("write", write_params("one", next_value())), "write"); };
    std::printf("durable writes/s, one at a time, fresh database:   %10.0f\n", rate(write_one));
    // A device's WAL file is at its working size (ggconfigd keeps it across restarts):
    // fill it up to sqlite's checkpoint threshold once, so that commits overwrite it.
    for (int i = 0; i < kWalWarmupWrites; ++i) {
        write_one();
    }
    std::printf("durable writes/s, one at a time:                   %10.0f\n", rate(write_one));
    constexpr int kCountedWrites = 400;
    long syncs = count_syncs(daemon, dir, [&] {
        for (int i = 0; i < kCountedWrites; ++i) {
            require(client.call("write", write_params("one", next_value())), "write");
        }
    });
    std::printf("  fsyncs per write, one at a time:                 %10.2f\n",
                syncs < 0 ? -1.0 : static_cast<double>(syncs) / kCountedWrites);
    std::printf("  floor: 4 KiB overwrite + fdatasync/s:            %10.0f\n", fdatasync_floor(dir, false));
    std::printf("  floor: 4 KiB append + fdatasync/s:               %10.0f\n", fdatasync_floor(dir, true));
    std::printf("durable writes/s, %zu in flight (group commit):    %10.0f\n", kWriteDepth,
                pipelined_rate(client, kWriteDepth, "write", [&] { return write_params("one", next_value()); }));
    {
        constexpr int kPipelinedWrites = 3200;
        long group_syncs = count_syncs(daemon, dir, [&] {
            size_t sent = 0;
            size_t received = 0;
            while (received < kPipelinedWrites) {
                while (sent < kPipelinedWrites && client.in_flight() < kWriteDepth) {
                    (void)client.send(bus::Op::Call, "write", write_params("one", next_value()));
                    ++sent;
                }
                auto reply = client.receive(std::chrono::seconds(10));
                if (!reply || reply->kind != bus::ReplyKind::Result) {
                    std::fprintf(stderr, "bench-config: a pipelined write failed\n");
                    std::exit(1);
                }
                ++received;
            }
        });
        std::printf("  fsyncs per write, %zu in flight:                 %10.2f\n", kWriteDepth,
                    group_syncs < 0 ? -1.0 : static_cast<double>(group_syncs) / kPipelinedWrites);
    }
    {
        constexpr int kWriters = 4;
        std::atomic<long> total{0};
        std::vector<std::thread> writers;
        auto start = Clock::now();
        for (int w = 0; w < kWriters; ++w) {
            writers.emplace_back([&, w] {
                auto own = bus::Client::for_path(socket_path);
                long count = 0;
                while (Clock::now() - start < kRound) {
                    require(own.call("write", write_params("writer" + std::to_string(w), std::to_string(count))),
                            "write");
                    ++count;
                }
                total += count;
            });
        }
        for (auto& writer : writers) {
            writer.join();
        }
        std::printf("durable writes/s, %d connections one at a time:     %10.0f\n", kWriters,
                    total / std::chrono::duration<double>(Clock::now() - start).count());
    }

    auto map_of = [&](int leaves, size_t round) {
        Map map;
        for (int i = 0; i < leaves; ++i) {
            map.append("k" + std::to_string(i), std::to_string(round) + "-" + std::to_string(i));
        }
        return Object(std::move(map));
    };
    size_t round = 0;
    std::printf("map writes/s, 100 leaves:                          %10.0f\n", rate([&] {
                    require(client.call("write", write_params("map100", map_of(100, round++))), "map write");
                }));
    std::printf("map writes/s, 1000 leaves:                         %10.0f\n", rate([&] {
                    require(client.call("write", write_params("map1000", map_of(1000, round++))), "map write");
                }));
    std::printf("map reads/s, 1000 leaves:                          %10.0f\n", rate([&] {
                    require(client.call("read", Map{{"key_path", List{"bench", "map1000"}}}), "map read");
                }));

    // Subscription events: 10 subscribers on one key, each on its own connection.
    {
        constexpr int kSubscribers = 10;
        constexpr int kWrites = 2000;
        std::atomic<long> events{0};
        std::vector<std::thread> readers;
        std::atomic<int> ready{0};
        for (int s = 0; s < kSubscribers; ++s) {
            readers.emplace_back([&] {
                auto sub = bus::Client::for_path(socket_path);
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
            require(client.call("write", write_params("events", primer++)), "write");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        auto start = Clock::now();
        for (int i = 0; i < kWrites; ++i) {
            require(client.call("write", write_params("events", -1 - i)), "write");
        }
        for (auto& reader : readers) {
            reader.join();
        }
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::printf("subscription events/s delivered, 10 subscribers:   %10.0f\n", events / seconds);
    }

    // 100,000 keys, written as 100 maps of 1000.
    for (int block = 0; block < 100; ++block) {
        require(client.call("write",
                            Map{{"key_path", List{"big", "b" + std::to_string(block)}}, {"value", map_of(1000, 0)}}),
                "bulk write");
    }
    // Stored, not being written: ggconfigd checkpoints the WAL once writes pause.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    std::mt19937 random(42);
    auto random_key = [&] {
        unsigned i = random() % 100000;
        return Map{{"key_path", List{"big", "b" + std::to_string(i / 1000), "k" + std::to_string(i % 1000)}}};
    };
    std::printf("reads/s with 100,000 keys stored, one at a time:   %10.0f\n",
                rate([&] { require(client.call("read", random_key()), "read"); }));
    std::printf("reads/s with 100,000 keys stored, %zu in flight:   %10.0f\n", kReadDepth,
                pipelined_rate(client, kReadDepth, "read", random_key));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto [full_pss, full_rss] = memory_of(daemon);

    // `ggl config get` wall time, process start included.
    {
        constexpr int kCalls = 50;
        auto start = Clock::now();
        for (int i = 0; i < kCalls; ++i) {
            pid_t cli = spawn({bin + "/ggl", "config", "get", "bench/one"}, true);
            int status = 0;
            ::waitpid(cli, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                std::fprintf(stderr, "bench-config: ggl config get failed\n");
                return 1;
            }
        }
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / kCalls;
        std::printf("`ggl config get` wall time per call:               %10.2f ms (goal <= 3 ms)\n", ms);
        // What any program costs to start here, to read the figure above against.
        start = Clock::now();
        for (int i = 0; i < kCalls; ++i) {
            pid_t floor = spawn({"/bin/true"}, true);
            ::waitpid(floor, nullptr, 0);
        }
        ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / kCalls;
        std::printf("  floor: /bin/true wall time per call:             %10.2f ms\n", ms);
    }
    std::printf("ggconfigd idle 1.5 s after start: PSS %6ld KiB  RSS %6ld KiB\n", idle_pss, idle_rss);
    std::printf("ggconfigd 0.3 s after a read, a write, a list:\n");
    std::printf("                            PSS %6ld KiB  RSS %6ld KiB\n", served_pss, served_rss);
    std::printf("ggconfigd 1.5 s after them (idle trim done):\n");
    std::printf("                            PSS %6ld KiB  RSS %6ld KiB\n", rested_pss, rested_rss);
    std::printf("first read after idle: %.0f us; the next: %.0f us; after a 0.5 s pause (no idle work): %.0f us\n",
                first_read_us, warm_read_us, paused_read_us);
    std::printf("ggconfigd with 100k keys:   PSS %6ld KiB  RSS %6ld KiB\n", full_pss, full_rss);

    ::kill(daemon, SIGTERM);
    ::waitpid(daemon, nullptr, 0);
    std::filesystem::remove_all(dir);
    return 0;
}
