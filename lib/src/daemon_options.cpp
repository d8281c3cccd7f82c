// A daemon's command line (daemon_options.hpp).
#include "ggl/daemon_options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace ggl {
namespace {

constexpr size_t kHelpColumn = 28;

void append_row(std::string& out, const std::string& left, const std::string& help) {
    out += "  " + left;
    if (left.size() + 2 < kHelpColumn) {
        out.append(kHelpColumn - left.size() - 2, ' ');
    } else {
        out += '\n';
        out.append(kHelpColumn, ' ');
    }
    out += help + '\n';
}

} // namespace

DaemonOptions::DaemonOptions(std::string program, std::string version, std::string description)
    : program_(std::move(program)), version_(std::move(version)), description_(std::move(description)) {}

void DaemonOptions::add_number(std::string name, size_t& target, size_t min, size_t max, std::string help) {
    options_.push_back({std::move(name), std::move(help), &target, nullptr, min, max});
}

void DaemonOptions::add_string(std::string name, std::string& target, std::string help) {
    options_.push_back({std::move(name), std::move(help), nullptr, &target, 0, 0});
}

std::string DaemonOptions::help() const {
    std::string out = description_ + "\nUsage: " + program_ + (options_.empty() ? "" : " [OPTIONS]") +
                      " [--help] [--version]\n\nOptions:\n";
    append_row(out, "-h,--help", "Print this help message and exit");
    append_row(out, "--version", "Print the version and exit");
    for (const Option& option : options_) {
        if (option.number != nullptr) {
            append_row(out, "--" + option.name + " N",
                       option.help + " (" + std::to_string(option.min) + " to " + std::to_string(option.max) +
                           "; default " + std::to_string(*option.number) + ")");
        } else {
            append_row(out, "--" + option.name + " VALUE",
                       option.help + (option.text->empty() ? "" : " (default " + *option.text + ")"));
        }
    }
    if (!footer_.empty()) {
        out += '\n' + footer_ + '\n';
    }
    return out;
}

DaemonOptions::Outcome DaemonOptions::usage_error(const std::string& message) const {
    return {2, program_ + ": error: " + message + " (see " + program_ + " --help)\n"};
}

std::string DaemonOptions::assign(const Option& option, const std::string& value) const {
    if (option.text != nullptr) {
        *option.text = value;
        return {};
    }
    std::string range = std::to_string(option.min) + " to " + std::to_string(option.max);
    bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
    errno = 0;
    unsigned long long parsed = digits ? std::strtoull(value.c_str(), nullptr, 10) : 0;
    if (!digits || errno == ERANGE || parsed < option.min || parsed > option.max) {
        return "--" + option.name + ": '" + value + "' is not a whole number from " + range;
    }
    *option.number = static_cast<size_t>(parsed);
    return {};
}

int DaemonOptions::parse(int argc, char** argv) const {
    Outcome outcome = evaluate(argc, argv);
    if (outcome.exit_code >= 0) {
        std::fputs(outcome.text.c_str(), outcome.exit_code == 0 ? stdout : stderr);
    }
    return outcome.exit_code;
}

DaemonOptions::Outcome DaemonOptions::evaluate(int argc, const char* const* argv) const {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            return {0, help()};
        }
        if (arg == "--version") {
            return {0, program_ + " " + version_ + "\n"};
        }
        if (!arg.starts_with("--")) {
            return usage_error("unexpected argument '" + arg + "'");
        }
        size_t equals = arg.find('=');
        std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
        const Option* option = nullptr;
        for (const Option& candidate : options_) {
            if (candidate.name == name) option = &candidate;
        }
        if (option == nullptr) {
            return usage_error("unknown option '--" + name + "'");
        }
        std::string value;
        if (equals != std::string::npos) {
            value = arg.substr(equals + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return usage_error("--" + name + " needs a value");
        }
        if (std::string problem = assign(*option, value); !problem.empty()) {
            return usage_error(problem);
        }
    }
    return {};
}

} // namespace ggl
