// The one place that decides how an error ends a ggl command.
#include "ggl/cli/exit_code.hpp"

namespace ggl::cli {

ExitCode exit_code_for(const Error& error) {
    if (error.code == ErrorCode::Ok) {
        return kExitOk;
    }
    if (error.remote) {
        return kExitRemote;
    }
    switch (error.code) {
    case ErrorCode::Noconn:
    case ErrorCode::Timeout:
    case ErrorCode::Busy:
    case ErrorCode::Retry: return kExitNoDaemon;
    case ErrorCode::Invalid:
    case ErrorCode::Parse:
    case ErrorCode::Range:
    case ErrorCode::Unsupported: return kExitUsage;
    case ErrorCode::Remote: return kExitRemote;
    default: return kExitFailed;
    }
}

} // namespace ggl::cli
