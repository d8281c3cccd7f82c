// bench-ipc: Greengrass IPC PublishToTopic -> SubscribeToTopic end to end through real
// ggconfigd, ggpubsubd and ggipcd (started here on a temp root), spoken to by a minimal
// event-stream client: messages/s with one publisher pipelining requests and one
// subscriber, publish->receive latency one message at a time and under that load, and the
// PSS of ggipcd and ggpubsubd idle and with 100 connected, subscribed clients.
//   bench-ipc [--quick]      (--quick: 1 s of throughput instead of 3)
#include "ipc_client.hpp"

#include "bench_root.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/env.hpp"
#include "ggl/json.hpp"
#include "ggl/log.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

using namespace ggl;
using namespace ggl::bench;
using namespace ggl::event_stream;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPublisherToken = "BenchPublisherToken0123456789abcdef";
constexpr const char* kSubscriberToken = "BenchSubscriberToken0123456789abcde";
constexpr size_t kWindow = 128; // PublishToTopic requests in flight
constexpr int kTimeoutMs = 5000; // how long a client waits for an answer unless told

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void subscribe(IpcClient& client, const std::string& topic) {
    std::string error;
    if (!client.call("SubscribeToTopic", "{\"topic\":\"" + topic + "\"}", "aws.greengrass#SubscribeToTopicResponse",
                     error)) {
        die(error);
    }
}

std::string publish_body(int64_t sent_ns) {
    return "{\"topic\":\"bench/ipc\",\"publishMessage\":{\"jsonMessage\":{\"message\":{\"t\":" +
           std::to_string(sent_ns) + ",\"reading\":\"a 64-byte payload of sensor data, more or less..........\"}}}}";
}

// The send time a subscriber message carries, or -1.
int64_t sent_time_of(const Message& message) {
    size_t at = message.payload.find("\"t\":");
    return at == std::string::npos ? -1 : std::strtoll(message.payload.c_str() + at + 4, nullptr, 10);
}

pid_t spawn(const std::string& exe, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = -1;
    char* argv[] = {const_cast<char*>(exe.c_str()), nullptr};
    int spawned = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) die(exe + ": " + std::strerror(spawned));
    return pid;
}

pid_t start(const std::string& exe, const std::string& socket_path, const std::string& log) {
    pid_t pid = spawn(exe, log);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
        bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (up) return pid;
        if (::waitpid(pid, nullptr, WNOHANG) == pid) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    die(exe + " did not serve " + socket_path + " (log: " + log + ")");
}

// PSS and private (USS) memory in KiB from smaps_rollup. PSS depends on what else runs
// (shared libraries are split among their users); USS does not.
struct Memory {
    long pss = -1;
    long uss = 0;
};
Memory memory_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    Memory memory;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("Pss:")) memory.pss = std::atol(line.c_str() + 4);
        if (line.starts_with("Private_Clean:")) memory.uss += std::atol(line.c_str() + 14);
        if (line.starts_with("Private_Dirty:")) memory.uss += std::atol(line.c_str() + 14);
    }
    return memory;
}

double percentile(std::vector<int64_t>& samples, double p) {
    if (samples.empty()) return 0;
    size_t index = std::min(samples.size() - 1, static_cast<size_t>(p * static_cast<double>(samples.size())));
    std::nth_element(samples.begin(), samples.begin() + static_cast<long>(index), samples.end());
    return static_cast<double>(samples[index]) / 1000.0;
}

void write_token(const std::string& root, const std::string& component, const std::string& token) {
    std::filesystem::create_directories(root + "/ipc/svcuid");
    std::ofstream(root + "/ipc/svcuid/" + component) << token;
}

} // namespace

