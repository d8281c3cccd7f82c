// Command-line conventions shared by the ggl commands, on CLI11: the parse that turns
// CLI11's exceptions into one-line usage errors, the --help text, and the checks.
#include "ggl/cli/command_line.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/cli/helper_program.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ggl::cli {
namespace {

constexpr size_t kHelpColumn = 30; // where descriptions start in --help

bool parse_double(const std::string& text, double& value) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return false;
    errno = 0;
    char* end = nullptr;
    value = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && errno == 0 && std::isfinite(value);
}

// Parses the whole of text as a number of type T (std::from_chars).
template <typename T>
bool parse_whole(const std::string& text, T& value) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

// A check that leaves the value as it is: "" when it is acceptable, else what is wrong.
CLI::Validator check(std::function<std::string(const std::string&)> test, std::string description = "") {
    return CLI::Validator([test = std::move(test)](std::string& value) { return test(value); }, std::move(description),
                          "");
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

bool is_positional(const CLI::Option& option) { return !option.nonpositional(); }

bool is_listed(const CLI::App& verb) { return !verb.get_group().empty(); }

bool has_verbs(const CLI::App& app) {
    for (const CLI::App* verb : app.get_subcommands({})) {
        if (is_listed(*verb)) return true;
    }
    return false;
}

// The type shown after an option's names: what type_name() set, without the checks'
// descriptions CLI11 appends (":{a,b}"), and not CLI11's own names for the C++ type.
std::string shown_type(const CLI::Option& option) {
    std::string type = option.get_type_name();
    type = type.substr(0, type.find(':'));
    for (const char* builtin : {"TEXT", "INT", "UINT", "FLOAT", "BOOLEAN", "NUMBER", "CHAR"}) {
        if (type == builtin) return {};
    }
    return type;
}

// "ggl bus call": the program's name and the verbs down to app.
std::string path_of(const CLI::App& app) {
    return app.get_parent() == nullptr ? app.get_name() : path_of(*app.get_parent()) + " " + app.get_name();
}

// The innermost verb the command line chose (app itself when it chose none).
const CLI::App& chosen_leaf(const CLI::App& app) {
    auto chosen = app.get_subcommands();
    return chosen.empty() ? app : chosen_leaf(*chosen.front());
}

// CLI11's --help, as ggl shapes it (help_text()).
class Formatter : public CLI::FormatterBase {
public:
    std::string make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const override {
        return help_text(*app);
    }
};

// The formatter on app and every verb below it.
void use_formatter(CLI::App& app, const std::shared_ptr<Formatter>& formatter) {
    app.formatter(formatter);
    for (CLI::App* verb : app.get_subcommands({})) use_formatter(*verb, formatter);
}

// The usage error for a CLI11 parse error, in ggl's words.
std::string describe(const CLI::App& app, const CLI::App& leaf, const CLI::ParseError& error) {
    std::string what = error.what();
    std::string kind = error.get_name();
    // ExtrasError, which CLI11 names after the command rather than "ExtrasError": "The
    // following argument(s) was/were not expected: WORDS". Name the first of them.
    if (std::vector<std::string> left = app.remaining(true);
        what.starts_with("The following argument") && !left.empty()) {
        const std::string& word = left.front();
        if (word.size() > 1 && word.starts_with('-')) {
            return "unknown option '" + word.substr(0, word.find('=')) + "'";
        }
        bool positionals_given = false;
        for (const CLI::Option* option : leaf.get_options()) {
            positionals_given = positionals_given || (is_positional(*option) && option->count() > 0);
        }
        if (has_verbs(leaf) && !positionals_given) return "unknown verb '" + word + "'";
        return "unexpected argument '" + word + "'";
    }
    if (kind == "ExcludesError") {
        size_t at = what.find(" excludes ");
        if (at != std::string::npos) return what.replace(at, 10, " cannot be used with ");
    }
    if (kind == "ArgumentMismatch" && what.ends_with(" missing")) {
        return what.substr(0, what.find(':')) + " needs a value";
    }
    if (kind == "ConversionError" && what.starts_with("Could not convert: ")) {
        // "Could not convert: --dry-run = maybe": a flag's value, or a number that no
        // check read first.
        std::string rest = what.substr(19);
        size_t equals = rest.find(" = ");
        if (equals != std::string::npos) {
            std::string name = rest.substr(0, equals);
            std::string value = rest.substr(equals + 3);
            const CLI::Option* option = nullptr;
            for (const CLI::Option* candidate : leaf.get_options()) {
                if (candidate->get_name() == name) option = candidate;
            }
            if (option != nullptr && option->get_items_expected_max() == 0) {
                return name + ": takes no value but true or false, not '" + value + "'";
            }
            return name + ": not a valid value: '" + value + "'";
        }
    }
    return what;
}

} // namespace

std::string CompletionContext::option(const std::string& name) const {
    auto found = options.find(name);
    return found == options.end() ? std::string() : found->second;
}

