// User and group lookups: /etc/passwd and /etc/group parsed in process, other NSS sources
// through getent(1).
#include "ggl/unix_accounts.hpp"

#include "ggl/file.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

extern char** environ;

namespace ggl::unix_accounts {

namespace {

std::optional<uint32_t> parse_id(std::string_view text) {
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
    // (uid_t)-1 and (gid_t)-1 mean "no change" to chown: never a real user or group.
    if (value >= UINT32_MAX) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(value);
}

// The output of `getent DATABASE NAME`, or empty when getent cannot run or finds nothing.
std::string getent(const char* database, const std::string& name) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char* argv[] = {const_cast<char*>("getent"), const_cast<char*>(database), const_cast<char*>(name.c_str()), nullptr};
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

// The fields of the first entry called name, when it has at least `fields` of them
// (name:password:id:...): the id fields checked by the caller.
std::optional<std::vector<std::string_view>> entry_fields(std::string_view content, std::string_view name,
                                                          size_t fields) {
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
        std::vector<std::string_view> parts;
        for (size_t start = 0;;) {
            size_t colon = line.find(':', start);
            parts.push_back(
                line.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
            if (colon == std::string_view::npos) break;
            start = colon + 1;
        }
        if (parts.front() == name && parts.size() >= fields) {
            return parts;
        }
    }
    return std::nullopt;
}

// Whether name can be an entry's name (and so be asked of getent).
bool is_account_name(const std::string& name) {
    return !name.empty() && name.find_first_of(":\n") == std::string::npos;
}

} // namespace

std::optional<gid_t> find_in_group_file(std::string_view content, std::string_view name) {
    // The first well-formed entry of that name wins; a malformed one is passed over.
    while (!content.empty()) {
        auto fields = entry_fields(content, name, 3);
        if (!fields) {
            return std::nullopt;
        }
        if (auto gid = parse_id((*fields)[2])) {
            return static_cast<gid_t>(*gid);
        }
        content = content.substr(static_cast<size_t>((*fields)[0].data() - content.data()) + (*fields)[0].size());
    }
    return std::nullopt;
}

std::optional<User> find_in_passwd_file(std::string_view content, std::string_view name) {
    while (!content.empty()) {
        auto fields = entry_fields(content, name, 4);
        if (!fields) {
            return std::nullopt;
        }
        auto uid = parse_id((*fields)[2]);
        auto gid = parse_id((*fields)[3]);
        if (uid && gid) {
            return User{static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)};
        }
        content = content.substr(static_cast<size_t>((*fields)[0].data() - content.data()) + (*fields)[0].size());
    }
    return std::nullopt;
}

std::optional<gid_t> lookup_gid(const std::string& name) {
    if (!is_account_name(name)) {
        return std::nullopt;
    }
    if (auto content = file::read("/etc/group")) {
        if (auto gid = find_in_group_file(*content, name)) {
            return gid;
        }
    }
    return find_in_group_file(getent("group", name), name);
}

std::optional<User> lookup_user(const std::string& name) {
    if (!is_account_name(name)) {
        return std::nullopt;
    }
    if (auto content = file::read("/etc/passwd")) {
        if (auto user = find_in_passwd_file(*content, name)) {
            return user;
        }
    }
    return find_in_passwd_file(getent("passwd", name), name);
}

} // namespace ggl::unix_accounts
