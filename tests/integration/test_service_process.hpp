// A ggl-test-service process for one test, in the test's own runtime directory.
#pragma once

#include "process.hpp"

#include <memory>
#include <string>
#include <vector>

namespace ggl::testing {

class TestServiceProcess {
public:
    // Starts the service with GGL_RUNTIME_DIR=runtime_dir and waits until its socket
    // (socket_path, else runtime_dir/service) accepts connections. Throws when it does not.
    TestServiceProcess(const std::string& runtime_dir, std::string service = "ggl_test", std::string socket_path = {});

    const std::string& socket_path() const { return socket_path_; }
    // SIGTERM, then the exit status (-1 when it did not exit by itself).
    int stop();
    std::string log() const { return read_file(log_path_); }

private:
    std::string socket_path_;
    std::string log_path_;
    std::unique_ptr<Process> process_;
};

} // namespace ggl::testing
