// ggl component: components' lifecycle states, restart and stop through gghealthd
// (gg_health), and their logs from the journal (component_logs.hpp: in the helper
// program ggl-component-logs).
#include "component_logs.hpp"
#include "front_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/output.hpp"
#include "ggl/env.hpp"
#include "ggl/services/health.hpp"

#include <signal.h>

#include <cmath>
#include <cstring>

namespace ggl::front {
namespace {

constexpr const char* kService = services::health::kService;
constexpr double kDefaultTimeoutSeconds = 10;
// Restarting a component waits for its startup script, which may take its Timeout.
constexpr double kDefaultJobTimeoutSeconds = 150;

constexpr const char* kProgramFooter = R"(Examples:
  ggl component list
  ggl component status com.example.Hello
  ggl component restart com.example.Hello
  ggl component logs com.example.Hello -f

Components are the ggl.NAME.service units; their states come from gghealthd
($GGL_RUNTIME_DIR/gg_health, or --socket), logs from the journal.

Exit status: 0 ok; 1 no such component, or the operation failed; 2 usage error;
3 cannot reach gghealthd; 4 gghealthd answered with another error.)";

constexpr const char* kListFooter = R"(
Prints every component with its version (from the configuration), lifecycle state
(NEW INSTALLED STARTING RUNNING STOPPING FINISHED ERRORED BROKEN) and since when it is
in that state. --json prints one object per component: name, version, state, since
(ms since the epoch).

Examples:
  ggl component list
  ggl component list --json=short

Exit status: 0 ok; 3 cannot reach gghealthd; 4 gghealthd failed.)";

constexpr const char* kStatusFooter = R"(
Prints the component's version, lifecycle state, since when, the phase whose unit
decided the state (bootstrap, install, startup, run), restarts, and how its last
process ended. --json prints gg_health's get_status answer.

Examples:
  ggl component status com.example.Hello
  ggl component status com.example.Hello --json

Exit status: 0 ok; 1 no such component; 2 usage error; 3 cannot reach gghealthd.)";

constexpr const char* kRestartFooter = R"(
Restarts the component's unit, first clearing a BROKEN state, and waits until the
manager's job ends (a startup script has finished, a run script has started).

Examples:
  ggl component restart com.example.Hello
  ggl component restart com.example.Hello --timeout 300

Exit status: 0 restarted; 1 no such component, or the restart failed (the job's
result is shown); 2 usage error; 3 cannot reach gghealthd.)";

constexpr const char* kStopFooter = R"(
Stops the component's unit (its shutdown script runs) and waits until it has stopped.

Example:
  ggl component stop com.example.Hello

Exit status: 0 stopped; 1 no such component, or the stop failed; 2 usage error;
3 cannot reach gghealthd.)";

constexpr const char* kLogsFooter = R"(
Prints the last N lines (default 50) the component's processes wrote, from the journal
(SYSLOG_IDENTIFIER=NAME); -f then prints new lines as they come, until Ctrl-C.
--json prints one object per line: time (ms since the epoch), identifier, pid, message.
Does not need gghealthd.

Examples:
  ggl component logs com.example.Hello
  ggl component logs com.example.Hello -n 200
  ggl component logs com.example.Hello -f

Exit status: 0 ok (also when there are no lines, and after Ctrl-C with -f); 1 the
journal cannot be read; 2 usage error.)";

struct Arguments {
    cli::OutputFormat format = cli::OutputFormat::Human;
    double timeout_seconds = 0; // 0: the verb's default
    std::string socket_path;
    std::string name;
    bool follow = false;
    size_t lines = 50;
};

using Verb = cli::VerbEntry<Arguments, int (*)(const Arguments& arguments)>;

std::string socket_path_of(const Arguments& arguments) {
    if (!arguments.socket_path.empty()) {
        return arguments.socket_path.find('/') == std::string::npos ? "./" + arguments.socket_path
                                                                    : arguments.socket_path;
    }
    auto path = env::service_socket_path(kService);
    return path ? *path : env::runtime_dir() + "/" + kService;
}

