// bench-load: a steady light load on every ggl service, for memory figures taken while the
// daemons serve (bench/footprint.sh). Against the running daemons ($GGL_RUNTIME_DIR,
// $GGL_ROOT), RATE requests/s to each, for SECONDS, then it stops by itself:
//   gg_config      reads, and a write every tenth request
//   gg_health      get_status of COMPONENT and list_components, in turn
//   gg_deployment  list_deployments and get_deployment_status of the latest, in turn
//   gg_pubsub      publish, with a subscriber on this connection's topics receiving
//   ggipcd         one event-stream connection, kept open: PublishToTopic and
//                  GetConfiguration, in turn (as component com.bench.Load, whose SVCUID
//                  file and accessControl it writes first and whose SVCUID it removes at
//                  the end)
//   aws_iot_mqtt   with --iot: QoS 1 publishes to AWS IoT Core through iotcored
// Prints what it sent and received; exits 1 when any request failed.
//   bench-load [--seconds S] [--rate R] [--component NAME] [--iot]
//   (defaults: 8 s, 10 requests/s per service, com.example.HelloWorld)
#include "ipc_client.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/services/iot_mqtt.hpp"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

using namespace ggl;
using namespace ggl::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kComponent = "com.bench.Load";
constexpr int kTimeoutMs = 2000; // for every request: a daemon that does not answer fails the run

int positive(const char* option, const char* text, int most) {
    int value = 0;
    std::string_view s = text == nullptr ? "" : text;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value < 1 || value > most) {
        die(std::string(option) + " wants a whole number from 1 to " + std::to_string(most) + ", not '" +
            std::string(s) + "'");
    }
    return value;
}

struct Counts {
    unsigned long calls = 0;
    unsigned long failures = 0;
};

} // namespace

