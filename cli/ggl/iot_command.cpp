// ggl iot: the device's connection to AWS IoT Core through iotcored (aws_iot_mqtt):
// its status, and publishing and subscribing as a component would.
#include "front_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/output.hpp"
#include "ggl/cli/subscription.hpp"
#include "ggl/file.hpp"
#include "ggl/services/iot_mqtt.hpp"
#include "ggl/text.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace ggl::front {
namespace {

namespace contract = services::iot_mqtt;

constexpr const char* kProgramFooter = R"(Examples:
  ggl iot status
  ggl iot publish devices/telemetry '{"t": 21.5}' --qos 1
  echo hello | ggl iot publish devices/greeting -
  ggl iot subscribe 'devices/+/commands' --count 1

iotcored holds the device's MQTT connection to AWS IoT Core, as the configuration says
(system/thingName, the certificate, key and root CA, and the NucleusLite's
iotDataEndpoint and mqtt/port); these verbs speak to it on the core bus.

Exit status: 0 ok; 1 AWS IoT Core refused (a publish, a subscription); 2 usage error;
3 cannot reach iotcored; 4 iotcored answered with another error (not connected: it
says why).)";

constexpr const char* kStatusFooter = R"(
Prints whether iotcored is configured and connected, the endpoint and port (and ALPN on
443), the thing name, each connection (client id, connected, subscriptions), the offline
spool (messages waiting, bytes of its bound), and the last error in words ("AWS IoT Core refused the device certificate ...: it has expired").
--json prints aws_iot_mqtt's status answer.

Exit status: 0 connected; 1 not connected (configured or not: the output says why);
3 cannot reach iotcored.)";

constexpr const char* kPublishFooter = R"(
Publishes PAYLOAD (the text as given; "-": standard input, up to 128 KiB; none: empty)
to TOPIC on AWS IoT Core. With --qos 1 it returns once IoT Core has acknowledged the
message (PUBACK); with QoS 0 once iotcored has written it. While iotcored is not
connected, a QoS 1 message (and a QoS 0 one with mqtt/spooler/keepQos0WhenOffline) goes
to its offline spool, which keeps it across restarts and sends it once connected: the
command then says "spooled" on standard error and exits 0. IoT Core's limits are checked
first: topics of at most 256 bytes and 7 slashes, no wildcards, 128 KiB payloads.

Examples:
  ggl iot publish devices/telemetry '{"t": 21.5}' --qos 1
  ggl iot publish devices/state - < state.json

Exit status: 0 published or spooled; 1 IoT Core refused the message; 2 usage error or a
limit; 3 cannot reach iotcored; 4 not connected and not spooled (iotcored says why: a
full spool, a QoS 0 message, no configuration).)";

constexpr const char* kSubscribeFooter = R"(
Subscribes to each FILTER (MQTT wildcards: + one level, # the rest; up to 8) on AWS IoT
Core through iotcored and prints each message's payload as a line, until Ctrl-C or
--count messages. --json prints {"topic", "payload"} per line (a payload that is not
UTF-8 text as "payload_base64").

Examples:
  ggl iot subscribe 'devices/+/commands'
  ggl iot subscribe '$aws/things/my-thing/shadow/#' --json --count 1

Exit status: 0 after --count messages or Ctrl-C; 1 IoT Core refused the subscription;
2 usage error; 3 cannot reach iotcored; 4 not configured.)";

constexpr double kDefaultTimeoutSeconds = 10;

struct Arguments {
    cli::OutputFormat format = cli::OutputFormat::Human;
    double timeout_seconds = kDefaultTimeoutSeconds;
    std::string topic;
    std::string payload;
    bool payload_given = false;
    int64_t qos = 0;
    bool retain = false;
    std::vector<std::string> filters;
    uint64_t count = 0;
};

using Verb = cli::VerbEntry<Arguments, int (*)(const Arguments& arguments)>;

std::chrono::milliseconds timeout_of(const Arguments& arguments) {
    return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(arguments.timeout_seconds * 1000.0)));
}

services::IotMqttClient client_for(const Arguments& arguments) {
    return services::IotMqttClient(bus::ClientOptions{timeout_of(arguments), 0});
}

