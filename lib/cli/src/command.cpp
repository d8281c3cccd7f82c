// The command-line parser of the ggl commands (command.hpp).
#include "ggl/cli/command.hpp"

#include "ggl/cli/error_report.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ggl::cli {
namespace {

constexpr size_t kHelpColumn = 30;  // where descriptions start in --help

bool parse_double(const std::string& text, double& value) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
    errno = 0;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && errno == 0 && std::isfinite(value);
}

// Parses the whole of text as a number of type T (std::from_chars); errc::invalid_argument
// when anything follows the digits.
template <typename T>
std::errc parse_whole(const std::string& text, T& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end != text.data() + text.size()) return std::errc::invalid_argument;
    return error;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

void add_row(std::string& out, const std::string& left, const std::string& right) {
    out += "  " + left;
    if (left.size() + 2 >= kHelpColumn) {
        out += '\n';
        out.append(kHelpColumn, ' ');
    } else {
        out.append(kHelpColumn - 2 - left.size(), ' ');
    }
    out += right;
    out += '\n';
}

} // namespace

// --- checks -------------------------------------------------------------------------

Check positive_seconds() {
    return [](const std::string& value) -> std::string {
        double seconds = 0;
        if (parse_double(value, seconds) && seconds > 0 && seconds < 1e9) return {};
        return "must be a positive number of seconds, not '" + value + "'";
    };
}

Check positive_integer() {
    return [](const std::string& value) -> std::string {
        uint64_t number = 0;
        if (parse_whole(value, number) == std::errc() && number > 0) return {};
        return "must be a whole number above zero, not '" + value + "'";
    };
}

Check non_negative_integer() {
    return [](const std::string& value) -> std::string {
        uint64_t number = 0;
        if (parse_whole(value, number) == std::errc()) return {};
        return "must be a whole number, zero or more, not '" + value + "'";
    };
}

Check integer_in(int64_t low, int64_t high) {
    return [low, high](const std::string& value) -> std::string {
        int64_t number = 0;
        if (parse_whole(value, number) == std::errc() && number >= low && number <= high) return {};
        return "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", not '" +
               value + "'";
    };
}

std::string CompletionContext::option(const std::string& name) const {
    auto found = options.find(name);
    return found == options.end() ? std::string() : found->second;
}

// --- conversions --------------------------------------------------------------------

namespace detail {

std::string store_text(std::string& target, const std::string& value) {
    target = value;
    return {};
}

std::string store_integer(int64_t& target, const std::string& value, int64_t low, int64_t high) {
    std::errc error = parse_whole(value, target);
    if (error == std::errc() && target >= low && target <= high) return {};
    if (error == std::errc() || error == std::errc::result_out_of_range) return "'" + value + "' is out of range";
    return "must be a whole number, not '" + value + "'";
}

std::string store_unsigned(uint64_t& target, const std::string& value) {
    std::errc error = parse_whole(value, target);
    if (error == std::errc()) return {};
    if (error == std::errc::result_out_of_range) return "'" + value + "' is out of range";
    return "must be a whole number, zero or more, not '" + value + "'";
}

std::string store_double(double& target, const std::string& value) {
    if (parse_double(value, target)) return {};
    return "must be a number, not '" + value + "'";
}

} // namespace detail

// --- Option -------------------------------------------------------------------------

Option* Option::type_name(std::string name) {
    type_name_ = std::move(name);
    return this;
}

Option* Option::required(bool value) {
    required_ = value;
    return this;
}

Option* Option::expected(size_t count) {
    max_values_ = count;
    return this;
}

Option* Option::check(Check check) {
    checks_.push_back(std::move(check));
    return this;
}

Option* Option::choices(std::vector<std::string> values) {
    offered_ = std::move(values);
    return check([this](const std::string& value) -> std::string {
        std::string listed;
        for (const std::string& choice : offered_) {
            if (choice == value) return {};
            listed += (listed.empty() ? "" : ", ") + choice;
        }
        return "must be one of " + listed + "; not '" + value + "'";
    });
}

Option* Option::each(std::function<void(const std::string& value)> callback) {
    callbacks_.push_back(std::move(callback));
    return this;
}

Option* Option::excludes(Option* other) {
    excluded_.push_back(other);
    other->excluded_.push_back(this);
    return this;
}

Option* Option::option_text(std::string text) {
    option_text_ = std::move(text);
    if (option_text_.starts_with("[=") && option_text_.ends_with("]")) {
        offered_ = split(option_text_.substr(2, option_text_.size() - 3), '|');
    }
    return this;
}

Option* Option::complete_with(Completer completer) {
    completer_ = std::move(completer);
    return this;
}

Option* Option::complete_files() {
    files_ = true;
    return this;
}

