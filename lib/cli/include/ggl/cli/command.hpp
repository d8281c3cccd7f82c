// The command-line parser of the ggl commands: a tree of commands (a program and its
// verbs), each with options and positionals bound to variables. It parses argv, prints
// --help and --version, and gives one-line usage errors; completion (completion.hpp)
// walks the same tree, so --help, parsing and completion cannot disagree.
//
// Syntax accepted, as getopt_long users expect: --name VALUE, --name=VALUE, -n VALUE,
// -nVALUE, clustered short flags (-fr), "--" ending the options, "-" as a value. A
// word that starts with '-' and a digit is a value when no short option has that name.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace ggl::cli {

// Checks a value before it is stored: "" when it is acceptable, else what is wrong
// ("must be a whole number above zero, not '0'"); the error names the option.
using Check = std::function<std::string(const std::string& value)>;

Check positive_seconds();      // a number of seconds, fractions allowed: > 0 and < 1e9
Check positive_integer();      // a whole number >= 1
Check non_negative_integer();  // a whole number >= 0
Check integer_in(int64_t low, int64_t high);

// What the shell completes an option's value with (completion.hpp).
enum class ValueKind { Plain, Files, Directories };

struct Candidate {
    std::string value;
    std::string description;  // shown by zsh and fish; may be empty
};

// What a completer knows of the command line before the word being completed.
struct CompletionContext {
    std::vector<std::string> verbs;        // the verbs chosen, e.g. {"call"}
    std::vector<std::string> positionals;  // given to the innermost one so far
    // Values of the options given so far, by the option's first long name ("--db").
    std::map<std::string, std::string> options;
    std::string word;  // the word being completed (a prefix)

    // The option's value, or "" when it was not given.
    std::string option(const std::string& name) const;
};

// Candidates for the values of an option or positional. Completers that ask a daemon
// use kCompletionTimeout and return nothing on any error: completion stays quiet.
using Completer = std::function<std::vector<Candidate>(const CompletionContext& context)>;

class Option {
public:
    // TYPE shown after the names in --help ("--timeout SECONDS"); "" shows none.
    Option* type_name(std::string name);
    Option* required(bool value = true);
    // The most values a repeatable option or positional takes (default: no limit).
    Option* expected(size_t count);
    Option* check(Check check);
    // The only values accepted; completion offers them.
    Option* choices(std::vector<std::string> values);
    // Called with each value given (for a flag without a variable: its =VALUE, or "true").
    Option* each(std::function<void(const std::string& value)> callback);
    Option* excludes(Option* other);
    // Shown in --help instead of the type name ("[=pretty|short]"); for a flag, the
    // values its =VALUE takes, which completion offers.
    Option* option_text(std::string text);
    // Completion: candidates from completer, or file names. An option whose type name is
    // FILE or PATH (files) or DIR (directories) completes those unasked.
    Option* complete_with(Completer completer);
    Option* complete_files();

    bool is_positional() const { return positional_; }
    bool takes_value() const { return takes_value_; }
    bool is_repeatable() const { return repeatable_; }
    size_t max_values() const;
    const std::string& name() const { return name_; }  // "SERVICE", or "--db" / "-n"
    const std::vector<std::string>& long_names() const { return long_names_; }  // without "--"
    const std::string& short_names() const { return short_names_; }             // one letter each
    const std::string& get_description() const { return description_; }
    const std::string& get_type_name() const { return type_name_; }
    const std::string& get_option_text() const { return option_text_; }
    // The values completion offers: those of choices(), or of option_text("[=a|b]").
    const std::vector<std::string>& offered() const { return offered_; }
    const Completer& completer() const { return completer_; }
    ValueKind value_kind() const;
    size_t count() const { return count_; }  // how often it was given

private:
    friend class Command;
    // Converts and stores one value; "" or what is wrong with it.
    using Store = std::function<std::string(const std::string& value)>;

    std::string name_;
    std::vector<std::string> long_names_;
    std::string short_names_;
    std::string description_;
    std::string type_name_;
    std::string option_text_;
    bool positional_ = false;
    bool takes_value_ = true;
    bool repeatable_ = false;
    bool required_ = false;
    size_t max_values_ = 0;  // 0: no limit (repeatable ones)
    std::vector<Check> checks_;
    std::vector<std::string> offered_;
    std::vector<std::function<void(const std::string&)>> callbacks_;
    std::vector<const Option*> excluded_;
    Completer completer_;
    bool files_ = false;  // complete_files()
    Store store_;
    size_t count_ = 0;
};

