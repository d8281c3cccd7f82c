// ggl-bus (`ggl bus`): calls, notifications and subscriptions on the core bus from a shell.
#include "bus_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"
#include "programs.hpp"

using namespace ggl;
using namespace ggl::bus_cli;

namespace {

constexpr const char* kProgramFooter = R"(Examples:
  ggl bus list
  ggl bus describe gg_config
  ggl bus call gg_config read '{"key_path":["system"]}'
  echo '{"key_path":["system"]}' | ggl bus call gg_config read -
  ggl bus subscribe gg_config subscribe '{"key_path":["services"]}' --count 1

Each service listens on $GGL_RUNTIME_DIR/SERVICE (default /run/greengrass/SERVICE).
Binary values that are not UTF-8 are shown as base64 strings.

Exit status: 0 ok; 1 failed; 2 usage error; 3 cannot reach the service (no socket,
refused, timed out); 4 the service answered with an error (shown on stderr as
"ggl bus: error: CODE: message").)";

constexpr const char* kCallFooter = R"(
Prints the result as JSON (pretty unless --json=short).
JSON (the params) is an object, '-' to read it from standard input; {} when omitted.

Examples:
  ggl bus call gg_config read '{"key_path":["system","thingName"]}'
  ggl bus call gg_health get_status '{"component_name":"com.example.Hello"}' --json=short
  ggl bus call --socket /tmp/test.sock my_service echo '{"x":1}'

Exit status: 0 ok; 2 bad arguments or JSON; 3 cannot reach the service or
no answer within --timeout; 4 the service answered with an error.)";

constexpr const char* kNotifyFooter = R"(
Sends the request without waiting for an answer; the service's errors are not
reported back. JSON (the params) is an object, '-' for standard input; {} when omitted.

Example:
  ggl bus notify my_service reload '{}'

Exit status: 0 sent; 2 bad arguments or JSON; 3 cannot reach the service.)";

constexpr const char* kSubscribeFooter = R"(
Prints each event as one line of JSON (--json=pretty for indented JSON), flushed
as it arrives, until the service ends the subscription, COUNT events have arrived,
or Ctrl-C/SIGTERM, which cancels the subscription cleanly. --timeout bounds the
wait for the service to accept the subscription, not the wait for events.

Examples:
  ggl bus subscribe gg_config subscribe '{"key_path":["services"]}'
  ggl bus subscribe gg_health subscribe_to_all_component_state_changes --count 1

Exit status: 0 ended by the service, by --count or by Ctrl-C; 2 bad arguments;
3 cannot reach the service; 4 the service refused the subscription or ended it
with an error.)";

constexpr const char* kListFooter = R"(
Lists every socket in $GGL_RUNTIME_DIR that accepts a connection (stale sockets
are skipped) with what ggl.describe tells about it; '-' when it does not answer.

Examples:
  ggl bus list
  ggl bus list --json=short

Exit status: 0 ok (also when no service runs); 1 the directory cannot be read;
2 bad arguments.)";

constexpr const char* kDescribeFooter = R"(
Shows the service's version and each method with its kind (call or subscribe)
and parameters. --json prints the ggl.describe result as it came.

Examples:
  ggl bus describe gg_config
  ggl bus describe gg_config --json

Exit status: 0 ok; 2 bad service name; 3 cannot reach the service; 4 remote error.)";

using Verb = cli::VerbEntry<VerbArguments, int (*)(const GlobalOptions& options, const VerbArguments& arguments)>;

void add_service(CLI::App& verb, VerbArguments& arguments) {
    verb.add_option("SERVICE", arguments.service, "Service name (socket $GGL_RUNTIME_DIR/SERVICE)")
        ->required()
        ->check(cli::completer(service_candidates));
}

void add_request(CLI::App& verb, VerbArguments& arguments) {
    add_service(verb, arguments);
    verb.add_option("METHOD", arguments.method, "Method name (see 'ggl bus describe SERVICE')")
        ->required()
        ->check(cli::completer(method_candidates));
    verb.add_option("JSON", arguments.params_json,
                    "Params: a JSON object, or - to read it from standard input ({} when omitted)")
        ->each([&arguments](const std::string&) { arguments.params_given = true; });
}

void add_subscription(CLI::App& verb, VerbArguments& arguments) {
    add_request(verb, arguments);
    verb.add_option("--count", arguments.count, "Cancel after N events")
        ->type_name("N")
        ->check(cli::positive_integer());
}

void add_nothing(CLI::App&, VerbArguments&) {}

constexpr Verb kVerbs[] = {
    {"call", "Call a method and print its result as JSON", kCallFooter, add_request, run_call},
    {"notify", "Send a method a request that expects no answer", kNotifyFooter, add_request, run_notify},
    {"subscribe", "Subscribe and print each event as a line of JSON", kSubscribeFooter, add_subscription,
     run_subscribe},
    {"list", "List the services running on the bus", kListFooter, add_nothing, run_list},
    {"describe", "Show a service's methods and their parameters", kDescribeFooter, add_service, run_describe},
};

// Added to the program and to every verb, so they work before or after the verb
// and show in each verb's --help.
void add_global_options(CLI::App& app, GlobalOptions& options) {
    cli::add_output_option(app, options.format);
    cli::add_timeout_option(app, options.timeout_seconds,
                            "Seconds to wait for the service to answer (fractions allowed; default 10)");
    app.add_option("--socket", options.socket_path, "Connect to this socket instead of $GGL_RUNTIME_DIR/SERVICE")
        ->type_name("PATH");
}

} // namespace

int ggl::programs::ggl_bus(int argc, char** argv) {
    const cli::ProgramText program{"ggl bus", "Call, subscribe to and inspect the services on the ggl core bus.",
                                   kProgramFooter};
    GlobalOptions options;
    VerbArguments arguments;
    return cli::run_verb_program(program, argc, argv, kVerbs, options, arguments, add_global_options,
                                 [&](const Verb& verb) { return verb.run(options, arguments); });
}
