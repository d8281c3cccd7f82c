// `ggl component logs` in the helper program ggl-component-logs: the journal through
// lib/systemd (component_logs.hpp).
#include "component_logs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/subscription.hpp"
#include "ggl/systemd.hpp"

#include <cstdio>

namespace ggl::front {
namespace {

void print_line(const systemd::JournalLine& line, cli::OutputFormat format) {
    if (cli::is_json(format)) {
        Map object{{"time", static_cast<int64_t>(line.realtime_usec / 1000)},
                   {"identifier", line.identifier},
                   {"pid", line.pid},
                   {"message", line.message}};
        cli::print_json(Object(std::move(object)), JsonStyle::Short);
        return;
    }
    std::string when = cli::format_local_time(static_cast<int64_t>(line.realtime_usec / 1000), true);
    std::printf("%s %s[%u]: %s\n", when.c_str(), line.identifier.c_str(), line.pid, line.message.c_str());
    std::fflush(stdout);
}

} // namespace

// The journal's errors are FAILUREs of this machine (exit status 1), never gghealthd's.
int run_component_logs(const std::string& name, size_t lines, bool follow, cli::OutputFormat format) {
    if (!follow) {
        auto tail = systemd::journal_tail(name, lines);
        if (!tail) return cli::report_error(tail.error(), "reading the journal");
        for (const auto& line : *tail) print_line(line, format);
        return cli::kExitOk;
    }
    // Ctrl-C interrupts the journal wait, and the loop ends cleanly.
    cli::install_stop_handlers();
    auto followed = systemd::journal_follow(
        name, lines, [&](const systemd::JournalLine& line) { print_line(line, format); },
        [] { return cli::stop_requested(); });
    if (!followed) return cli::report_error(followed.error(), "following the journal");
    return cli::kExitOk;
}

} // namespace ggl::front
