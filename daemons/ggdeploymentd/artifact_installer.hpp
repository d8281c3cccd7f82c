// Runs the artifact-installer program for one component version and waits for its answer.
#pragma once

#include "ggl/artifact_install_request.hpp"
#include "ggl/error.hpp"

#include <string>

namespace ggl::deployment {

// The artifact-installer in ggl's libexec directory (../libexec/ggl from bin/).
std::string artifact_installer_path();

// Runs `program` with the request on its standard input and returns its answer: success
// or the install's own error. A program that cannot be started, gives no well-formed
// answer, exits non-zero or is killed is a FAILURE naming the program and how it ended
// (its own messages are on the shared standard error, in the journal). Blocks until the
// program has exited.
Result<void> run_artifact_installer(const std::string& program, const store::ArtifactInstallRequest& request);

} // namespace ggl::deployment
