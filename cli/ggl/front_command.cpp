// `ggl VERB ARGS...` on CLI11: the verbs of the verb table as CLI11 verbs that pass their
// arguments through untouched (prefix_command()) to the verb's own command line. The
// help, the usage errors and the completion of the verb come from this app.
#include "front_verbs.hpp"

#include "ggl/cli/command_line.hpp"
#include "ggl/cli/error_report.hpp"

#include <string>
#include <vector>

namespace ggl::front {
namespace {

constexpr const char* kFooter = R"(Run 'ggl VERB --help' for a verb's options and examples.

Environment:
  GGL_RUNTIME_DIR  bus sockets (default /run/greengrass)
  GGL_ROOT         root path (default /var/lib/greengrass)
  GGL_CONFIG_DB    configuration database (default $GGL_ROOT/config.db)
  GGL_LOG_LEVEL    error, warn, info (default), debug or trace

Exit status: 0 ok; 1 not found or failed; 2 usage error; 3 cannot reach the
daemon; 4 the daemon answered with an error.
)";

// Each verb takes whatever follows it, --help included, for its own command line.
void add_front_verbs(CLI::App& app) {
    for (const Verb& verb : verbs()) {
        CLI::App* command = app.add_subcommand(std::string(verb.name), std::string(verb.summary));
        command->group("Verbs");
        command->set_help_flag();
        command->prefix_command();
    }
}

// Runs verb with the words after it, as `ggl VERB WORDS...` (argv[0] "ggl VERB").
int run_verb(const Verb& verb, std::vector<std::string> words) {
    std::string label = "ggl " + std::string(verb.name);
    cli::set_program_label(label);
    words.insert(words.begin(), label);
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    return verb.run(static_cast<int>(argv.size()) - 1, argv.data());
}

} // namespace

int run_front(int argc, char** argv) {
    CLI::App app{"ggl: the command line of ggl, a lean AWS IoT Greengrass v2 device runtime.", "ggl"};
    cli::set_footer(app, kFooter);
    add_front_verbs(app);
    if (argc >= 2 && argv[1] == cli::kCompleteVerb) {
        cli::silence_stderr();
        std::vector<std::string> words(argv + 2, argv + argc);
        if (words.size() <= 1) {
            cli::parse_command_line(app, argc, argv); // the verbs and the options
            return cli::kExitOk;
        }
        const Verb* verb = find_verb(words.front());
        if (verb == nullptr) return cli::kExitOk; // an unknown verb has no candidates
        // The verb sees `ggl VERB __complete WORDS...`, as if typed after the verb.
        words.front() = std::string(cli::kCompleteVerb);
        return run_verb(*verb, std::move(words));
    }
    if (auto status = cli::parse_command_line(app, argc, argv)) {
        return *status;
    }
    for (const CLI::App* chosen : app.get_subcommands()) {
        if (const Verb* verb = find_verb(chosen->get_name())) return run_verb(*verb, chosen->remaining());
    }
    return cli::report_missing_verb(app);
}

} // namespace ggl::front
