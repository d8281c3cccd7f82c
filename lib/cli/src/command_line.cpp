// Command-line conventions shared by the ggl commands.
#include "ggl/cli/command_line.hpp"

#include "ggl/cli/completion.hpp"
#include "ggl/cli/error_report.hpp"

#include <string>
#include <utility>
#include <vector>

namespace ggl::cli {

std::optional<int> parse_command_line(Command& app, int argc, char** argv) {
    set_program_label(app.get_name());
    app.set_version(app.get_name() + " " + GGL_VERSION);
    if (argc >= 2 && argv[1] == kCompleteVerb) {
        silence_stderr();
        print_completions(app, std::vector<std::string>(argv + 2, argv + argc), stdout);
        return kExitOk;
    }
    return app.parse(argc, argv);
}

Command& add_verb(Command& program, const std::string& name, const std::string& summary,
                  const std::string& footer) {
    Command* verb = program.add_subcommand(name, summary);
    set_footer(*verb, footer);
    return *verb;
}

void set_footer(Command& app, std::string footer) {
    // --help puts a blank line before the footer; the footer ends its last line.
    if (footer.starts_with('\n')) {
        footer.erase(0, 1);
    }
    if (!footer.empty() && !footer.ends_with('\n')) {
        footer += '\n';
    }
    app.footer(std::move(footer));
}

void add_output_option(Command& app, OutputFormat& format) {
    // A flag rather than an option with an optional value, so that `--json SERVICE`
    // never takes SERVICE for the style. Bare, the flag gives the value "true".
    app.add_flag("--json", "Print JSON for scripts: pretty (the default) or short (one line)")
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

std::string chosen_verb(const Command& program) {
    return program.chosen() == nullptr ? std::string() : program.chosen()->get_name();
}

int report_missing_verb(const Command& program) {
    return report_usage_error("no verb given (see '" + program.get_name() + " --help')");
}

} // namespace ggl::cli
