// `ggl bus call` and `ggl bus notify`: one request, answered or not.
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"

namespace ggl::bus_cli {

int run_call(const GlobalOptions& options, const VerbArguments& arguments) {
    auto request = request_of(options, arguments);
    if (!request) {
        return report_bus_error(request.error(), options);
    }
    auto result = request->client.call(arguments.method, std::move(request->params));
    if (!result) {
        return report_bus_error(result.error(), options);
    }
    // Results are JSON even for people: any other rendering would hide their structure.
    cli::print_json(*result, cli::json_style(options.format));
    return cli::kExitOk;
}

int run_notify(const GlobalOptions& options, const VerbArguments& arguments) {
    auto request = request_of(options, arguments);
    if (!request) {
        return report_bus_error(request.error(), options);
    }
    if (auto sent = request->client.notify(arguments.method, std::move(request->params)); !sent) {
        return report_bus_error(sent.error(), options);
    }
    return cli::kExitOk;
}

} // namespace ggl::bus_cli