// iotcored out of reach: 3; IoT Core's refusals (REMOTE): 1; limits (INVALID): 2;
// iotcored's other answers: 4.
int report(const Error& error, std::string_view doing) {
    if (!error.remote && (error.code == ErrorCode::Noconn || error.code == ErrorCode::Timeout)) {
        cli::print_error("cannot reach iotcored (" + std::string(contract::kService) + "): " + error.message);
        return cli::kExitNoDaemon;
    }
    if (error.remote && error.code == ErrorCode::Remote) {
        cli::print_error(error.message);
        return cli::kExitFailed;
    }
    if (error.remote && error.code == ErrorCode::Invalid) {
        cli::print_error(error.message);
        return cli::kExitUsage;
    }
    if (error.remote) {
        cli::print_error(error.message);
        return cli::kExitRemote;
    }
    return cli::report_error(error, doing);
}

// The offline spool's line of the status.
void print_spool(const Object& status) {
    const Object* spool = find_field(status, "spool");
    if (spool == nullptr || !spool->is_map()) return;
    std::string error = string_field(*spool, "error");
    if (!error.empty()) {
        std::printf("spool:      none: %s\n", error.c_str());
        return;
    }
    std::printf(
        "spool:      %lld messages, %lld of %lld bytes%s\n", static_cast<long long>(int_field(*spool, "messages")),
        static_cast<long long>(int_field(*spool, "bytes")), static_cast<long long>(int_field(*spool, "max_bytes")),
        bool_field(spool->as_map(), "keep_qos0") ? " (QoS 0 kept too)" : "");
}

int run_status(const Arguments& arguments) {
    services::IotMqttClient client = client_for(arguments);
    auto status = client.status();
    if (!status) return report(status.error(), "reading iotcored's status");
    bool connected = bool_field(status->is_map() ? status->as_map() : Map{}, "connected");
    if (cli::is_json(arguments.format)) {
        cli::print_json(*status, cli::json_style(arguments.format));
        return connected ? cli::kExitOk : cli::kExitFailed;
    }
    std::string error = string_field(*status, "last_error");
    if (!bool_field(status->as_map(), "configured")) {
        std::printf("configured: no\n");
        std::printf("last error: %s\n", error.empty() ? "-" : error.c_str());
        print_spool(*status);
        return cli::kExitFailed;
    }
    std::string alpn = string_field(*status, "alpn");
    std::printf("endpoint:   %s:%lld%s\n", string_field(*status, "endpoint").c_str(),
                static_cast<long long>(int_field(*status, "port")),
                alpn.empty() ? "" : (" (ALPN " + alpn + ")").c_str());
    std::printf("thing name: %s\n", string_field(*status, "thing_name").c_str());
    std::printf("connected:  %s\n", connected ? "yes" : "no");
    std::printf("subscriptions: %lld (local subscribers: %lld)\n",
                static_cast<long long>(int_field(*status, "subscriptions")),
                static_cast<long long>(int_field(*status, "local_subscribers")));
    std::printf("last error: %s\n", error.empty() ? "-" : error.c_str());
    print_spool(*status);
    cli::Table table({"client id", "connected", "subscriptions", "since"});
    if (const Object* connections = find_field(*status, "connections"); connections && connections->is_list()) {
        for (const Object& connection : connections->as_list()) {
            int64_t since = int_field(connection, "since");
            table.add_row(
                {string_field(connection, "client_id"),
                 std::string(bool_field(connection.is_map() ? connection.as_map() : Map{}, "connected") ? "yes" : "no"),
                 int_field(connection, "subscriptions"),
                 since == 0 ? std::string("-") : cli::format_local_time(since)});
        }
    }
    if (!table.empty()) {
        std::printf("\n");
        table.print(arguments.format);
    }
    return connected ? cli::kExitOk : cli::kExitFailed;
}

