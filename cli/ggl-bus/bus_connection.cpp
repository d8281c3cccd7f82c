// Where `ggl bus` finds a service and how long it waits for it.
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/json_input.hpp"
#include "ggl/env.hpp"

#include <cmath>
#include <cstdio>

namespace ggl::bus_cli {

std::chrono::milliseconds timeout_of(const GlobalOptions& options) {
    // Rounded up: a fractional timeout such as 0.0005 s still allows some wait.
    auto ms = static_cast<int64_t>(std::ceil(options.timeout_seconds * 1000.0));
    return std::chrono::milliseconds(ms < 1 ? 1 : ms);
}

Result<std::string> socket_path_for(const GlobalOptions& options, std::string_view service) {
    if (options.socket_path.empty()) {
        return env::service_socket_path(service);
    }
    // The client wants a path with a slash, so that a bare name is never taken for a service.
    if (options.socket_path.find('/') == std::string::npos) {
        return "./" + options.socket_path;
    }
    return options.socket_path;
}

Result<bus::Client> client_for(const GlobalOptions& options, std::string_view service) {
    auto path = socket_path_for(options, service);
    if (!path) {
        return std::move(path).error();
    }
    bus::ClientOptions client_options;
    client_options.timeout = timeout_of(options);
    return bus::Client::for_path(std::move(*path), client_options);
}

Result<Map> params_of(const VerbArguments& arguments) {
    if (!arguments.params_given) {
        return Map{};
    }
    return cli::read_json_object(arguments.params_json, "params");
}

Result<Request> request_of(const GlobalOptions& options, const VerbArguments& arguments) {
    auto params = params_of(arguments);
    if (!params) {
        return std::move(params).error();
    }
    auto client = client_for(options, arguments.service);
    if (!client) {
        return std::move(client).error();
    }
    return Request{std::move(*params), std::move(*client)};
}

int report_bus_error(const Error& error, const GlobalOptions& options) {
    if (error.remote || error.code != ErrorCode::Timeout) {
        return cli::report_error(error);
    }
    char waited[64];
    std::snprintf(waited, sizeof waited, " (waited %g s; see --timeout)", options.timeout_seconds);
    Error explained = error;
    explained.message += waited;
    return cli::report_error(explained);
}

} // namespace ggl::bus_cli