services::HealthClient client_for(const Arguments& arguments, double default_seconds) {
    double seconds = arguments.timeout_seconds > 0 ? arguments.timeout_seconds : default_seconds;
    auto ms = static_cast<int64_t>(std::ceil(seconds * 1000.0));
    return services::HealthClient::at_path(socket_path_of(arguments),
                                           bus::ClientOptions{std::chrono::milliseconds(ms < 1 ? 1 : ms), 0});
}

// Not found and failed operations end with 1; gghealthd out of reach with 3, naming
// its socket; other answers of gghealthd with 4.
int report(const Error& error, const Arguments& arguments, std::string_view doing) {
    if (!error.remote) {
        if (error.code == ErrorCode::Noconn || error.code == ErrorCode::Timeout) {
            cli::print_error("cannot reach gghealthd at " + socket_path_of(arguments) + ": " + error.message);
            return cli::kExitNoDaemon;
        }
        return cli::report_error(error, doing);
    }
    if (error.code == ErrorCode::Noentry || error.code == ErrorCode::Failure) {
        cli::print_error(error.message);
        return cli::kExitFailed;
    }
    return cli::report_error(error, doing);
}

std::string how_it_ended(const Map& status) {
    if (const Object* code = status.find("exit_status"); code && code->is_i64()) {
        return "exited with status " + std::to_string(code->as_i64());
    }
    if (const Object* sig = status.find("exit_signal"); sig && sig->is_i64()) {
        const char* name = sigabbrev_np(static_cast<int>(sig->as_i64()));
        return "killed by signal " + std::to_string(sig->as_i64()) + (name ? " (SIG" + std::string(name) + ")" : "");
    }
    return "-";
}

// A method's answer, which must be a map.
Result<Map> answer_map(Result<Object> result, const services::Method& method) {
    if (!result) return std::move(result).error();
    if (!result->is_map()) {
        return make_error(ErrorCode::Remote, std::string(kService) + "." + std::string(method.name) +
                                                 " answered with a " + std::string(type_name(result->type())) +
                                                 ", not a map");
    }
    return std::move(result->as_map());
}

int run_list(const Arguments& arguments) {
    services::HealthClient client = client_for(arguments, kDefaultTimeoutSeconds);
    auto result = answer_map(client.list_components(), services::health::kListComponents);
    if (!result) return report(result.error(), arguments, "listing components");
    cli::Table table({"name", "version", "state", "since"});
    if (const Object* components = result->find("components"); components && components->is_list()) {
        for (const Object& item : components->as_list()) {
            const Map* component = item.if_map();
            if (component == nullptr) continue;
            Object version = component->contains("version") ? Object(string_field(*component, "version")) : Object();
            int64_t since = int_field(*component, "since");
            table.add_row({string_field(*component, "component_name"), std::move(version),
                           string_field(*component, "lifecycle_state"),
                           cli::is_json(arguments.format) ? Object(since) : Object(cli::format_local_time(since))});
        }
    }
    if (table.empty() && !cli::is_json(arguments.format)) {
        std::printf("No components.\n");
        return cli::kExitOk;
    }
    table.print(arguments.format);
    return cli::kExitOk;
}

int run_status(const Arguments& arguments) {
    services::HealthClient client = client_for(arguments, kDefaultTimeoutSeconds);
    auto status = answer_map(client.get_status(arguments.name), services::health::kGetStatus);
    if (!status) return report(status.error(), arguments, "reading the status of " + arguments.name);
    if (cli::is_json(arguments.format)) {
        cli::print_json(Object(*status), cli::json_style(arguments.format));
        return cli::kExitOk;
    }
    std::string version = string_field(*status, "version");
    std::printf("name:      %s\n", string_field(*status, "component_name").c_str());
    std::printf("version:   %s\n", version.empty() ? "-" : version.c_str());
    std::printf("state:     %s\n", string_field(*status, "lifecycle_state").c_str());
    std::printf("since:     %s\n", cli::format_local_time(int_field(*status, "since")).c_str());
    std::printf("phase:     %s\n", string_field(*status, "phase").c_str());
    std::printf("restarts:  %lld\n", static_cast<long long>(int_field(*status, "n_restarts")));
    std::printf("last exit: %s\n", how_it_ended(*status).c_str());
    return cli::kExitOk;
}

