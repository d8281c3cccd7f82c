// bench-iot: publishing to "AWS IoT Core" (the test stand's mosquitto, tests/cloud) through
// iotcored, against libmosquitto's own client publishing straight to the same broker in
// the same run; publish-to-delivery latency; reconnect after a broker restart; iotcored's
// memory connected and idle, and with 100 subscriptions; the offline spool: messages
// spooled while the broker is down, then drained at IoT Core's rate and without a limit,
// every one checked.
//   bench-iot [--quick]
#include "bench_root.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/env.hpp"
#include "ggl/json.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/iot_mqtt.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using namespace ggl;
using Clock = std::chrono::steady_clock;

namespace {

namespace iot = services::iot_mqtt;

constexpr int kInFlight = 100; // IoT Core's limit on QoS 1 publishes in flight
constexpr size_t kPayloadBytes = 64;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench-iot: %s\n", what.c_str());
    std::exit(1);
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

pid_t spawn(std::vector<std::string> args, const std::string& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) die(args[0] + ": " + std::strerror(spawned));
    return pid;
}

void run_quietly(std::vector<std::string> args, const std::string& log) {
    pid_t pid = spawn(std::move(args), log);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

long pss_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("Pss:")) return std::atol(line.c_str() + 4);
    }
    return -1;
}

double percentile(std::vector<int64_t> samples, double p) {
    if (samples.empty()) return 0;
    size_t index = std::min(samples.size() - 1, static_cast<size_t>(p * static_cast<double>(samples.size())));
    std::nth_element(samples.begin(), samples.begin() + static_cast<long>(index), samples.end());
    return static_cast<double>(samples[index]) / 1000.0;
}

struct Stand {
    std::string dir;
    std::string host = "localhost";
    int broker_port = 0;
    std::string ca, cert, key;
};

// libmosquitto's own client: QoS 0 or 1 publishes with at most kInFlight unacknowledged
// (QoS 0: unwritten), or a subscriber that records publish-to-delivery latency.
class DirectClient {
public:
    DirectClient(const Stand& stand, const std::string& id) {
        mosq_ = mosquitto_new(id.c_str(), true, this);
        mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
        mosquitto_tls_set(mosq_, stand.ca.c_str(), nullptr, stand.cert.c_str(), stand.key.c_str(), nullptr);
        mosquitto_max_inflight_messages_set(mosq_, kInFlight);
        mosquitto_publish_v5_callback_set(mosq_, [](mosquitto*, void* self, int, int, const mosquitto_property*) {
            auto* client = static_cast<DirectClient*>(self);
            std::lock_guard lock(client->mutex_);
            ++client->done_;
            client->changed_.notify_all();
        });
        mosquitto_message_v5_callback_set(
            mosq_, [](mosquitto*, void* self, const mosquitto_message* message, const mosquitto_property*) {
                auto* client = static_cast<DirectClient*>(self);
                const char* text = static_cast<const char*>(message->payload);
                int64_t sent = std::strtoll(text, nullptr, 10);
                std::lock_guard lock(client->mutex_);
                client->latencies_.push_back(now_ns() - sent);
                client->payloads_.emplace_back(text, static_cast<size_t>(message->payloadlen));
                client->changed_.notify_all();
            });
        if (mosquitto_connect(mosq_, stand.host.c_str(), stand.broker_port, 60) != MOSQ_ERR_SUCCESS) {
            die("libmosquitto cannot connect to the stand's broker");
        }
        mosquitto_loop_start(mosq_);
    }
    ~DirectClient() {
        mosquitto_disconnect(mosq_);
        mosquitto_loop_stop(mosq_, false);
        mosquitto_destroy(mosq_);
    }

