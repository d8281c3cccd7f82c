// Shell completion read off the CLI11 app itself: `PROGRAM __complete WORDS...` prints
// the candidates for the last word, so completion cannot drift from the parser. An
// option says what completes its values with a check (cli::completer(), file_names()).
// This header does not include CLI11: the completers, built without exceptions, use it.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
} // namespace CLI

namespace ggl::cli {

// The hidden verb every ggl command answers (parse_command_line handles it).
inline constexpr std::string_view kCompleteVerb = "__complete";

// How long a completer waits for a daemon; past it, completion offers nothing.
inline constexpr std::chrono::milliseconds kCompletionTimeout{500};

struct Candidate {
    std::string value;
    std::string description; // shown by zsh and fish; may be empty
};

// What a completer knows of the command line before the word being completed.
struct CompletionContext {
    std::vector<std::string> verbs; // the verbs chosen, e.g. {"call"}
    std::vector<std::string> positionals; // given to the innermost one so far
    // Values of the options given so far, by the option's first long name ("--db").
    std::map<std::string, std::string> options;
    std::string word; // the word being completed (a prefix)

    // The option's value, or "" when it was not given.
    std::string option(const std::string& name) const;
};

// Candidates for the values of an option or positional. Completers that ask a daemon
// use kCompletionTimeout and return nothing on any error: completion stays quiet.
using Completer = std::function<std::vector<Candidate>(const CompletionContext& context)>;

// Writes the candidates for words (the last is the word being completed, maybe empty)
// to out, one per line: VALUE, or VALUE<TAB>DESCRIPTION. Instead of candidates, a line
// ":files" or ":dirs" asks the shell to complete file or directory names, and a line
// ":hint TEXT" describes a positional that has no candidates. A candidate ending in
// '/' or '=' is a prefix: the shell adds no space after it.
void print_completions(const CLI::App& app, const std::vector<std::string>& words, std::FILE* out);

// Writes candidates (those starting with prefix) in the format above.
void print_candidates(const std::vector<Candidate>& candidates, std::string_view prefix, std::FILE* out);

// From now on nothing reaches stderr (completion must never print errors into the
// user's command line), also from programs this one runs.
void silence_stderr();

} // namespace ggl::cli