int run_job(const Arguments& arguments, Result<Object> (services::HealthClient::*method)(std::string_view),
            const char* doing) {
    services::HealthClient client = client_for(arguments, kDefaultJobTimeoutSeconds);
    auto result = (client.*method)(arguments.name);
    if (!result) return report(result.error(), arguments, std::string(doing) + " " + arguments.name);
    return cli::kExitOk;
}

int run_restart(const Arguments& arguments) {
    return run_job(arguments, &services::HealthClient::restart_component, "restarting");
}
int run_stop(const Arguments& arguments) {
    return run_job(arguments, &services::HealthClient::stop_component, "stopping");
}

int run_logs(const Arguments& arguments) {
    return run_component_logs(arguments.name, arguments.lines, arguments.follow, arguments.format);
}

void add_name(CLI::App& verb, Arguments& arguments) {
    verb.add_option("NAME", arguments.name, "Component name")->required()->check(cli::completer(component_candidates));
}

void add_nothing(CLI::App&, Arguments&) {}

void add_logs(CLI::App& verb, Arguments& arguments) {
    add_name(verb, arguments);
    verb.add_flag("-f,--follow", arguments.follow, "Print new lines as they come, until Ctrl-C");
    verb.add_option("-n,--lines", arguments.lines, "Print the last N lines (default 50)")
        ->type_name("N")
        ->check(cli::non_negative_integer());
}

constexpr Verb kVerbs[] = {
    {"list", "List components with version, state and since when", kListFooter, add_nothing, run_list},
    {"status", "Show a component's state, phase and last exit", kStatusFooter, add_name, run_status},
    {"restart", "Restart a component (also a BROKEN one)", kRestartFooter, add_name, run_restart},
    {"stop", "Stop a component", kStopFooter, add_name, run_stop},
    {"logs", "Print a component's log from the journal", kLogsFooter, add_logs, run_logs},
};

void add_global_options(CLI::App& app, Arguments& arguments) {
    cli::add_output_option(app, arguments.format);
    app.add_option("--socket", arguments.socket_path, "gghealthd's socket (default $GGL_RUNTIME_DIR/gg_health)")
        ->type_name("PATH");
    cli::add_timeout_option(app, arguments.timeout_seconds,
                            "Seconds to wait for gghealthd (default 10; restart and stop 150)");
}

} // namespace

std::vector<cli::Candidate> component_candidates(const cli::CompletionContext& context) {
    Arguments arguments;
    arguments.socket_path = context.option("--socket");
    auto client =
        services::HealthClient::at_path(socket_path_of(arguments), bus::ClientOptions{cli::kCompletionTimeout, 0});
    auto listed = answer_map(client.list_components(), services::health::kListComponents);
    std::vector<cli::Candidate> names;
    const Object* components = listed ? listed->find("components") : nullptr;
    if (components != nullptr && components->is_list()) {
        for (const Object& component : components->as_list()) {
            names.push_back({string_field(component, "component_name"), string_field(component, "lifecycle_state")});
        }
    }
    return names;
}

int run_component_command(int argc, char** argv) {
    const cli::ProgramText program{"ggl component", "List, inspect, restart and stop components, and read their logs.",
                                   kProgramFooter};
    Arguments arguments;
    return cli::run_verb_program(program, argc, argv, kVerbs, arguments, add_global_options);
}

} // namespace ggl::front
