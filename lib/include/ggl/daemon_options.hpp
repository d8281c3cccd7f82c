// A daemon's command line: --help, --version and a few valued options. Daemons take no
// option parser library: CLI11 was most of a small daemon's code and a good part of its
// resident memory, for a handful of options that systemd units rarely pass.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ggl {

class DaemonOptions {
public:
    DaemonOptions(std::string program, std::string version, std::string description);

    // --NAME N or --NAME=N: an unsigned integer in [min, max], decimal.
    void add_number(std::string name, size_t& target, size_t min, size_t max, std::string help);
    // --NAME VALUE or --NAME=VALUE.
    void add_string(std::string name, std::string& target, std::string help);
    // Text after the options in --help.
    void footer(std::string text) { footer_ = std::move(text); }

    // -1: go on. Otherwise the process's exit code: 0 after --help or --version (printed
    // on stdout), 2 after a usage error (named on stderr).
    int parse(int argc, char** argv) const;
    // What parse decides, without printing: the exit code and the text for stdout (exit
    // code 0) or stderr (2).
    struct Outcome {
        int exit_code = -1;
        std::string text;
    };
    Outcome evaluate(int argc, const char* const* argv) const;
    std::string help() const;

private:
    struct Option {
        std::string name;  // without the dashes
        std::string help;
        size_t* number = nullptr;
        std::string* text = nullptr;
        size_t min = 0;
        size_t max = 0;
    };
    Outcome usage_error(const std::string& message) const;
    // Stores value into option; a message when it does not fit.
    std::string assign(const Option& option, const std::string& value) const;

    std::string program_;
    std::string version_;
    std::string description_;
    std::string footer_;
    std::vector<Option> options_;
};

} // namespace ggl