int main(int argc, char** argv) {
    program_name = "bench-load";
    int seconds = 8;
    int rate = 10;
    std::string component = "com.example.HelloWorld";
    bool iot = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = positive("--seconds", argv[++i], 3600);
        } else if (arg == "--rate" && i + 1 < argc) {
            rate = positive("--rate", argv[++i], 1000);
        } else if (arg == "--component" && i + 1 < argc) {
            component = argv[++i];
        } else if (arg == "--iot") {
            iot = true;
        } else {
            die("usage: bench-load [--seconds S] [--rate R] [--component NAME] [--iot] (not '" + std::string(arg) +
                "')");
        }
    }
    ::signal(SIGPIPE, SIG_IGN);
    bus::ClientOptions options{std::chrono::milliseconds(kTimeoutMs), 0};
    auto config = bus::Client::for_service("gg_config", options);
    auto health = bus::Client::for_service("gg_health", options);
    auto deployment = bus::Client::for_service("gg_deployment", options);
    auto pubsub = bus::Client::for_service("gg_pubsub", options);
    auto subscriber = bus::Client::for_service("gg_pubsub", options);
    auto iot_mqtt = bus::Client::for_service(services::iot_mqtt::kService, options);

    // The IPC client's identity: its SVCUID, and a policy that lets it publish.
    const std::string token = "BenchLoadToken0123456789abcdef0123";
    const std::string token_path = env::svcuid_path(kComponent);
    std::error_code made_directory;
    std::filesystem::create_directories(std::filesystem::path(token_path).parent_path(), made_directory);
    if (auto made = file::write_atomically(token_path, token, 0600); !made) {
        die("writing " + token_path + ": " + made.error().to_string());
    }
    Map policy{
        {"aws.greengrass.ipc.pubsub", Map{{"bench.load", Map{{"operations", List{"*"}}, {"resources", List{"*"}}}}}}};
    Map own{{"accessControl", std::move(policy)}, {"load", Map{{"value", "a configuration value of a few bytes"}}}};
    if (auto written = config.call(
            "write", Map{{"key_path", List{"services", kComponent, "configuration"}}, {"value", std::move(own)}});
        !written) {
        die("gg_config write of " + std::string(kComponent) + "'s configuration: " + written.error().to_string());
    }
    // The subscriber: one subscription on gg_pubsub to what both publishers send.
    auto subscribed = subscriber.send(bus::Op::Subscribe, "subscribe", Map{{"topic_filter", "bench/load/#"}});
    if (!subscribed) die("gg_pubsub subscribe: " + subscribed.error().to_string());
    if (auto reply = subscriber.receive(std::chrono::milliseconds(kTimeoutMs));
        !reply || reply->kind != bus::ReplyKind::Accepted) {
        die("gg_pubsub did not accept the subscription" +
            (reply ? ": " + reply->error.to_string() : ": " + reply.error().to_string()));
    }
    IpcClient ipc(env::runtime_dir() + "/gg-ipc.socket", kTimeoutMs);
    ipc.connect(token, kComponent);

    Counts counts[6];
    unsigned long writes = 0, delivered = 0, published = 0;
    std::string first_error;
    auto check = [&](Counts& count, bool ok, const std::string& error) {
        ++count.calls;
        if (!ok) {
            ++count.failures;
            if (first_error.empty()) first_error = error;
        }
    };
    // One call; its answer into *answer when given. False when it failed.
    auto bus_call = [&](Counts& count, bus::Client& client, const char* service, const char* method, Map params,
                        Object* answer = nullptr) {
        auto reply = client.call(method, std::move(params));
        check(count, reply.ok(),
              reply ? std::string() : std::string(service) + " " + method + ": " + reply.error().to_string());
        if (reply && answer != nullptr) *answer = std::move(*reply);
        return reply.ok();
    };
    auto drain = [&] {
        while (true) {
            auto ready = subscriber.wait_readable(std::chrono::milliseconds(0));
            if (!ready || !*ready) return;
            auto event = subscriber.receive(std::chrono::milliseconds(kTimeoutMs));
            if (!event) die("gg_pubsub subscriber: " + event.error().to_string());
            if (event->kind == bus::ReplyKind::Event) {
                ++delivered;
            } else {
                die("gg_pubsub ended the subscription: " + event->error.to_string());
            }
        }
    };

    std::string latest_deployment;
    const auto period = std::chrono::microseconds(1000000 / rate);
    const long ticks = static_cast<long>(seconds) * rate;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::seconds(seconds) + std::chrono::seconds(10);
    long tick = 0;
    for (; tick < ticks && Clock::now() < deadline; ++tick) {
        std::this_thread::sleep_until(start + period * tick);
        bool even = tick % 2 == 0;
        // gg_config
        if (tick % 10 == 9) {
            bus_call(counts[0], config, "gg_config", "write",
                     Map{{"key_path", List{"bench", "load", "counter"}}, {"value", static_cast<int64_t>(tick)}});
            ++writes;
        } else {
            bus_call(counts[0], config, "gg_config", "read",
                     Map{{"key_path", List{"services", kComponent, "configuration", "load"}}});
        }
        // gg_health
        if (even) {
            bus_call(counts[1], health, "gg_health", "get_status", Map{{"component_name", component}});
        } else {
            bus_call(counts[1], health, "gg_health", "list_components", Map{});
        }
        // gg_deployment
        if (even || latest_deployment.empty()) {
            Object list;
            if (bus_call(counts[2], deployment, "gg_deployment", "list_deployments", Map{}, &list)) {
                if (const Object* all = find_field(list, "deployments");
                    all && all->is_list() && !all->as_list().empty()) {
                    latest_deployment = string_field(all->as_list().back(), "deployment_id");
                }
            }
        } else {
            bus_call(counts[2], deployment, "gg_deployment", "get_deployment_status",
                     Map{{"deployment_id", latest_deployment}});
        }
        // gg_pubsub, and its subscriber
        if (bus_call(counts[3], pubsub, "gg_pubsub", "publish",
                     Map{{"topic", "bench/load/bus"},
                         {"message", Map{{"json", Map{{"tick", static_cast<int64_t>(tick)}}}}}})) {
            ++published;
        }
        // ggipcd
        std::string error;
        if (even) {
            bool ok =
                ipc.call("PublishToTopic",
                         "{\"topic\":\"bench/load/ipc\",\"publishMessage\":{\"jsonMessage\":{\"message\":{\"tick\":" +
                             std::to_string(tick) + "}}}}",
                         "aws.greengrass#PublishToTopicResponse", error);
            check(counts[4], ok, error);
            published += ok ? 1 : 0;
        } else {
            check(counts[4],
                  ipc.call("GetConfiguration", "{\"keyPath\":[\"load\",\"value\"]}",
                           "aws.greengrass#GetConfigurationResponse", error),
                  error);
        }
        // aws_iot_mqtt
        if (iot) {
            bus_call(
                counts[5], iot_mqtt, services::iot_mqtt::kService, services::iot_mqtt::kPublish.name.data(),
                services::iot_mqtt::publish_params("bench/load/iot", "{\"tick\":" + std::to_string(tick) + "}", 1));
        }
        drain();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    // What is still on its way to the subscriber.
    for (int wait = 0; wait < 20 && delivered < published; ++wait) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        drain();
    }
    ::unlink(token_path.c_str());

    unsigned long failures = 0;
    for (const Counts& count : counts) failures += count.failures;
    std::printf("bench-load: %ld rounds in %.1f s (%.1f/s), each service:\n", tick, elapsed,
                static_cast<double>(tick) / elapsed);
    std::printf("  gg_config %lu (%lu writes), gg_health %lu, gg_deployment %lu, gg_pubsub %lu, ggipcd %lu%s;\n",
                counts[0].calls, writes, counts[1].calls, counts[2].calls, counts[3].calls, counts[4].calls,
                iot ? (", aws_iot_mqtt " + std::to_string(counts[5].calls)).c_str() : "");
    std::printf("  subscriber received %lu of %lu published; %lu failed%s%s\n", delivered, published, failures,
                first_error.empty() ? "" : ", the first: ", first_error.c_str());
    return failures == 0 && tick == ticks ? 0 : 1;
}
