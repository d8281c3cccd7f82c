// Shell completion read off the command tree itself (command.hpp): `PROGRAM __complete
// WORDS...` prints the candidates for the last word, so completion cannot drift from
// the parser. Options say what completes their values (Option::complete_with, ...).
#pragma once

#include "ggl/cli/command.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::cli {

// The hidden verb every ggl command answers (parse_command_line handles it).
inline constexpr std::string_view kCompleteVerb = "__complete";

// How long a completer waits for a daemon; past it, completion offers nothing.
inline constexpr std::chrono::milliseconds kCompletionTimeout{500};

// Writes the candidates for words (the last is the word being completed, maybe empty)
// to out, one per line: VALUE, or VALUE<TAB>DESCRIPTION. Instead of candidates, a line
// ":files" or ":dirs" asks the shell to complete file or directory names, and a line
// ":hint TEXT" describes a positional that has no candidates. A candidate ending in
// '/' or '=' is a prefix: the shell adds no space after it.
void print_completions(const Command& app, const std::vector<std::string>& words, std::FILE* out);

// Writes candidates (those starting with prefix) in the format above.
void print_candidates(const std::vector<Candidate>& candidates, std::string_view prefix, std::FILE* out);

// From now on nothing reaches stderr (completion must never print errors into the
// user's command line), also from programs this one runs.
void silence_stderr();

} // namespace ggl::cli