size_t Option::max_values() const {
    if (!repeatable_) return 1;
    return max_values_ == 0 ? std::numeric_limits<size_t>::max() : max_values_;
}

ValueKind Option::value_kind() const {
    if (files_) return ValueKind::Files;
    for (const std::string& piece : split(type_name_, '|')) {
        if (piece == "DIR") return ValueKind::Directories;
        if (piece == "FILE" || piece == "PATH") return ValueKind::Files;
    }
    return ValueKind::Plain;
}

// --- Command ------------------------------------------------------------------------

Command::Command(std::string description, std::string name)
    : name_(std::move(name)), description_(std::move(description)) {
    add_flag("-h,--help", "Print this help message and exit");
}

Option* Command::add(const std::string& names, const std::string& description, bool takes_value, bool repeatable) {
    auto option = std::make_unique<Option>();
    for (const std::string& name : split(names, ',')) {
        if (name.starts_with("--")) {
            option->long_names_.push_back(name.substr(2));
        } else if (name.size() == 2 && name[0] == '-') {
            option->short_names_ += name[1];
        } else {
            option->name_ = name;
            option->positional_ = true;
        }
    }
    if (!option->positional_) {
        option->name_ = option->long_names_.empty() ? "-" + option->short_names_.substr(0, 1)
                                                    : "--" + option->long_names_.front();
    }
    option->description_ = description;
    option->takes_value_ = takes_value;
    option->repeatable_ = repeatable;
    options_.push_back(std::move(option));
    return options_.back().get();
}

Option* Command::add_flag(const std::string& names, bool& target, const std::string& description) {
    Option* option = add(names, description, false, false);
    option->store_ = [&target](const std::string& value) -> std::string {
        if (value == "true") {
            target = true;
        } else if (value == "false") {
            target = false;
        } else {
            return "takes no value but true or false, not '" + value + "'";
        }
        return {};
    };
    return option;
}

Option* Command::add_flag(const std::string& names, const std::string& description) {
    Option* option = add(names, description, false, false);
    option->store_ = [](const std::string&) { return std::string(); };
    return option;
}

Command* Command::add_subcommand(const std::string& name, const std::string& description) {
    auto command = std::make_unique<Command>(description, name);
    command->parent_ = this;
    subcommands_.push_back(std::move(command));
    return subcommands_.back().get();
}

Command* Command::group(std::string name) {
    group_ = std::move(name);
    return this;
}

Command* Command::footer(std::string text) {
    footer_ = std::move(text);
    return this;
}

void Command::set_version(std::string text) {
    if (version_.empty()) add_flag("--version", "Display program version information and exit");
    version_ = std::move(text);
}

Option* Command::get_option(const std::string& name) {
    for (const auto& option : options_) {
        if (option->name_ == name) return option.get();
    }
    return nullptr;
}

Command* Command::find_subcommand(const std::string& name) const {
    for (const auto& command : subcommands_) {
        if (command->name_ == name) return command.get();
    }
    return nullptr;
}

Option* Command::find_long(const std::string& name) const {
    for (const auto& option : options_) {
        for (const std::string& candidate : option->long_names_) {
            if (candidate == name) return option.get();
        }
    }
    return nullptr;
}

Option* Command::positional_after(size_t given) const {
    for (const auto& option : options_) {
        if (!option->positional_) continue;
        size_t room = option->max_values();
        if (given < room) return option.get();
        given -= room;
    }
    return nullptr;
}

Option* Command::find_short(char name) const {
    for (const auto& option : options_) {
        if (option->short_names_.find(name) != std::string::npos) return option.get();
    }
    return nullptr;
}

std::string Command::path() const {
    return parent_ == nullptr ? name_ : parent_->path() + " " + name_;
}

std::string Command::help() const {
    std::string usage = "Usage: " + path() + " [OPTIONS]";
    bool has_verbs = false;
    for (const auto& command : subcommands_) has_verbs = has_verbs || command->is_listed();
    if (has_verbs) usage += " VERB";
    std::string positionals;
    std::string options;
    for (const auto& option : options_) {
        bool many = option->max_values() > 1;
        std::string suffix = std::string(option->required_ ? " REQUIRED" : "") + (many ? " ..." : "");
        if (option->positional_) {
            std::string shown = option->name_ + (many ? "..." : "");
            usage += " " + (option->required_ ? shown : "[" + shown + "]");
            add_row(positionals, option->name_ + suffix, option->description_);
            continue;
        }
        std::string left;
        for (char name : option->short_names_) left += (left.empty() ? "-" : ",-") + std::string(1, name);
        for (const std::string& name : option->long_names_) left += (left.empty() ? "--" : ",--") + name;
        if (!option->option_text_.empty()) {
            left += " " + option->option_text_;
        } else if (option->takes_value_ && !option->type_name_.empty()) {
            left += " " + option->type_name_;
        }
        add_row(options, left + suffix, option->description_);
    }
    std::string out = description_ + "\n" + usage + "\n";
    if (!positionals.empty()) out += "\nPositionals:\n" + positionals;
    out += "\nOptions:\n" + options;
    std::string verbs;
    for (const auto& command : subcommands_) {
        if (command->is_listed()) add_row(verbs, command->name_, command->description_);
    }
    if (!verbs.empty()) out += "\nVerbs:\n" + verbs;
    if (!footer_.empty()) out += "\n" + footer_;
    return out;
}

