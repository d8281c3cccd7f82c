// The command line of a daemon or of recipe-runner: a few options, no verbs. The same
// parse, --help, --version and usage errors as the ggl commands (command_line.hpp), with
// the CLI11 machinery kept inside libggl-cli: a program that includes only this header
// builds without CLI11 and without exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ggl::cli {

class ProgramOptions {
public:
    // A check on a text option's value: empty when it is acceptable, else the reason,
    // "must be ..., not 'VALUE'", which the usage error puts after the option's name.
    using Rule = std::function<std::string(const std::string& value)>;

    // footer: the text after the options in --help (details, environment, exit statuses).
    ProgramOptions(const std::string& name, const std::string& description, const std::string& footer = {});
    ~ProgramOptions();
    ProgramOptions(const ProgramOptions&) = delete;
    ProgramOptions& operator=(const ProgramOptions&) = delete;

    // An option that takes a value (VALUE_NAME in --help); rule, if given, checks it.
    void text(const std::string& names, std::string& value, const std::string& help, const std::string& value_name,
              bool required = false, Rule rule = nullptr);
    // An option that takes a whole number from low to high (cli::integer_in()).
    void integer(const std::string& names, size_t& value, const std::string& help, const std::string& value_name,
                 int64_t low, int64_t high);
    // An option without a value.
    void flag(const std::string& names, bool& value, const std::string& help);

    // Parses argv (cli::parse_command_line()): nullopt when the program should go on,
    // else the exit status to end with (0 after --help or --version, kExitUsage after a
    // usage error).
    std::optional<int> parse(int argc, char** argv);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ggl::cli
