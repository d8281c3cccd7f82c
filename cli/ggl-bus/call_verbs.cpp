// `ggl bus call` and `ggl bus notify`: one request, answered or not.
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"

namespace ggl::bus_cli {

int run_call(const GlobalOptions& options, const VerbArguments& arguments) {
    auto params = params_of(arguments);
    if (!params) {
        return report_bus_error(params.error(), options);
    }
    auto client = client_for(options, arguments.service);
    if (!client) {
        return report_bus_error(client.error(), options);
    }
    auto result = client->call(arguments.method, std::move(*params));
    if (!result) {
        return report_bus_error(result.error(), options);
    }
    // Results are JSON even for people: any other rendering would hide their structure.
    cli::print_json(*result, cli::json_style(options.format));
    return cli::kExitOk;
}

int run_notify(const GlobalOptions& options, const VerbArguments& arguments) {
    auto params = params_of(arguments);
    if (!params) {
        return report_bus_error(params.error(), options);
    }
    auto client = client_for(options, arguments.service);
    if (!client) {
        return report_bus_error(client.error(), options);
    }
    if (auto sent = client->notify(arguments.method, std::move(*params)); !sent) {
        return report_bus_error(sent.error(), options);
    }
    return cli::kExitOk;
}

} // namespace ggl::bus_cli