    // Messages/s for count publishes with at most kInFlight outstanding.
    double publish_rate(int qos, int count) {
        std::string payload(kPayloadBytes, 'p');
        {
            std::lock_guard lock(mutex_);
            done_ = 0;
        }
        auto start = Clock::now();
        for (int sent = 0; sent < count; ++sent) {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return sent - done_ < kInFlight; });
            lock.unlock();
            mosquitto_publish_v5(mosq_, nullptr, "bench/direct", static_cast<int>(payload.size()), payload.data(), qos,
                                 false, nullptr);
        }
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return done_ >= count; });
        return count / std::chrono::duration<double>(Clock::now() - start).count();
    }

    void subscribe(const std::string& filter) {
        mosquitto_subscribe_v5(mosq_, nullptr, filter.c_str(), 1, 0, nullptr);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    // Waits for count latencies in all (or the timeout); returns them.
    std::vector<int64_t> latencies(size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(10), [&] { return latencies_.size() >= count; });
        return latencies_;
    }
    // Waits for count messages (or the timeout); returns their payloads.
    std::vector<std::string> payloads(size_t count, std::chrono::seconds timeout) {
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, timeout, [&] { return payloads_.size() >= count; });
        return payloads_;
    }

private:
    mosquitto* mosq_ = nullptr;
    std::mutex mutex_;
    std::condition_variable changed_;
    int done_ = 0;
    std::vector<int64_t> latencies_;
    std::vector<std::string> payloads_;
};

// Publishes/s through iotcored: count publish calls with at most kInFlight unanswered;
// numbered: the payloads are 0, 1, 2 ... (padded), each answer must say spooled.
double iotcored_rate(int qos, int count, const std::string& topic = "bench/iotcored", bool numbered = false) {
    auto client = bus::Client::for_service(iot::kService);
    std::string payload(kPayloadBytes, 'p');
    int sent = 0;
    int answered = 0;
    auto start = Clock::now();
    while (answered < count) {
        while (sent < count && sent - answered < kInFlight) {
            if (numbered) payload = std::to_string(sent) + std::string(kPayloadBytes - 8, ' ');
            if (!client.send(bus::Op::Call, iot::kPublish.name, iot::publish_params(topic, payload, qos))) {
                die("cannot send to iotcored");
            }
            ++sent;
        }
        auto reply = client.receive(std::chrono::milliseconds(10000));
        if (!reply) die("iotcored: " + reply.error().message);
        if (reply->kind == bus::ReplyKind::Error) die("iotcored refused a publish: " + reply->error.message);
        if (numbered && !(reply->value.is_map() && bool_field(reply->value.as_map(), iot::result::kSpooled))) {
            die("a publish while the broker was down was not spooled");
        }
        ++answered;
    }
    return count / std::chrono::duration<double>(Clock::now() - start).count();
}

bool connected() {
    services::IotMqttClient client(bus::ClientOptions{std::chrono::milliseconds(1000), 0});
    auto status = client.status();
    return status && status->is_map() && bool_field(status->as_map(), "connected");
}

