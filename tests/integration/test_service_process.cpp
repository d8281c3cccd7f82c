// Starting ggl-test-service for a test and knowing when it is ready.
#include "test_service_process.hpp"

#include <signal.h>
#include <unistd.h>

#include <stdexcept>

namespace ggl::testing {

TestServiceProcess::TestServiceProcess(const std::string& runtime_dir, std::string service, std::string socket_path)
    : socket_path_(socket_path.empty() ? runtime_dir + "/" + service : socket_path),
      log_path_(runtime_dir + "/" + service + ".log") {
    std::vector<std::string> argv{GGL_TEST_SERVICE_EXE, "--service", service};
    if (!socket_path.empty()) {
        argv.insert(argv.end(), {"--socket", socket_path});
    }
    ProcessOptions options;
    options.env["GGL_RUNTIME_DIR"] = runtime_dir;
    options.stderr_file = log_path_;
    process_ = std::make_unique<Process>(std::move(argv), std::move(options));

    // Ready means accepting connections, not merely having created the file.
    for (int attempt = 0; attempt < 1000; ++attempt) {
        if (socket_accepts(socket_path_)) {
            return;
        }
        if (process_->exited()) {
            throw std::runtime_error("ggl-test-service exited before serving; its log:\n" + log());
        }
        ::usleep(10000);
    }
    throw std::runtime_error("ggl-test-service did not serve " + socket_path_ + " within 10 s");
}

int TestServiceProcess::stop() {
    process_->signal(SIGTERM);
    Finished finished = process_->finish();
    return finished.exit_code;
}

} // namespace ggl::testing
