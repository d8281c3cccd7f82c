// Error and warning lines on stderr, one line each, labelled with the program.
#include "ggl/cli/error_report.hpp"

#include <cstdio>
#include <utility>

namespace ggl::cli {
namespace {

std::string& label_storage() {
    static std::string label = "ggl";
    return label;
}

// Messages may come from a remote daemon: keep them on one line and keep terminal
// control sequences out of the user's terminal.
void append_printable(std::string& line, std::string_view text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        line.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
    }
}

void write_line(std::string_view kind, std::string_view first, std::string_view second = {},
                std::string_view third = {}) {
    std::string line = label_storage();
    line += ": ";
    line += kind;
    line += ": ";
    append_printable(line, first);
    append_printable(line, second);
    append_printable(line, third);
    line += '\n';
    // One write, so lines of concurrent programs sharing a terminal do not interleave.
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace

void set_program_label(std::string label) { label_storage() = std::move(label); }

const std::string& program_label() { return label_storage(); }

ExitCode report_error(const Error& error) {
    std::string code(error_code_name(error.code));
    if (error.message.empty()) {
        write_line("error", code);
    } else {
        write_line("error", code, ": ", error.message);
    }
    return exit_code_for(error);
}

ExitCode report_error(const Error& error, std::string_view context) {
    std::string prefix(error_code_name(error.code));
    prefix += ": ";
    prefix += context;
    if (error.message.empty()) {
        write_line("error", prefix);
    } else {
        write_line("error", prefix, ": ", error.message);
    }
    return exit_code_for(error);
}

void print_error(std::string_view message) { write_line("error", message); }

ExitCode report_usage_error(std::string_view message) {
    print_error(message);
    return kExitUsage;
}

void report_warning(std::string_view message) { write_line("warning", message); }

} // namespace ggl::cli
