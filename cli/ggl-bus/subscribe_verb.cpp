// `ggl bus subscribe`: streams a subscription's events as JSON lines until it ends,
// --count events have arrived, or the user interrupts (a clean cancel, exit 0).
#include "bus_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/subscription.hpp"

namespace ggl::bus_cli {
namespace {

class EventPrinter {
public:
    EventPrinter(cli::OutputFormat format, uint64_t limit)
        // JSON lines unless the user asked for pretty output.
        : style_(format == cli::OutputFormat::JsonPretty ? JsonStyle::Pretty : JsonStyle::Short), limit_(limit) {}

    void print(const Object& event) {
        cli::print_json(event, style_);
        ++printed_;
    }
    bool reached_limit() const { return limit_ != 0 && printed_ >= limit_; }

private:
    JsonStyle style_;
    uint64_t limit_;
    uint64_t printed_ = 0;
};

} // namespace

int run_subscribe(const GlobalOptions& options, const VerbArguments& arguments) {
    auto request = request_of(options, arguments);
    if (!request) {
        return report_bus_error(request.error(), options);
    }
    cli::install_stop_handlers();
    EventPrinter printer(options.format, arguments.count);
    // --timeout bounds the wait for the server to accept; events may then take as long
    // as they take.
    auto streamed = cli::stream_subscription(request->client, arguments.method, std::move(request->params),
                                             timeout_of(options), [&](const Object& event) {
                                                 printer.print(event);
                                                 return !printer.reached_limit();
                                             });
    if (!streamed) {
        return report_bus_error(streamed.error(), options);
    }
    return cli::kExitOk;
}

} // namespace ggl::bus_cli