int run_publish(const Arguments& arguments) {
    std::string payload = arguments.payload;
    if (arguments.payload_given && payload == "-") {
        auto read = file::read_fd(STDIN_FILENO, "standard input", 128 * 1024 + 1);
        if (!read) {
            cli::print_error(read.error().message);
            return cli::kExitUsage;
        }
        payload = std::move(*read);
    }
    services::IotMqttClient client = client_for(arguments);
    auto published = client.publish(arguments.topic, Bytes{std::move(payload)}, arguments.qos, arguments.retain);
    if (!published) return report(published.error(), "publishing to " + arguments.topic);
    if (published->is_map() && bool_field(published->as_map(), contract::result::kSpooled)) {
        std::fprintf(stderr, "spooled: iotcored is not connected to AWS IoT Core; it sends the message once it is\n");
    }
    return cli::kExitOk;
}

int run_subscribe(const Arguments& arguments) {
    services::IotMqttClient client = client_for(arguments);
    List filters;
    for (const std::string& filter : arguments.filters) filters.emplace_back(filter);
    cli::install_stop_handlers();
    uint64_t received = 0;
    auto streamed = cli::stream_subscription(
        client.bus(), contract::kSubscribe.name,
        Map{{contract::param::kTopicFilter, std::move(filters)}, {contract::param::kQos, int64_t{1}}},
        timeout_of(arguments), [&](const Object& event) {
            std::string topic = string_field(event, contract::event::kTopic);
            const Object* payload = find_field(event, contract::event::kPayload);
            std::string_view bytes = payload != nullptr && payload->is_buffer() ? payload->as_buffer() : "";
            if (cli::is_json(arguments.format)) {
                Map line{{"topic", topic}};
                if (is_valid_utf8(bytes)) {
                    line.set("payload", std::string(bytes));
                } else {
                    line.set("payload_base64", base64_encode(bytes));
                }
                cli::print_json(Object(std::move(line)), JsonStyle::Short);
            } else {
                std::fwrite(bytes.data(), 1, bytes.size(), stdout);
                std::fputc('\n', stdout);
            }
            std::fflush(stdout);
            ++received;
            return arguments.count == 0 || received < arguments.count;
        });
    if (!streamed) return report(streamed.error(), "subscribing");
    return cli::kExitOk;
}

void add_nothing(CLI::App&, Arguments&) {}

void add_publish(CLI::App& verb, Arguments& arguments) {
    verb.add_option("TOPIC", arguments.topic, "The topic (no wildcards)")->required();
    verb.add_option("PAYLOAD", arguments.payload, "The message; - reads standard input; none: empty")
        ->each([&arguments](const std::string&) { arguments.payload_given = true; });
    verb.add_option("--qos", arguments.qos, "0 (default): written; 1: acknowledged by IoT Core")
        ->type_name("0|1")
        ->check(cli::integer_in(0, 1));
    verb.add_flag("--retain", arguments.retain, "Ask IoT Core to retain the message");
}

void add_subscribe(CLI::App& verb, Arguments& arguments) {
    verb.add_option("FILTER", arguments.filters, "Topic filters (+ one level, # the rest), up to 8")->required();
    verb.add_option("--count", arguments.count, "Exit after N messages")
        ->type_name("N")
        ->check(cli::positive_integer());
}

constexpr Verb kVerbs[] = {
    {"status", "Show the connection to AWS IoT Core and its last error", kStatusFooter, add_nothing, run_status},
    {"publish", "Publish a message to AWS IoT Core", kPublishFooter, add_publish, run_publish},
    {"subscribe", "Print the messages AWS IoT Core delivers on topic filters", kSubscribeFooter, add_subscribe,
     run_subscribe},
};

void add_global_options(CLI::App& app, Arguments& arguments) {
    cli::add_output_option(app, arguments.format);
    cli::add_timeout_option(app, arguments.timeout_seconds,
                            "Seconds to wait for iotcored (and, for publish --qos 1, for IoT Core; default 10)");
}

} // namespace

int run_iot_command(int argc, char** argv) {
    const cli::ProgramText program{"ggl iot", "Publish, subscribe and check the connection to AWS IoT Core.",
                                   kProgramFooter};
    Arguments arguments;
    return cli::run_verb_program(program, argc, argv, kVerbs, arguments, add_global_options);
}

} // namespace ggl::front
