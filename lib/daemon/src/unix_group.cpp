// Group lookups: /etc/group parsed in process, other NSS sources through getent(1).
#include "ggl/unix_group.hpp"

#include "ggl/file.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

extern char** environ;

namespace ggl::unix_group {

namespace {

std::optional<gid_t> parse_gid(std::string_view text) {
    if (text.empty() || text.size() > 10) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    // (gid_t)-1 means "no change" to chown: never a real group.
    if (value >= UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<gid_t>(value);
}

// The output of `getent group name`, or empty when getent cannot run or finds nothing.
std::string getent_group(const std::string& name) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char* argv[] = {const_cast<char*>("getent"), const_cast<char*>("group"), const_cast<char*>(name.c_str()), nullptr};
    pid_t pid = -1;
    int spawned = ::posix_spawnp(&pid, "getent", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    std::string output;
    if (spawned == 0) {
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0 || output.size() > (1u << 20)) {
                break;
            }
            output.append(buffer, static_cast<size_t>(n));
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            output.clear();
        }
    }
    ::close(pipe_fds[0]);
    return output;
}

} // namespace

std::optional<gid_t> find_in_group_file(std::string_view content, std::string_view name) {
    if (name.empty()) {
        return std::nullopt;
    }
    while (!content.empty()) {
        size_t end = content.find('\n');
        std::string_view line = content.substr(0, end);
        content = end == std::string_view::npos ? std::string_view() : content.substr(end + 1);
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
            continue;
        }
        size_t first = line.find(':');
        if (first == std::string_view::npos || line.substr(0, first) != name) {
            continue;
        }
        size_t second = line.find(':', first + 1);
        if (second == std::string_view::npos) {
            continue;
        }
        size_t third = line.find(':', second + 1);
        std::string_view gid =
            line.substr(second + 1, third == std::string_view::npos ? std::string_view::npos : third - second - 1);
        if (auto parsed = parse_gid(gid)) {
            return parsed;
        }
    }
    return std::nullopt;
}

std::optional<gid_t> lookup_gid(const std::string& name) {
    if (name.empty() || name.find_first_of(":\n") != std::string::npos) {
        return std::nullopt;
    }
    if (auto content = file::read("/etc/group")) {
        if (auto gid = find_in_group_file(*content, name)) {
            return gid;
        }
    }
    return find_in_group_file(getent_group(name), name);
}

} // namespace ggl::unix_group
