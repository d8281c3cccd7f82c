// ggdeploymentd's side of the artifact-installer: the request through a memfd, the answer through a pipe.
#include "artifact_installer.hpp"

#include "ggl/cli/helper_program.hpp"
#include "ggl/fd.hpp"
#include "ggl/msgpack.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace ggl::deployment {

namespace {

// An answer is a few hundred bytes; more than this is not one.
constexpr size_t kMaxAnswerBytes = 1u << 20;

Error failure(const std::string& program, const std::string& what) {
    return make_error(ErrorCode::Failure, program + ": " + what);
}

Result<void> write_all(int fd, const std::string& data) {
    size_t written = 0;
    while (written < data.size()) {
        ssize_t put = ::write(fd, data.data() + written, data.size() - written);
        if (put < 0) {
            if (errno == EINTR) continue;
            return make_error(ErrorCode::Failure, std::strerror(errno));
        }
        written += static_cast<size_t>(put);
    }
    return {};
}

// The request as a file the program reads as its standard input: nothing to write while
// it runs, so it cannot block us or raise SIGPIPE by exiting early.
Result<UniqueFd> request_file(const store::ArtifactInstallRequest& request) {
    UniqueFd fd(::memfd_create("artifact-install-request", MFD_CLOEXEC));
    if (!fd) {
        return make_error(ErrorCode::Failure, std::string("memfd_create: ") + std::strerror(errno));
    }
    if (auto written = write_all(fd.get(), msgpack_encode(store::to_object(request))); !written) {
        return written.error();
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
        return make_error(ErrorCode::Failure, std::string("lseek: ") + std::strerror(errno));
    }
    return fd;
}

std::string how_it_ended(int status) {
    if (WIFSIGNALED(status)) {
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               ::strsignal(WTERMSIG(status)) + ")";
    }
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

std::string artifact_installer_path() { return cli::helper_path("artifact-installer"); }

Result<void> run_artifact_installer(const std::string& program, const store::ArtifactInstallRequest& request) {
    auto input = request_file(request);
    if (!input) {
        return failure(program, "cannot pass the request: " + input.error().message);
    }
    int answer_pipe[2];
    if (::pipe2(answer_pipe, O_CLOEXEC) != 0) {
        return failure(program, std::string("pipe: ") + std::strerror(errno));
    }
    UniqueFd answer_read(answer_pipe[0]);
    UniqueFd answer_write(answer_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input->get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, answer_write.get(), STDOUT_FILENO);
    const char* argv[] = {program.c_str(), nullptr};
    pid_t pid = 0;
    int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, const_cast<char* const*>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        return failure(program, std::string("cannot run it: ") + std::strerror(spawned));
    }
    answer_write.reset();

    std::string answer;
    bool oversized = false;
    char buffer[4096];
    while (true) {
        ssize_t got = ::read(answer_read.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (answer.size() + static_cast<size_t>(got) > kMaxAnswerBytes) {
            oversized = true; // keep reading to the end, so the program is not stuck writing
            continue;
        }
        answer.append(buffer, static_cast<size_t>(got));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return failure(program, std::string("waitpid: ") + std::strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return failure(program, how_it_ended(status) + " before it answered");
    }
    if (oversized) {
        return failure(program, "answered with more than 1 MiB");
    }
    auto object = msgpack_decode(answer);
    if (!object) {
        return failure(program,
                       answer.empty() ? "exited without an answer" : "answered with something that is not msgpack");
    }
    return store::artifact_install_outcome_from(*object);
}

} // namespace ggl::deployment
