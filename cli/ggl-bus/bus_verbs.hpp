// What the `ggl bus` verbs take from the command line, and the verbs themselves.
#pragma once

#include "ggl/bus_client.hpp"
#include "ggl/cli/completion.hpp"
#include "ggl/cli/output.hpp"
#include "ggl/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ggl::bus_cli {

inline constexpr double kDefaultTimeoutSeconds = 10;

// Options accepted before or after any verb.
struct GlobalOptions {
    cli::OutputFormat format = cli::OutputFormat::Human;
    double timeout_seconds = kDefaultTimeoutSeconds;
    std::string socket_path; // --socket: instead of $GGL_RUNTIME_DIR/<service>
};

struct VerbArguments {
    std::string service;
    std::string method;
    std::string params_json; // a JSON object, or "-" for stdin
    bool params_given = false; // absent params are {}; an empty argument is a mistake
    uint64_t count = 0; // subscribe --count; 0: until cancelled or ended
};

// Verbs return the process exit status.
int run_call(const GlobalOptions& options, const VerbArguments& arguments);
int run_notify(const GlobalOptions& options, const VerbArguments& arguments);
int run_subscribe(const GlobalOptions& options, const VerbArguments& arguments);
int run_list(const GlobalOptions& options, const VerbArguments& arguments);
int run_describe(const GlobalOptions& options, const VerbArguments& arguments);

// Completion (discovery_verbs.cpp): the services whose sockets accept a connection, and
// the methods a service describes (subscribe methods for subscribe, the others for
// call and notify); none when nothing answers within cli::kCompletionTimeout.
std::vector<cli::Candidate> service_candidates(const cli::CompletionContext& context);
std::vector<cli::Candidate> method_candidates(const cli::CompletionContext& context);

// Shared by the verbs (bus_connection.cpp).
std::chrono::milliseconds timeout_of(const GlobalOptions& options);
// --socket when given, else the service's socket under $GGL_RUNTIME_DIR.
Result<std::string> socket_path_for(const GlobalOptions& options, std::string_view service);
// A client for the service named in arguments (not yet connected).
Result<bus::Client> client_for(const GlobalOptions& options, std::string_view service);
// The request params: {} when none were given.
Result<Map> params_of(const VerbArguments& arguments);
// What call, notify and subscribe send: the params, then a client for the service.
struct Request {
    Map params;
    bus::Client client;
};
Result<Request> request_of(const GlobalOptions& options, const VerbArguments& arguments);
// Reports error on stderr, saying how long was waited when it is a local timeout;
// returns the exit status for it.
int report_bus_error(const Error& error, const GlobalOptions& options);

} // namespace ggl::bus_cli