// How a variable takes a value from the command line.
namespace detail {
std::string store_text(std::string& target, const std::string& value);
std::string store_integer(int64_t& target, const std::string& value, int64_t low, int64_t high);
std::string store_unsigned(uint64_t& target, const std::string& value);
std::string store_double(double& target, const std::string& value);

template <typename T>
std::string store(T& target, const std::string& value) {
    if constexpr (std::is_same_v<T, std::string>) {
        return store_text(target, value);
    } else if constexpr (std::is_floating_point_v<T>) {
        double parsed = 0;
        std::string error = store_double(parsed, value);
        if (error.empty()) target = static_cast<T>(parsed);
        return error;
    } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
        uint64_t parsed = 0;
        std::string error = store_unsigned(parsed, value);
        if (error.empty() && parsed > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
            error = "'" + value + "' is too large";
        }
        if (error.empty()) target = static_cast<T>(parsed);
        return error;
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        int64_t parsed = 0;
        std::string error =
            store_integer(parsed, value, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
        if (error.empty()) target = static_cast<T>(parsed);
        return error;
    } else {
        static_assert(sizeof(T) == 0, "no command-line conversion for this type");
    }
}

template <typename T>
struct Binding {
    static constexpr bool kRepeatable = false;
    static std::string assign(T& target, const std::string& value) { return store(target, value); }
};
template <typename T>
struct Binding<std::optional<T>> {
    static constexpr bool kRepeatable = false;
    static std::string assign(std::optional<T>& target, const std::string& value) {
        T parsed{};
        std::string error = store(parsed, value);
        if (error.empty()) target = std::move(parsed);
        return error;
    }
};
template <typename T>
struct Binding<std::vector<T>> {
    static constexpr bool kRepeatable = true;
    static std::string assign(std::vector<T>& target, const std::string& value) {
        T parsed{};
        std::string error = store(parsed, value);
        if (error.empty()) target.push_back(std::move(parsed));
        return error;
    }
};
} // namespace detail

class Command {
public:
    // name: what usage and errors call the command ("ggl config", or a verb's "get").
    explicit Command(std::string description, std::string name = "");
    Command(const Command&) = delete;
    Command& operator=(const Command&) = delete;

    // names: "--db", "-n,--count", or a positional's "NAME".
    template <typename T>
    Option* add_option(const std::string& names, T& target, const std::string& description = "") {
        Option* option = add(names, description, true, detail::Binding<T>::kRepeatable);
        option->store_ = [&target](const std::string& value) { return detail::Binding<T>::assign(target, value); };
        return option;
    }
    // A flag that sets target; --flag=false clears it.
    Option* add_flag(const std::string& names, bool& target, const std::string& description = "");
    // A flag without a variable: each() receives its =VALUE, or "true" when bare.
    Option* add_flag(const std::string& names, const std::string& description = "");

    // A verb, listed under "Verbs:" unless its group is "" (then it is hidden).
    Command* add_subcommand(const std::string& name, const std::string& description);
    Command* group(std::string name);
    Command* footer(std::string text);
    // Offers --version, printing text, on this command.
    void set_version(std::string text);

    Option* get_option(const std::string& name);

    const std::string& get_name() const { return name_; }
    const std::string& get_description() const { return description_; }
    const std::string& get_group() const { return group_; }
    bool is_listed() const { return !group_.empty(); }
    // Options then positionals, in the order they were added (--help first).
    const std::vector<std::unique_ptr<Option>>& options() const { return options_; }
    const std::vector<std::unique_ptr<Command>>& subcommands() const { return subcommands_; }
    Command* find_subcommand(const std::string& name) const;
    Option* find_long(const std::string& name) const;
    Option* find_short(char name) const;
    // The positional that takes the next positional word after given ones; null if none.
    Option* positional_after(size_t given) const;
    Command* parent() const { return parent_; }
    // "ggl bus call": the program's name and the verbs down to this one.
    std::string path() const;
    // The verb the parsed command line chose, if any.
    Command* chosen() const { return chosen_; }

    // The whole --help text.
    std::string help() const;

    // Parses argv (argv[0] is the program): nullopt when the command should run, else
    // the status to end with, after --help or --version (printed to stdout, status 0)
    // or a one-line usage error (report_usage_error(), naming PATH --help). A command
    // that has verbs requires one.
    std::optional<int> parse(int argc, char** argv);

private:
    Option* add(const std::string& names, const std::string& description, bool takes_value, bool repeatable);
    std::string give(Option& option, const std::string& value);
    std::string missing() const;

    std::string name_;
    std::string description_;
    std::string group_ = "Verbs";
    std::string footer_;
    std::string version_;
    Command* parent_ = nullptr;
    Command* chosen_ = nullptr;
    std::vector<std::unique_ptr<Option>> options_;
    std::vector<std::unique_ptr<Command>> subcommands_;
};

} // namespace ggl::cli
