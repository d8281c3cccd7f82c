// Running programs from integration tests: arguments, environment, standard input,
// captured output and exit status, with a deadline on everything.
#pragma once

#include "ggl/fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::testing {

using std::chrono::milliseconds;

inline constexpr milliseconds kProcessDeadline{30000};

struct ProcessOptions {
    std::map<std::string, std::string> env; // set on top of this process's environment
    std::string stdin_text; // written, then standard input is closed
    std::string stderr_file; // stderr to this file instead of a pipe
};

struct Finished {
    int exit_code = -1; // -1 when killed by a signal
    int term_signal = 0;
    bool timed_out = false;
    std::string out;
    std::string err;
};

class Process {
public:
    // argv[0] is the program's path.
    Process(std::vector<std::string> argv, ProcessOptions options);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    bool exited();
    void signal(int sig);
    // Reads output until stdout holds text (true), or stdout closes or timeout passes (false).
    bool wait_for_stdout(std::string_view text, milliseconds timeout);
    // Reads all output until the program closes it, then reaps the program. Kills it
    // when it runs past timeout.
    Finished finish(milliseconds timeout = kProcessDeadline);

    const std::string& out() const { return out_; }

private:
    // One round of moving data to and from the pipes; false when nothing is left open.
    bool pump(milliseconds timeout);

    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    UniqueFd in_;
    UniqueFd out_fd_;
    UniqueFd err_fd_;
    std::string stdin_pending_;
    std::string out_;
    std::string err_;
};

// Runs a program to completion.
Finished run(std::vector<std::string> argv, ProcessOptions options = {}, milliseconds timeout = kProcessDeadline);

// A directory that is removed with everything in it when the object goes.
class TempDir {
public:
    explicit TempDir(std::string_view prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// True once a Unix socket at path accepts a connection.
bool socket_accepts(const std::string& path);

std::string read_file(const std::string& path);

} // namespace ggl::testing
