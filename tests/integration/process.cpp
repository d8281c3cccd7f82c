// Running programs from integration tests with posix_spawn, pipes and poll.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace ggl::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail_system(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        fail_system("pipe2");
    }
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text = *entry;
        std::string name(text.substr(0, text.find('=')));
        if (overrides.count(name) == 0) {
            entries.emplace_back(text);
        }
    }
    for (const auto& [name, value] : overrides) {
        entries.push_back(name + "=" + value);
    }
    return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (std::string& text : strings) {
        pointers.push_back(text.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

// Reads what is there; false at end of file.
bool drain(UniqueFd& fd, std::string& into) {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n > 0) {
            into.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return true;
        }
        fd.reset();
        return false;
    }
}

} // namespace

Process::Process(std::vector<std::string> argv, ProcessOptions options)
    : stdin_pending_(std::move(options.stdin_text)) {
    // A program that exits before reading its input must not kill the test.
    ::signal(SIGPIPE, SIG_IGN);

    Pipe in = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
    if (options.stderr_file.empty()) {
        posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
    } else {
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_file.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
    }

    std::vector<std::string> environment = merged_environment(options.env);
    std::vector<char*> argv_pointers = pointers_to(argv);
    std::vector<char*> env_pointers = pointers_to(environment);
    int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, argv_pointers.data(), env_pointers.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        errno = rc;
        fail_system("posix_spawn " + argv[0]);
    }

    in_ = std::move(in.write);
    out_fd_ = std::move(out.read);
    if (options.stderr_file.empty()) {
        err_fd_ = std::move(err.read);
        set_nonblocking(err_fd_.get());
    }
    set_nonblocking(in_.get());
    set_nonblocking(out_fd_.get());
    if (stdin_pending_.empty()) {
        in_.reset();
    }
}

Process::~Process() {
    if (!reaped_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
    }
}

bool Process::exited() {
    if (!reaped_ && ::waitpid(pid_, &status_, WNOHANG) == pid_) {
        reaped_ = true;
    }
    return reaped_;
}

void Process::signal(int sig) {
    if (!reaped_) {
        ::kill(pid_, sig);
    }
}

bool Process::pump(milliseconds timeout) {
    std::vector<pollfd> fds;
    if (in_) {
        fds.push_back({in_.get(), POLLOUT, 0});
    }
    if (out_fd_) {
        fds.push_back({out_fd_.get(), POLLIN, 0});
    }
    if (err_fd_) {
        fds.push_back({err_fd_.get(), POLLIN, 0});
    }
    if (fds.empty()) {
        return false;
    }
    int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    if (ready < 0 && errno != EINTR) {
        fail_system("poll");
    }
    for (const pollfd& entry : fds) {
        if (entry.revents == 0) {
            continue;
        }
        if (in_ && entry.fd == in_.get()) {
            ssize_t n = ::write(in_.get(), stdin_pending_.data(), stdin_pending_.size());
            if (n > 0) {
                stdin_pending_.erase(0, static_cast<size_t>(n));
            }
            if (stdin_pending_.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                in_.reset();
            }
        } else if (out_fd_ && entry.fd == out_fd_.get()) {
            drain(out_fd_, out_);
        } else if (err_fd_ && entry.fd == err_fd_.get()) {
            drain(err_fd_, err_);
        }
    }
    return true;
}

bool Process::wait_for_stdout(std::string_view text, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (out_.find(text) == std::string::npos) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || !out_fd_ || !pump(left)) {
            return out_.find(text) != std::string::npos;
        }
    }
    return true;
}

Finished Process::finish(milliseconds timeout) {
    Finished finished;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            finished.timed_out = true;
            break;
        }
        if (!pump(left)) {
            break;
        }
    }
    // Output closed: the program has exited or is about to; wait within the deadline.
    while (!finished.timed_out && !exited()) {
        if (Clock::now() >= deadline) {
            finished.timed_out = true;
            break;
        }
        ::usleep(1000);
    }
    if (!exited()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
        reaped_ = true;
    }
    if (WIFEXITED(status_)) {
        finished.exit_code = WEXITSTATUS(status_);
    } else if (WIFSIGNALED(status_)) {
        finished.term_signal = WTERMSIG(status_);
    }
    finished.out = out_;
    finished.err = err_;
    return finished;
}

Finished run(std::vector<std::string> argv, ProcessOptions options, milliseconds timeout) {
    Process process(std::move(argv), std::move(options));
    return process.finish(timeout);
}

TempDir::TempDir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + std::string(prefix) + ".XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        fail_system("mkdtemp " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

bool socket_accepts(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

} // namespace ggl::testing
