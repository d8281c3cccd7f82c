// For the command-line tests: runs a parse on words as a program's arguments, with what
// it prints to standard output and error captured.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ggl::testing {

struct ParseOutcome {
    std::optional<int> status;
    std::string out;
    std::string err;
};

inline std::string read_back(std::FILE* file) {
    std::string text;
    char buffer[4096];
    std::rewind(file);
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, got);
    return text;
}

// Calls parse(argc, argv) with argv = program, words..., while standard output and error
// go to temporary files; returns its result and what it printed.
inline ParseOutcome capture_parse(const std::string& program, std::vector<std::string> words,
                                  const std::function<std::optional<int>(int, char**)>& parse) {
    words.insert(words.begin(), program);
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    std::fflush(nullptr);
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    int saved_out = ::dup(STDOUT_FILENO);
    int saved_err = ::dup(STDERR_FILENO);
    ::dup2(::fileno(out), STDOUT_FILENO);
    ::dup2(::fileno(err), STDERR_FILENO);
    ParseOutcome outcome;
    outcome.status = parse(static_cast<int>(words.size()), argv.data());
    std::fflush(nullptr);
    ::dup2(saved_out, STDOUT_FILENO);
    ::dup2(saved_err, STDERR_FILENO);
    ::close(saved_out);
    ::close(saved_err);
    outcome.out = read_back(out);
    outcome.err = read_back(err);
    std::fclose(out);
    std::fclose(err);
    return outcome;
}

} // namespace ggl::testing
