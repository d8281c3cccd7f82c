// Shell completion read off the command tree: verbs, options, option values and
// positionals of whatever command a program built, plus the completers it attached.
#include "ggl/cli/completion.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace ggl::cli {
namespace {

bool is_help_or_version(const Option& option) { return option.name() == "--help" || option.name() == "--version"; }

// Candidates for a value of option; prefix is what precedes the value in the word
// ("--format=" for --format=ya).
void print_values(const Option& option, const CompletionContext& context, const std::string& prefix,
                  std::FILE* out) {
    std::vector<Candidate> candidates;
    if (option.completer()) {
        candidates = option.completer()(context);
    }
    for (const std::string& value : option.offered()) {
        candidates.push_back({value, {}});
    }
    if (candidates.empty()) {
        ValueKind kind = option.value_kind();
        if (kind != ValueKind::Plain && prefix.empty()) {
            std::fputs(kind == ValueKind::Files ? ":files\n" : ":dirs\n", out);
            return;
        }
        if (option.is_positional() && prefix.empty()) {
            std::fprintf(out, ":hint %s: %s\n", option.name().c_str(), option.get_description().c_str());
        }
        return;
    }
    for (Candidate& candidate : candidates) {
        candidate.value = prefix + candidate.value;
    }
    print_candidates(candidates, prefix + context.word, out);
}

void print_options(const Command& command, const std::string& word, std::FILE* out) {
    std::vector<Candidate> candidates;
    for (const auto& option : command.options()) {
        if (option->is_positional()) continue;
        for (const std::string& name : option->long_names()) {
            candidates.push_back({"--" + name, option->get_description()});
        }
        for (char name : option->short_names()) {
            candidates.push_back({std::string("-") + name, option->get_description()});
        }
    }
    print_candidates(candidates, word, out);
}

} // namespace

void print_candidates(const std::vector<Candidate>& candidates, std::string_view prefix, std::FILE* out) {
    for (const Candidate& candidate : candidates) {
        // A line per candidate: a value that would break the line cannot be offered.
        if (!candidate.value.starts_with(prefix) || candidate.value.find_first_of("\t\n") != std::string::npos) {
            continue;
        }
        std::string line = candidate.value;
        if (!candidate.description.empty()) {
            line += '\t';
            for (char c : candidate.description) line += c == '\n' || c == '\t' ? ' ' : c;
        }
        line += '\n';
        std::fputs(line.c_str(), out);
    }
}

void print_completions(const Command& app, const std::vector<std::string>& words, std::FILE* out) {
    CompletionContext context;
    context.word = words.empty() ? std::string() : words.back();
    const Command* current = &app;
    const Option* pending = nullptr;  // an option whose value is the next word
    bool only_positionals = false;    // after "--"
    for (size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& word = words[i];
        if (pending != nullptr) {
            context.options[pending->name()] = word;
            pending = nullptr;
        } else if (!only_positionals && word == "--") {
            only_positionals = true;
        } else if (!only_positionals && word.starts_with("--")) {
            size_t equals = word.find('=');
            const Option* option = current->find_long(word.substr(2, equals == std::string::npos ? equals : equals - 2));
            if (option == nullptr) continue;
            if (equals != std::string::npos) {
                context.options[option->name()] = word.substr(equals + 1);
            } else if (option->takes_value()) {
                pending = option;
            } else {
                context.options[option->name()] = "true";
            }
        } else if (!only_positionals && word.size() > 1 && word.starts_with('-') &&
                   current->find_short(word[1]) != nullptr) {
            // A cluster of short options; the first that takes a value takes the rest.
            for (size_t at = 1; at < word.size(); ++at) {
                const Option* option = current->find_short(word[at]);
                if (option == nullptr) break;
                if (!option->takes_value()) {
                    context.options[option->name()] = "true";
                } else if (at + 1 < word.size()) {
                    context.options[option->name()] = word.substr(at + 1);
                    break;
                } else {
                    pending = option;
                }
            }
        } else if (const Command* verb = context.positionals.empty() && !only_positionals
                                             ? current->find_subcommand(word)
                                             : nullptr;
                   verb != nullptr && verb->is_listed()) {
            current = verb;
            context.verbs.push_back(verb->get_name());
        } else {
            context.positionals.push_back(word);
        }
    }

    const std::string& word = context.word;
    if (pending != nullptr) {
        print_values(*pending, context, {}, out);
        return;
    }
    if (!only_positionals && word.starts_with("--") && word.find('=') != std::string::npos) {
        size_t equals = word.find('=');
        if (const Option* option = current->find_long(word.substr(2, equals - 2));
            option != nullptr && !is_help_or_version(*option)) {
            CompletionContext value_context = context;
            value_context.word = word.substr(equals + 1);
            print_values(*option, value_context, word.substr(0, equals + 1), out);
        }
        return;
    }
    if (!only_positionals && word.starts_with('-')) {
        print_options(*current, word, out);
        return;
    }
    if (context.positionals.empty() && !only_positionals) {
        std::vector<Candidate> verbs;
        for (const auto& verb : current->subcommands()) {
            if (verb->is_listed()) verbs.push_back({verb->get_name(), verb->get_description()});
        }
        print_candidates(verbs, word, out);
    }
    if (const Option* positional = current->positional_after(context.positionals.size())) {
        print_values(*positional, context, {}, out);
    }
}

void silence_stderr() {
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDERR_FILENO);
        ::close(null);
    }
}

} // namespace ggl::cli
