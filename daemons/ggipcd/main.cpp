// ggipcd: the Greengrass IPC server (AWS event-stream RPC) for generic components; docs/ipc.md.
#include "ipc_server.hpp"
#include "operations.hpp"

#include "ggl/bus_server.hpp"
#include "ggl/cli/program_options.hpp"
#include "ggl/daemon.hpp"
#include "ggl/env.hpp"
#include "ggl/event_loop.hpp"
#include "ggl/log.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/ipc_component.hpp"

#include <csignal>
#include <cstring>

using namespace ggl;

namespace {

namespace contract = services::ipc_component;

// --socket, else system/ipcSocketPath from the configuration, else $GGL_RUNTIME_DIR/gg-ipc.socket.
std::string socket_path(const std::string& from_command_line) {
    if (!from_command_line.empty()) {
        return from_command_line;
    }
    services::ConfigClient config(bus::ClientOptions{std::chrono::milliseconds(2000), 0});
    auto configured = config.read_optional({"system", "ipcSocketPath"});
    if (configured && *configured && (*configured)->is_string() && !(*configured)->as_string().empty()) {
        return (*configured)->as_string();
    }
    if (!configured && configured.error().code != ErrorCode::Noconn) {
        GGL_LOGW("cannot read system/ipcSocketPath: %s", configured.error().to_string().c_str());
    }
    return env::runtime_dir() + "/gg-ipc.socket";
}

// The core-bus side (ggl/services/ipc_component.hpp, docs/ipc.md): lets other daemons (the
// token exchange service, for one) tell which component a token belongs to.
void serve_token_checks(bus::Server& server, ipc::SvcuidRegistry& tokens) {
    server.add_call(contract::kVerifySvcuid.spec(), [&tokens](const bus::Call& call) -> Result<Object> {
        auto component = tokens.component_of(call.param(contract::param::kSvcuid)->as_buffer());
        if (!component) {
            return make_error(ErrorCode::Noentry, "not the SVCUID of any deployed component");
        }
        return Object(Map{{contract::result::kComponentName, *component}});
    });
}

// Deployments (ggdeploymentd) ask a component that subscribed to validation whether it
// accepts its proposed configuration, and wait for the answer without blocking ggipcd.
void serve_configuration_validation(bus::Server& server, ipc::ConfigValidation& validation) {
    server.add_async_call(contract::kValidateConfiguration.spec(), [&validation](bus::Call call) {
        std::string component(call.param(contract::param::kComponentName)->as_buffer());
        std::string deployment_id(call.param(contract::param::kDeploymentId)->as_buffer());
        int64_t timeout_ms = contract::kDefaultValidationTimeoutMs;
        if (const Object* timeout = call.param(contract::param::kTimeoutMs);
            timeout != nullptr && !timeout->is_null()) {
            timeout_ms = timeout->as_i64();
        }
        if (component.empty() || deployment_id.empty() || timeout_ms < 1 ||
            timeout_ms > contract::kMaxValidationTimeoutMs) {
            call.fail(ErrorCode::Invalid, "component_name and deployment_id must not be empty, and timeout_ms "
                                          "must be 1 to 86400000");
            return;
        }
        const Object configuration = *call.param(contract::param::kConfiguration);
        validation.validate(
            component, deployment_id, configuration, std::chrono::milliseconds(timeout_ms),
            [call = std::make_shared<bus::Call>(std::move(call))](ipc::ConfigValidation::Outcome outcome) {
                call->reply(Map{{contract::result::kStatus, ipc::ConfigValidation::verdict_name(outcome.verdict)},
                                {contract::result::kMessage, outcome.message}});
            });
    });
}

} // namespace

int main(int argc, char** argv) {
    cli::ProgramOptions command_line(
        "ggipcd", "Serves Greengrass IPC (AWS event-stream RPC) to components on a Unix socket; components "
                  "authenticate with the SVCUID their deployment issued them.");
    std::string socket_option;
    command_line.text("--socket", socket_option,
                      "IPC socket path (default: system/ipcSocketPath, else $GGL_RUNTIME_DIR/gg-ipc.socket)", "PATH");
    ipc::ServerOptions options;
    command_line.integer("--max-message-size", options.max_message_size,
                         "Largest event-stream message accepted, in bytes (1024 to 1073741824; default " +
                             std::to_string(options.max_message_size) + ")",
                         "BYTES", 1024, int64_t{1} << 30);
    command_line.integer("--max-connections", options.max_connections,
                         "Clients served at once (1 to 65536; default " + std::to_string(options.max_connections) + ")",
                         "N", 1, 65536);
    if (auto status = command_line.parse(argc, argv)) {
        return *status;
    }

    EventLoop loop;
    if (!daemon::prepare(loop)) {
        return 1;
    }

    ipc::OperationTable operations;
    ipc::add_all_operations(operations);
    ipc::Services services(loop);
    size_t tokens = services.tokens->reload();

    // The bus service first: once the IPC socket accepts, everything ggipcd serves is up.
    bus::Server bus_server(loop, contract::kService, GGL_VERSION);
    serve_token_checks(bus_server, *services.tokens);
    serve_configuration_validation(bus_server, services.validation);
    if (auto listening = bus_server.listen(); !listening) {
        GGL_LOGE("%s: cannot listen: %s", contract::kService, listening.error().to_string().c_str());
        return 1;
    }
    ipc::IpcServer server(loop, operations, services, options);
    std::string path = socket_path(socket_option);
    if (auto listening = server.listen(path); !listening) {
        GGL_LOGE("cannot listen: %s", listening.error().to_string().c_str());
        return 1;
    }
    GGL_LOGI("ggipcd %s serving %s (%zu operations, %zu component tokens in %s)", GGL_VERSION, path.c_str(),
             operations.size(), tokens, services.tokens->directory().c_str());
    bool ran = daemon::serve(loop);
    server.close();
    bus_server.close();
    if (!ran) {
        return 1;
    }
    return 0;
}
