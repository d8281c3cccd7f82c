// Exit statuses shared by every ggl command (docs/cli.md) and the one mapping from errors to them.
#pragma once

#include "ggl/error.hpp"

namespace ggl::cli {

// Plain enum so that main() can return one directly.
enum ExitCode : int {
    kExitOk = 0,
    kExitFailed = 1, // not found, or the operation had a failed result
    kExitUsage = 2, // bad command line or bad input given by the user
    kExitNoDaemon = 3, // the daemon could not be reached: no socket, refused, timed out
    kExitRemote = 4, // the daemon answered with an error
};

// Remote errors are 4 whatever their code. Local ones: NOCONN, TIMEOUT, BUSY and RETRY
// are 3; INVALID, PARSE, RANGE and UNSUPPORTED arise from what the user gave and are 2;
// a local REMOTE (the peer broke the protocol) is 4; anything else is 1.
ExitCode exit_code_for(const Error& error);

} // namespace ggl::cli
