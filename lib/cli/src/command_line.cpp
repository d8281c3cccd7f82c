// Command-line parsing conventions shared by the ggl commands.
#include "ggl/cli/command_line.hpp"

#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <utility>
#include <vector>

namespace ggl::cli {
namespace {

// "ggl bus call": the program and the verbs that were recognised before the error.
std::string command_path(const CLI::App& app) {
    std::string path = app.get_name();
    const CLI::App* current = &app;
    for (;;) {
        auto selected = current->get_subcommands();
        if (selected.empty()) {
            return path;
        }
        current = selected.front();
        path += ' ';
        path += current->get_name();
    }
}

// CLI11 says "A subcommand is required" when the verb is misspelt; say which word it was.
std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& error) {
    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && app.get_subcommands().empty() &&
        !app.get_subcommands({}).empty()) {
        auto remaining = app.remaining();
        if (!remaining.empty() && !remaining.front().starts_with('-')) {
            return "unknown verb '" + remaining.front() + "'";
        }
        return "no verb given";
    }
    return error.what();
}

} // namespace

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    if (app.get_version_ptr() == nullptr) {
        app.set_version_flag("--version", std::string(app.get_name()) + " " + GGL_VERSION);
    }
    if (argc >= 2 && argv[1] == kCompleteVerb) {
        silence_stderr();
        print_completions(app, std::vector<std::string>(argv + 2, argv + argc), stdout);
        return kExitOk;
    }
    if (!app.get_subcommands({}).empty()) {
        app.require_subcommand(1);
    }
    try {
        app.parse(argc, argv);
        return std::nullopt;
    } catch (const CLI::Success& success) {
        // --help (or --version): CLI11 prints it to stdout and gives status 0.
        return app.exit(success);
    } catch (const CLI::ParseError& error) {
        return report_usage_error(describe_parse_error(app, error) + " (see '" + command_path(app) + " --help')");
    }
}

CLI::App& add_verb(CLI::App& program, const std::string& name, const std::string& summary,
                   const std::string& footer) {
    program.get_formatter()->label("SUBCOMMAND", "VERB");
    CLI::App* verb = program.add_subcommand(name, summary);
    verb->group("Verbs");
    set_footer(*verb, footer);
    return *verb;
}

void set_footer(CLI::App& app, std::string footer) {
    // CLI11 puts a blank line before the footer but no newline after it.
    if (footer.starts_with('\n')) {
        footer.erase(0, 1);
    }
    if (!footer.ends_with('\n')) {
        footer += '\n';
    }
    app.footer(std::move(footer));
}

void add_output_option(CLI::App& app, OutputFormat& format) {
    // A flag rather than an option with an optional value, so that `--json SERVICE`
    // never takes SERVICE for the style. CLI11 gives a bare flag the value "true".
    app.add_flag("--json")
        ->description("Print JSON for scripts: pretty (the default) or short (one line)")
        ->option_text("[=pretty|short]")
        ->check([](const std::string& style) -> std::string {
            if (style == "true" || style == "pretty" || style == "short") {
                return {};
            }
            return "expected --json, --json=pretty or --json=short, not --json=" + style;
        })
        ->each([&format](const std::string& style) {
            format = style == "short" ? OutputFormat::JsonShort : OutputFormat::JsonPretty;
        });
}

std::string chosen_verb(const CLI::App& program) {
    auto selected = program.get_subcommands();
    return selected.empty() ? std::string() : selected.front()->get_name();
}

int report_missing_verb(const CLI::App& program) {
    return report_usage_error("no verb given (see '" + program.get_name() + " --help')");
}

} // namespace ggl::cli