std::string Command::give(Option& option, const std::string& value) {
    for (const Check& check : option.checks_) {
        if (std::string problem = check(value); !problem.empty()) return problem;
    }
    if (std::string problem = option.store_(value); !problem.empty()) return problem;
    for (const auto& callback : option.callbacks_) callback(value);
    ++option.count_;
    return {};
}

std::string Command::missing() const {
    for (const auto& option : options_) {
        if (option->required_ && option->count_ == 0) return option->name_ + " is required";
        if (option->count_ == 0) continue;
        for (const Option* other : option->excluded_) {
            if (other->count_ != 0) return option->name_ + " cannot be used with " + other->name_;
        }
    }
    return {};
}

std::optional<int> Command::parse(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    Command* current = this;
    bool only_positionals = false;  // after "--"
    size_t positionals = 0;         // given to current
    auto fail = [&current](const std::string& message) -> std::optional<int> {
        return report_usage_error(message + " (see '" + current->path() + " --help')");
    };
    // An option met: help and version end the parse; anything else takes its value.
    auto take = [&](Option& option, const std::string& value, const std::string& shown) -> std::optional<int> {
        if (option.name_ == "--help") {
            std::fputs(current->help().c_str(), stdout);
            return 0;
        }
        if (option.name_ == "--version" && !current->version_.empty()) {
            std::printf("%s\n", current->version_.c_str());
            return 0;
        }
        if (std::string problem = current->give(option, value); !problem.empty()) return fail(shown + ": " + problem);
        return std::nullopt;
    };
    for (size_t at = 0; at < words.size(); ++at) {
        const std::string& word = words[at];
        if (!only_positionals && word == "--") {
            only_positionals = true;
            continue;
        }
        if (!only_positionals && word.starts_with("--")) {
            size_t equals = word.find('=');
            std::string name = word.substr(2, equals == std::string::npos ? equals : equals - 2);
            Option* option = current->find_long(name);
            if (option == nullptr) return fail("unknown option '--" + name + "'");
            std::string value;
            if (equals != std::string::npos) {
                value = word.substr(equals + 1);
            } else if (!option->takes_value_) {
                value = "true";
            } else if (at + 1 < words.size()) {
                value = words[++at];
            } else {
                return fail("--" + name + " needs a value");
            }
            if (auto end = take(*option, value, "--" + name)) return end;
            continue;
        }
        bool number = word.size() > 1 && std::isdigit(static_cast<unsigned char>(word[1])) &&
                      current->find_short(word[1]) == nullptr;
        if (!only_positionals && word.size() > 1 && word[0] == '-' && !number) {
            for (size_t letter = 1; letter < word.size(); ++letter) {
                std::string shown = "-" + word.substr(letter, 1);
                Option* option = current->find_short(word[letter]);
                if (option == nullptr) return fail("unknown option '" + shown + "'");
                if (!option->takes_value_) {
                    if (auto end = take(*option, "true", shown)) return end;
                    continue;
                }
                std::string value;
                if (letter + 1 < word.size()) {
                    value = word.substr(letter + 1);
                } else if (at + 1 < words.size()) {
                    value = words[++at];
                } else {
                    return fail(shown + " needs a value");
                }
                if (auto end = take(*option, value, shown)) return end;
                break;
            }
            continue;
        }
        if (!only_positionals && positionals == 0 && current->chosen_ == nullptr && !current->subcommands_.empty()) {
            Command* verb = current->find_subcommand(word);
            if (verb == nullptr) return fail("unknown verb '" + word + "'");
            current->chosen_ = verb;
            current = verb;
            continue;
        }
        Option* target = current->positional_after(positionals);
        if (target == nullptr) return fail("unexpected argument '" + word + "'");
        if (auto end = take(*target, word, target->name_)) return end;
        ++positionals;
    }
    for (Command* command = this; command != nullptr; command = command->chosen_) {
        current = command;
        if (std::string problem = command->missing(); !problem.empty()) return fail(problem);
        if (command->chosen_ == nullptr && !command->subcommands_.empty()) return fail("no verb given");
    }
    return std::nullopt;
}

} // namespace ggl::cli