bool wait_for(bool want, std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
        if (connected() == want) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

struct SpoolFigures {
    double spooled_per_s = 0; // publishes answered "spooled" while the broker was down
    double drained_per_s = 0; // delivered to the cloud once iotcored could connect
    size_t delivered = 0;
    size_t distinct = 0; // of the count sent
    bool in_order = true;
};

// count QoS 1 publishes through iotcored while the broker is down, then the broker back
// with a cloud subscriber, then iotcored let connect (it is pointed at a closed port
// meanwhile, so that nothing drains before the subscriber listens).
SpoolFigures spool_round(const Stand& stand, const std::function<void(const char*)>& ctl,
                         services::ConfigClient& config, int count, const std::string& topic) {
    const services::config::KeyPath endpoint{"services", "aws.greengrass.NucleusLite", "configuration",
                                             "iotDataEndpoint"};
    SpoolFigures figures;
    ctl("broker-stop");
    if (!wait_for(false, std::chrono::seconds(10))) die("iotcored did not notice the broker stop");
    figures.spooled_per_s = iotcored_rate(1, count, topic, true);
    if (!config.write(endpoint, "localhost:1")) die("cannot move the endpoint");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ctl("broker-start");
    DirectClient cloud(stand, "bench-spool-cloud");
    cloud.subscribe(topic);
    if (!config.write(endpoint, "localhost:" + std::to_string(stand.broker_port))) die("cannot restore the endpoint");
    auto start = Clock::now();
    auto payloads = cloud.payloads(static_cast<size_t>(count), std::chrono::seconds(30 + count / 50));
    figures.drained_per_s =
        static_cast<double>(payloads.size()) / std::chrono::duration<double>(Clock::now() - start).count();
    figures.delivered = payloads.size();
    std::vector<bool> seen(static_cast<size_t>(count), false);
    long previous = -1;
    for (const std::string& payload : payloads) {
        long number = std::strtol(payload.c_str(), nullptr, 10);
        if (number < 0 || number >= count) continue;
        if (!seen[static_cast<size_t>(number)]) ++figures.distinct;
        seen[static_cast<size_t>(number)] = true;
        figures.in_order = figures.in_order && number > previous;
        previous = number;
    }
    return figures;
}

void print_spool(const char* what, int count, const SpoolFigures& figures) {
    std::printf("spool, %s: %d QoS 1 messages spooled at %.0f/s while offline; drained at %.0f/s; %zu of %d "
                "delivered%s%s\n",
                what, count, figures.spooled_per_s, figures.drained_per_s, figures.distinct, count,
                figures.delivered > figures.distinct ? " (some twice)" : "",
                figures.in_order ? ", in order" : ", NOT in order");
}

} // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string_view(argv[1]) == "--quick";
    int count = quick ? 2000 : 10000;
    ::signal(SIGPIPE, SIG_IGN);
    std::string bin = env::executable_dir() + "/../bin";
    std::string dir = bench::make_bench_root("iot");
    std::string log = dir + "/daemons.log";
    std::string python = "/usr/bin/python3";
    std::string stand_py = std::string(GGL_SOURCE_DIR) + "/tests/cloud/stand.py";
    if (::access(python.c_str(), X_OK) != 0 || ::access("/usr/sbin/mosquitto", X_OK) != 0) {
        std::printf(
            "bench-iot: skipped: the test stand needs /usr/bin/python3 and mosquitto (tests/install-deps.sh)\n");
        return 0;
    }
    Stand stand;
    stand.dir = dir + "/stand";
    pid_t stand_pid = spawn({python, stand_py, "up", stand.dir, "--thing", "bench-thing"}, log);
    for (int i = 0; i < 300 && ::access((stand.dir + "/stand.json").c_str(), R_OK) != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(stand.dir + "/stand.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto description = from_json(text);
    if (!description || !description->is_map()) die("the test stand did not start (log: " + log + ")");
    stand.broker_port = static_cast<int>(int_field(*description, "broker_port"));
    stand.ca = string_field(*description, "ca");
    stand.cert = string_field(*description, "device_cert");
    stand.key = string_field(*description, "device_key");

    mosquitto_lib_init();
    pid_t configd = spawn({bin + "/ggconfigd"}, log);
    services::ConfigClient config;
    for (int i = 0; i < 200 && !config.connect(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Map system{{"thingName", "bench-thing"},
               {"certificateFilePath", stand.cert},
               {"privateKeyPath", stand.key},
               {"rootCaPath", stand.ca}};
    if (!config.write({"system"}, system) ||
        !config.write({"services", "aws.greengrass.NucleusLite", "configuration", "iotDataEndpoint"},
                      "localhost:" + std::to_string(stand.broker_port))) {
        die("cannot configure the identity");
    }
    pid_t iotcored = spawn({bin + "/iotcored"}, log);
    if (!wait_for(true, std::chrono::seconds(10))) die("iotcored did not connect (log: " + log + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    long idle_pss = pss_of(iotcored);

    std::printf("bench-iot: %zu-byte payloads to mosquitto over TLS on loopback (the test stand), %d messages a "
                "round, at most %d in flight, %u cores\n",
                kPayloadBytes, count, kInFlight, std::thread::hardware_concurrency());
    double direct1 = 0, through1 = 0, direct0 = 0, through0 = 0;
    {
        DirectClient direct(stand, "bench-direct");
        for (int round = 0; round < 2; ++round) { // interleaved, best of each
            direct1 = std::max(direct1, direct.publish_rate(1, count));
            through1 = std::max(through1, iotcored_rate(1, count));
            direct0 = std::max(direct0, direct.publish_rate(0, count));
            through0 = std::max(through0, iotcored_rate(0, count));
        }
    }
    std::printf("QoS 1 publishes/s: libmosquitto direct %8.0f   through iotcored %8.0f   %.2fx (goal >= 0.80x)\n",
                direct1, through1, through1 / direct1);
    std::printf("QoS 0 publishes/s: libmosquitto direct %8.0f   through iotcored %8.0f   %.2fx (goal >= 0.80x)\n",
                direct0, through0, through0 / direct0);

    // Latency one at a time: publish through iotcored (QoS 1), a cloud subscriber receives.
    {
        DirectClient cloud(stand, "bench-cloud");
        cloud.subscribe("bench/latency");
        services::IotMqttClient client;
        int samples = quick ? 300 : 1000;
        for (int i = 0; i < samples; ++i) {
            if (!client.publish("bench/latency", std::to_string(now_ns()), 1)) die("a latency publish failed");
            cloud.latencies(static_cast<size_t>(i + 1));
        }
        auto latencies = cloud.latencies(static_cast<size_t>(samples));
        std::printf("publish -> cloud delivery, one at a time (QoS 1): p50 %.0f us, p99 %.0f us (%zu messages)\n",
                    percentile(latencies, 0.5), percentile(latencies, 0.99), latencies.size());
    }

    // 100 subscriptions, held by one client.
    {
        auto subscriber = bus::Client::for_service(iot::kService);
        for (int i = 0; i < 100; ++i) {
            if (!subscriber.send(bus::Op::Subscribe, iot::kSubscribe.name,
                                 iot::subscribe_params("bench/sub/" + std::to_string(i)))) {
                die("cannot subscribe through iotcored");
            }
        }
        for (int accepted = 0; accepted < 100;) {
            auto reply = subscriber.receive(std::chrono::milliseconds(10000));
            if (!reply || reply->kind == bus::ReplyKind::Error) die("a subscription failed");
            if (reply->kind == bus::ReplyKind::Accepted) ++accepted;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        std::printf("iotcored PSS: %ld KiB connected and idle, %ld KiB with 100 subscriptions (2 connections)\n",
                    idle_pss, pss_of(iotcored));
    }

    // Reconnect: the broker stopped and started again on the same port, 5 times. With full
    // jitter a sample is random: within the first step (1 s) when the first attempt after
    // the loss came after the broker was back, within the second (2 s) otherwise.
    {
        std::vector<int64_t> samples;
        for (int round = 0; round < 5; ++round) {
            run_quietly({python, stand_py, "ctl", stand.dir, "broker-stop"}, log);
            if (!wait_for(false, std::chrono::seconds(10))) die("iotcored did not notice the broker stop");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            run_quietly({python, stand_py, "ctl", stand.dir, "broker-start"}, log);
            auto up = Clock::now();
            if (!wait_for(true, std::chrono::seconds(30))) die("iotcored did not reconnect");
            samples.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - up).count());
        }
        std::sort(samples.begin(), samples.end());
        std::string all;
        for (int64_t sample : samples) all += (all.empty() ? "" : " ") + std::to_string(sample);
        std::printf("reconnect after a broker restart (down ~0.2 s), ms after the broker was back: median %lld, "
                    "max %lld (%s; backoff: first step up to 1000 ms, doubling, full jitter)\n",
                    static_cast<long long>(samples[samples.size() / 2]), static_cast<long long>(samples.back()),
                    all.c_str());
    }

    // The offline spool: drained at IoT Core's rate (a short round: 100 a second), then,
    // restarted with --spool-drain-rate 0 as for a broker without that limit, count.
    auto ctl = [&](const char* command) { run_quietly({python, stand_py, "ctl", stand.dir, command}, log); };
    int limited = quick ? 200 : 500;
    print_spool("IoT Core's rate (--spool-drain-rate 100)", limited,
                spool_round(stand, ctl, config, limited, "bench/spool-limited"));
    ::kill(iotcored, SIGTERM);
    ::waitpid(iotcored, nullptr, 0);
    iotcored = spawn({bin + "/iotcored", "--spool-drain-rate", "0"}, log);
    if (!wait_for(true, std::chrono::seconds(10))) die("iotcored did not connect again (log: " + log + ")");
    print_spool("no rate limit (--spool-drain-rate 0)", count, spool_round(stand, ctl, config, count, "bench/spool"));

    ::kill(iotcored, SIGTERM);
    ::kill(configd, SIGTERM);
    ::kill(stand_pid, SIGTERM);
    for (pid_t pid : {iotcored, configd, stand_pid}) ::waitpid(pid, nullptr, 0);
    mosquitto_lib_cleanup();
    std::filesystem::remove_all(dir);
    return 0;
}
