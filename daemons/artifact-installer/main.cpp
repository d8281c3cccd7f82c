// artifact-installer: puts one component version's artifacts into the component store
// (digests, modes, owners, ZIP extraction), run by ggdeploymentd for each version it
// stores, so that the daemon maps neither libcrypto nor libarchive and a hostile archive
// can at worst crash this short-lived process (docs/deployments.md).
#include "ggl/artifact_install.hpp"
#include "ggl/artifact_install_request.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/log.hpp"
#include "ggl/msgpack.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace ggl;

namespace {

constexpr const char* kFooter = R"(Reads one request (a msgpack map: the store root, the component's name, version and
artifacts, the directory they come from, their owner and the ZIP limits) on standard
input, installs the artifacts, and writes one answer (a msgpack map: empty, or the
error's code and message) on standard output. ggdeploymentd runs it; the protocol is
lib/store/include/ggl/artifact_install_request.hpp.

Exit status: 0 an answer was written (the install itself may have failed: the answer
says); 1 no request could be read or no answer written; 2 usage error.
)";

// A request is a few kilobytes; anything this large is not one.
constexpr size_t kMaxRequestBytes = 16u << 20;

Result<std::string> read_request() {
    std::string data;
    char buffer[64 * 1024];
    while (true) {
        ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            return make_error(ErrorCode::Failure, std::string("cannot read the request: ") + std::strerror(errno));
        }
        if (got == 0) return data;
        if (data.size() + static_cast<size_t>(got) > kMaxRequestBytes) {
            return make_error(ErrorCode::Invalid, "the request is larger than 16 MiB");
        }
        data.append(buffer, static_cast<size_t>(got));
    }
}

bool write_answer(const std::string& answer) {
    size_t written = 0;
    while (written < answer.size()) {
        ssize_t put = ::write(STDOUT_FILENO, answer.data() + written, answer.size() - written);
        if (put < 0) {
            if (errno == EINTR) continue;
            GGL_LOGE("artifact-installer: cannot write the answer: %s", std::strerror(errno));
            return false;
        }
        written += static_cast<size_t>(put);
    }
    return true;
}

Result<void> install(const std::string& data) {
    auto object = msgpack_decode(data);
    if (!object) {
        return make_error(ErrorCode::Invalid, "the request is not msgpack: " + object.error().message);
    }
    auto request = store::artifact_install_request_from(*object);
    if (!request) {
        return std::move(request).error();
    }
    store::InstallOptions options;
    options.zip_limits = request->zip_limits;
    // Only root can give files away; anyone else keeps them (the user manager case).
    if (!request->run_with.empty() && ::geteuid() == 0) {
        auto owner = store::file_owner_of(request->run_with);
        if (!owner) {
            return std::move(owner).error();
        }
        options.owner = *owner;
    }
    return store::install_artifacts(request->layout, request->component, request->source_dir, options);
}

} // namespace

int main(int argc, char** argv) {
    cli::ProgramOptions command_line("artifact-installer",
                                     "Installs one component version's artifacts into the component store, "
                                     "for ggdeploymentd.",
                                     kFooter);
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }
    auto data = read_request();
    if (!data) {
        GGL_LOGE("artifact-installer: %s", data.error().message.c_str());
        return 1;
    }
    auto outcome = install(*data);
    if (!outcome) {
        // ggdeploymentd records the failure in the deployment; the journal gets it too.
        GGL_LOGW("artifact-installer: %s", outcome.error().to_string().c_str());
    }
    return write_answer(msgpack_encode(store::to_object(outcome))) ? 0 : 1;
}