std::string help_text(const CLI::App& app) {
    std::string usage = "Usage: " + path_of(app) + " [OPTIONS]";
    if (has_verbs(app)) usage += " VERB";
    std::string positionals;
    std::string options;
    for (const CLI::Option* option : app.get_options()) {
        bool many = option->get_items_expected_max() > 1;
        std::string suffix = std::string(option->get_required() ? " REQUIRED" : "") + (many ? " ..." : "");
        if (is_positional(*option)) {
            std::string name = option->get_name();
            std::string shown = name + (many ? "..." : "");
            usage += " " + (option->get_required() ? shown : "[" + shown + "]");
            add_row(positionals, name + suffix, option->get_description());
            continue;
        }
        std::string left;
        for (const std::string& name : option->get_snames()) left += (left.empty() ? "-" : ",-") + name;
        for (const std::string& name : option->get_lnames()) left += (left.empty() ? "--" : ",--") + name;
        std::string type = shown_type(*option);
        if (!option->get_option_text().empty()) {
            left += " " + option->get_option_text();
        } else if (option->get_items_expected_max() > 0 && !type.empty()) {
            left += " " + type;
        }
        add_row(options, left + suffix, option->get_description());
    }
    std::string out = app.get_description() + "\n" + usage + "\n";
    if (!positionals.empty()) out += "\nPositionals:\n" + positionals;
    out += "\nOptions:\n" + options;
    std::string verbs;
    for (const CLI::App* verb : app.get_subcommands({})) {
        if (is_listed(*verb)) add_row(verbs, verb->get_name(), verb->get_description());
    }
    if (!verbs.empty()) out += "\nVerbs:\n" + verbs;
    if (!app.get_footer().empty()) out += "\n" + app.get_footer();
    return out;
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    set_program_label(app.get_name());
    remember_command_line(argc, argv);
    // Not where --version is an option of the program's own (recipe-runner's).
    if (app.get_version_ptr() == nullptr && app.get_option_no_throw("--version") == nullptr) {
        app.set_version_flag("--version", app.get_name() + " " + GGL_VERSION);
    }
    use_formatter(app, std::make_shared<Formatter>());
    if (argc >= 2 && argv[1] == kCompleteVerb) {
        silence_stderr();
        print_completions(app, std::vector<std::string>(argv + 2, argv + argc), stdout);
        return kExitOk;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::fputs(help_text(chosen_leaf(app)).c_str(), stdout);
        return kExitOk;
    } catch (const CLI::CallForVersion& version) {
        std::printf("%s\n", version.what());
        return kExitOk;
    } catch (const CLI::ParseError& error) {
        const CLI::App& leaf = chosen_leaf(app);
        return report_usage_error(describe(app, leaf, error) + " (see '" + path_of(leaf) + " --help')");
    }
    if (const CLI::App& leaf = chosen_leaf(app); has_verbs(leaf)) {
        return report_usage_error("no verb given (see '" + path_of(leaf) + " --help')");
    }
    return std::nullopt;
}

CLI::App& add_verb(CLI::App& program, const std::string& name, const std::string& summary, const std::string& footer) {
    CLI::App* verb = program.add_subcommand(name, summary);
    verb->group("Verbs");
    set_footer(*verb, footer);
    return *verb;
}

void set_footer(CLI::App& app, std::string footer) {
    // --help puts a blank line before the footer; the footer ends its last line.
    if (footer.starts_with('\n')) {
        footer.erase(0, 1);
    }
    if (!footer.empty() && !footer.ends_with('\n')) {
        footer += '\n';
    }
    app.footer(std::move(footer));
}

void add_timeout_option(CLI::App& app, double& seconds, const std::string& description) {
    app.add_option("--timeout", seconds, description)->type_name("SECONDS")->check(positive_seconds());
}

void add_output_option(CLI::App& app, OutputFormat& format) {
    // A flag rather than an option with an optional value, so that `--json SERVICE`
    // never takes SERVICE for the style. Bare, the flag gives the value "true".
    app.add_flag("--json")
        ->description("Print JSON for scripts: pretty (the default) or short (one line)")
        ->option_text("[=pretty|short]")
        ->check(check([](const std::string& style) -> std::string {
            if (style == "true" || style == "pretty" || style == "short") {
                return {};
            }
            return "expected --json, --json=pretty or --json=short, not --json=" + style;
        }))
        ->each([&format](const std::string& style) {
            format = style == "short" ? OutputFormat::JsonShort : OutputFormat::JsonPretty;
        });
}

std::string chosen_verb(const CLI::App& program) {
    auto chosen = program.get_subcommands();
    return chosen.empty() ? std::string() : chosen.front()->get_name();
}

int report_missing_verb(const CLI::App& program) {
    return report_usage_error("no verb given (see '" + program.get_name() + " --help')");
}

// --- checks -------------------------------------------------------------------------

CLI::Validator positive_seconds() {
    return check([](const std::string& value) -> std::string {
        double seconds = 0;
        if (parse_double(value, seconds) && seconds > 0 && seconds < 1e9) return {};
        return "must be a positive number of seconds, not '" + value + "'";
    });
}

CLI::Validator positive_integer() {
    return check([](const std::string& value) -> std::string {
        uint64_t number = 0;
        if (parse_whole(value, number) && number > 0) return {};
        return "must be a whole number above zero, not '" + value + "'";
    });
}

CLI::Validator non_negative_integer() {
    return check([](const std::string& value) -> std::string {
        uint64_t number = 0;
        if (parse_whole(value, number)) return {};
        return "must be a whole number, zero or more, not '" + value + "'";
    });
}

CLI::Validator integer_in(int64_t low, int64_t high) {
    return check([low, high](const std::string& value) -> std::string {
        int64_t number = 0;
        if (parse_whole(value, number) && number >= low && number <= high) return {};
        return "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", not '" +
               value + "'";
    });
}

CLI::Validator choices(std::vector<std::string> values) {
    // The description "{a,b}" is how completion finds the choices (completion.cpp).
    std::string names;
    for (const std::string& value : values) names += (names.empty() ? "" : ",") + value;
    return check(
        [values](const std::string& value) -> std::string {
            std::string listed;
            for (const std::string& choice : values) {
                if (choice == value) return {};
                listed += (listed.empty() ? "" : ", ") + choice;
            }
            return "must be one of " + listed + "; not '" + value + "'";
        },
        "{" + names + "}");
}

} // namespace ggl::cli