int main(int argc, char** argv) {
    program_name = "bench-ipc";
    bool quick = argc > 1 && std::string_view(argv[1]) == "--quick";
    auto round = std::chrono::milliseconds(quick ? 1000 : 3000);
    std::string bin = env::executable_dir() + "/../bin";
    std::string dir = bench::make_bench_root("ipc");
    ::signal(SIGPIPE, SIG_IGN);
    write_token(dir, "com.bench.Publisher", kPublisherToken);
    write_token(dir, "com.bench.Subscriber", kSubscriberToken);
    std::string log = dir + "/daemons.log";
    pid_t configd = start(bin + "/ggconfigd", dir + "/gg_config", log);
    auto config = bus::Client::for_path(dir + "/gg_config");
    for (const char* component : {"com.bench.Publisher", "com.bench.Subscriber"}) {
        auto policy = from_json(R"({"aws.greengrass.ipc.pubsub":{"bench":{"operations":["*"],"resources":["*"]}}})");
        auto written =
            config.call("write", Map{{"key_path", List{"services", component, "configuration", "accessControl"}},
                                     {"value", *policy}});
        if (!written) die("writing accessControl: " + written.error().to_string());
    }
    pid_t pubsubd = start(bin + "/ggpubsubd", dir + "/gg_pubsub", log);
    pid_t ipcd = start(bin + "/ggipcd", dir + "/gg-ipc.socket", log);
    std::string socket_path = dir + "/gg-ipc.socket";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Memory ipcd_idle = memory_of(ipcd);
    Memory pubsubd_idle = memory_of(pubsubd);

    IpcClient subscriber(socket_path, kTimeoutMs);
    subscriber.connect(kSubscriberToken, "com.bench.Subscriber");
    subscribe(subscriber, "bench/ipc");
    IpcClient publisher(socket_path, kTimeoutMs);
    publisher.connect(kPublisherToken, "com.bench.Publisher");
    if (std::string error;
        !publisher.call("PublishToTopic", publish_body(now_ns()), "aws.greengrass#PublishToTopicResponse", error)) {
        die(error);
    }
    Message answer;
    Message message;
    if (!subscriber.receive(message)) die("the subscriber received nothing");

    // Latency one message at a time: publish, wait for the subscriber to receive it.
    std::vector<int64_t> single;
    for (int i = 0; i < (quick ? 1000 : 3000); ++i) {
        std::string bytes;
        int64_t sent = now_ns();
        publisher.append_request(bytes, "PublishToTopic", publish_body(sent));
        publisher.send_raw(bytes);
        if (!subscriber.receive(message)) die("a message was not delivered");
        single.push_back(now_ns() - sent_time_of(message));
        if (!publisher.receive(answer)) die("no PublishToTopicResponse");
    }

    // Throughput: the publisher keeps kWindow requests in flight; the subscriber counts.
    std::atomic<bool> publishing{true};
    std::atomic<uint64_t> published{0};
    std::vector<int64_t> loaded;
    uint64_t received = 0;
    Clock::time_point last_received;
    std::thread subscriber_thread([&] {
        Message delivered;
        while (subscriber.receive(delivered, publishing ? 1000 : 300)) {
            ++received;
            last_received = Clock::now();
            if ((received & 15) == 0) loaded.push_back(now_ns() - sent_time_of(delivered));
        }
    });
    auto start_time = Clock::now();
    size_t in_flight = 0;
    std::string batch;
    while (Clock::now() - start_time < round) {
        batch.clear();
        int64_t sent = now_ns();
        for (; in_flight < kWindow; ++in_flight) publisher.append_request(batch, "PublishToTopic", publish_body(sent));
        publisher.send_raw(batch);
        Message reply;
        if (!publisher.receive(reply)) die("no PublishToTopicResponse under load");
        do {
            if (string_header(reply, "service-model-type") != "aws.greengrass#PublishToTopicResponse") {
                die("PublishToTopic under load answered " + reply.payload);
            }
            --in_flight;
            published.fetch_add(1);
        } while (in_flight > kWindow / 2 && publisher.receive(reply, 0));
    }
    while (in_flight > 0 && publisher.receive(answer)) {
        --in_flight;
        published.fetch_add(1);
    }
    double publish_seconds = std::chrono::duration<double>(Clock::now() - start_time).count();
    publishing = false;
    subscriber_thread.join();
    if (received == 0) die("the subscriber received nothing under load");
    double seconds = std::chrono::duration<double>(last_received - start_time).count();

    // 100 more clients, each connected and subscribed.
    std::vector<std::unique_ptr<IpcClient>> clients;
    for (int i = 0; i < 100; ++i) {
        clients.push_back(std::make_unique<IpcClient>(socket_path, kTimeoutMs));
        clients.back()->connect(kSubscriberToken, "com.bench.Subscriber");
        subscribe(*clients.back(), "bench/clients/" + std::to_string(i));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Memory ipcd_clients = memory_of(ipcd);
    Memory pubsubd_clients = memory_of(pubsubd);

    std::printf("bench-ipc: ggipcd + ggpubsubd + ggconfigd on %s, %u cores; JSON messages of ~140 bytes\n", dir.c_str(),
                std::thread::hardware_concurrency());
    std::printf("one at a time:  publish->receive latency p50 %7.1f us  p99 %7.1f us  (%zu messages)\n",
                percentile(single, 0.50), percentile(single, 0.99), single.size());
    std::printf("pipelined (%zu in flight): %8.0f PublishToTopic/s answered, %8.0f messages/s received "
                "(%lu of %lu; goal >= 20000)\n",
                kWindow, static_cast<double>(published.load()) / publish_seconds,
                static_cast<double>(received) / seconds, static_cast<unsigned long>(received),
                static_cast<unsigned long>(published.load()));
    std::printf("                latency under that load p50 %7.1f us  p99 %7.1f us\n", percentile(loaded, 0.50),
                percentile(loaded, 0.99));
    std::printf("idle:        ggipcd PSS %5ld KiB (goal < 1536), USS %5ld KiB;  ggpubsubd PSS %5ld KiB, USS %5ld KiB\n",
                ipcd_idle.pss, ipcd_idle.uss, pubsubd_idle.pss, pubsubd_idle.uss);
    std::printf("100 clients: ggipcd PSS %5ld KiB,               USS %5ld KiB;  ggpubsubd PSS %5ld KiB, USS %5ld KiB\n",
                ipcd_clients.pss, ipcd_clients.uss, pubsubd_clients.pss, pubsubd_clients.uss);
    std::printf("             (100 more clients, each connected and subscribed to its own topic)\n");

    clients.clear();
    for (pid_t pid : {ipcd, pubsubd, configd}) ::kill(pid, SIGTERM);
    for (pid_t pid : {ipcd, pubsubd, configd}) ::waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    return 0;
}
