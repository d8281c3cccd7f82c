// Shell completion read off the CLI11 app: verbs, options, option values and
// positionals of whatever app a program built, plus the completers it attached.
#include "ggl/cli/completion.hpp"

#include "ggl/cli/command_line.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ggl::cli {
namespace {

enum class ValueKind { Plain, Files, Directories };

// What an option completes with travels in the option itself, as a check that accepts
// every value and is named "ggl-complete:TAG" (TAG: files, or the index of its
// completer), so that it lives and dies with the option.
constexpr std::string_view kTagPrefix = "ggl-complete:";

// Completers are only added (a handful per program), never removed: an index stays valid.
std::vector<Completer>& completers() {
    static std::vector<Completer> table;
    return table;
}

CLI::Validator tag(const std::string& tag) {
    return CLI::Validator([](std::string&) { return std::string(); }, "", std::string(kTagPrefix) + tag);
}

std::string tag_of(const CLI::Option* option) {
    // CLI11 offers the checks only through a non-const option; reading them changes nothing.
    auto* readable = const_cast<CLI::Option*>(option);
    for (int index = 0;; ++index) {
        const CLI::Validator* validator = nullptr;
        try {
            validator = readable->get_validator(index);
        } catch (const CLI::OptionNotFound&) {
            return {};
        }
        if (validator->get_name().starts_with(kTagPrefix)) {
            return validator->get_name().substr(kTagPrefix.size());
        }
    }
}

bool is_positional(const CLI::Option* option) { return !option->nonpositional(); }

bool takes_value(const CLI::Option* option) { return option->get_items_expected_max() > 0; }

// "--db" for an option named "-d,--db"; "-n" when it has only short names.
std::string key_of(const CLI::Option* option) {
    if (!option->get_lnames().empty()) return "--" + option->get_lnames().front();
    if (!option->get_snames().empty()) return "-" + option->get_snames().front();
    return option->get_name();
}

const CLI::Option* find_long(const CLI::App& app, const std::string& name) {
    for (const CLI::Option* option : app.get_options()) {
        if (!is_positional(option) && option->check_lname(name)) return option;
    }
    return nullptr;
}

const CLI::Option* find_short(const CLI::App& app, char name) {
    for (const CLI::Option* option : app.get_options()) {
        if (!is_positional(option) && option->check_sname(std::string(1, name))) return option;
    }
    return nullptr;
}

std::vector<const CLI::App*> listed_verbs(const CLI::App& app) {
    std::vector<const CLI::App*> verbs;
    for (const CLI::App* verb : app.get_subcommands({})) {
        if (!verb->get_name().empty() && !verb->get_group().empty() && !verb->get_disabled()) verbs.push_back(verb);
    }
    return verbs;
}

const CLI::App* find_verb(const CLI::App& app, const std::string& name) {
    for (const CLI::App* verb : listed_verbs(app)) {
        if (verb->get_name() == name) return verb;
    }
    return nullptr;
}

// The positional that receives the next positional word, if any does.
const CLI::Option* next_positional(const CLI::App& app, size_t given) {
    for (const CLI::Option* option : app.get_options()) {
        if (!is_positional(option)) continue;
        auto room = static_cast<size_t>(std::max(option->get_items_expected_max(), 1));
        if (given < room) return option;
        given -= room;
    }
    return nullptr;
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

// The choices a check names in the type ("FORMAT:{yaml,json}", cli::choices()), or
// the help shows for a flag's optional value ("[=pretty|short]").
std::vector<std::string> choices_of(const CLI::Option* option) {
    const std::string& text = option->get_option_text();
    if (text.starts_with("[=") && text.ends_with("]")) {
        return split(text.substr(2, text.size() - 3), '|');
    }
    std::string type = option->get_type_name();
    size_t open = type.find(":{");
    size_t close = type.find('}', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) return {};
    return split(type.substr(open + 2, close - open - 2), ',');
}

ValueKind kind_of(const CLI::Option* option) {
    if (tag_of(option) == "files") return ValueKind::Files;
    std::string base = option->get_type_name();
    base = base.substr(0, base.find(':'));
    for (const std::string& piece : split(base, '|')) {
        if (piece == "DIR") return ValueKind::Directories;
        if (piece == "FILE" || piece == "PATH") return ValueKind::Files;
    }
    return ValueKind::Plain;
}

// Candidates for a value of option; prefix is what precedes the value in the word
// ("--format=" for --format=ya).
void print_values(const CLI::Option* option, const CompletionContext& context, const std::string& prefix,
                  std::FILE* out) {
    std::vector<Candidate> candidates;
    std::string tagged = tag_of(option);
    if (!tagged.empty() && tagged.find_first_not_of("0123456789") == std::string::npos) {
        candidates = completers().at(std::stoul(tagged))(context);
    }
    for (std::string& choice : choices_of(option)) {
        candidates.push_back({std::move(choice), {}});
    }
    if (candidates.empty()) {
        ValueKind kind = kind_of(option);
        if (kind != ValueKind::Plain && prefix.empty()) {
            std::fputs(kind == ValueKind::Files ? ":files\n" : ":dirs\n", out);
            return;
        }
        if (is_positional(option) && prefix.empty()) {
            std::fprintf(out, ":hint %s: %s\n", option->get_name().c_str(), option->get_description().c_str());
        }
        return;
    }
    for (Candidate& candidate : candidates) {
        candidate.value = prefix + candidate.value;
    }
    print_candidates(candidates, prefix + context.word, out);
}

void print_options(const CLI::App& app, const std::string& word, std::FILE* out) {
    std::vector<Candidate> candidates;
    for (const CLI::Option* option : app.get_options()) {
        if (is_positional(option)) continue;
        for (const std::string& name : option->get_lnames()) {
            candidates.push_back({"--" + name, option->get_description()});
        }
        for (const std::string& name : option->get_snames()) {
            candidates.push_back({"-" + name, option->get_description()});
        }
    }
    print_candidates(candidates, word, out);
}

// What the words before the one completed say: the verb reached, the options given (by
// key) and the positionals, and an option still waiting for its value.
struct WordsRead {
    CompletionContext context;
    const CLI::App* current = nullptr;
    const CLI::Option* pending = nullptr; // an option whose value is the next word
    bool only_positionals = false; // after "--"
};

// --name=value, or --name taking the next word as its value, or a flag.
void read_long_option(const std::string& word, WordsRead& read) {
    size_t equals = word.find('=');
    const CLI::Option* option =
        find_long(*read.current, word.substr(2, equals == std::string::npos ? equals : equals - 2));
    if (option == nullptr) return;
    if (equals != std::string::npos) {
        read.context.options[key_of(option)] = word.substr(equals + 1);
    } else if (takes_value(option)) {
        read.pending = option;
    } else {
        read.context.options[key_of(option)] = "true";
    }
}

// A cluster of short options; the first that takes a value takes the rest.
void read_short_cluster(const std::string& word, WordsRead& read) {
    for (size_t at = 1; at < word.size(); ++at) {
        const CLI::Option* option = find_short(*read.current, word[at]);
        if (option == nullptr) break;
        if (!takes_value(option)) {
            read.context.options[key_of(option)] = "true";
        } else if (at + 1 < word.size()) {
            read.context.options[key_of(option)] = word.substr(at + 1);
            break;
        } else {
            read.pending = option;
        }
    }
}

WordsRead read_words(const CLI::App& app, const std::vector<std::string>& words) {
    WordsRead read;
    read.context.word = words.empty() ? std::string() : words.back();
    read.current = &app;
    for (size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& word = words[i];
        if (read.pending != nullptr) {
            read.context.options[key_of(read.pending)] = word;
            read.pending = nullptr;
        } else if (!read.only_positionals && word == "--") {
            read.only_positionals = true;
        } else if (!read.only_positionals && word.starts_with("--")) {
            read_long_option(word, read);
        } else if (!read.only_positionals && word.size() > 1 && word.starts_with('-') &&
                   find_short(*read.current, word[1]) != nullptr) {
            read_short_cluster(word, read);
        } else if (const CLI::App* verb = read.context.positionals.empty() && !read.only_positionals
                                              ? find_verb(*read.current, word)
                                              : nullptr) {
            read.current = verb;
            read.context.verbs.push_back(verb->get_name());
        } else {
            read.context.positionals.push_back(word);
        }
    }
    return read;
}

} // namespace

CLI::Validator completer(Completer completer) {
    completers().push_back(std::move(completer));
    return tag(std::to_string(completers().size() - 1));
}

CLI::Validator file_names() { return tag("files"); }

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

void print_completions(const CLI::App& app, const std::vector<std::string>& words, std::FILE* out) {
    const WordsRead read = read_words(app, words);
    const CompletionContext& context = read.context;
    const CLI::App* current = read.current;
    const CLI::Option* pending = read.pending;
    bool only_positionals = read.only_positionals;
    const std::string& word = context.word;
    if (pending != nullptr) {
        print_values(pending, context, {}, out);
        return;
    }
    if (!only_positionals && word.starts_with("--") && word.find('=') != std::string::npos) {
        size_t equals = word.find('=');
        std::string name = word.substr(2, equals - 2);
        if (const CLI::Option* option = find_long(*current, name);
            option != nullptr && name != "help" && name != "version") {
            CompletionContext value_context = context;
            value_context.word = word.substr(equals + 1);
            print_values(option, value_context, word.substr(0, equals + 1), out);
        }
        return;
    }
    if (!only_positionals && word.starts_with('-')) {
        print_options(*current, word, out);
        return;
    }
    if (context.positionals.empty() && !only_positionals) {
        std::vector<Candidate> verbs;
        for (const CLI::App* verb : listed_verbs(*current)) {
            verbs.push_back({verb->get_name(), verb->get_description()});
        }
        print_candidates(verbs, word, out);
    }
    if (const CLI::Option* positional = next_positional(*current, context.positionals.size())) {
        print_values(positional, context, {}, out);
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
