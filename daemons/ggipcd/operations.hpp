// The IPC operation table: each Greengrass IPC operation, the IPC service it belongs to
// (for accessControl), and the handler that serves it. Handlers run on the event loop and
// answer through their Stream, now or later.
#pragma once

#include "access_control.hpp"
#include "bus_link.hpp"
#include "config_validation.hpp"
#include "rpc.hpp"
#include "svcuid_registry.hpp"

#include "ggl/object.hpp"
#include "ggl/services/config.hpp"
#include "ggl/services/deployment.hpp"
#include "ggl/services/health.hpp"
#include "ggl/services/pubsub.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace ggl::ipc {

// One RPC stream of one client connection, as its operation handler sees it. Every
// member is safe to call after the client went away (answers are then dropped).
class Stream {
public:
    virtual ~Stream() = default;
    // Request-response: the operation's response shape ("<operation>Response"); ends the stream.
    virtual void respond(const Object& body) = 0;
    // Streaming: the initial response; the stream stays open for events.
    virtual void accept(const Object& body) = 0;
    // Streaming: one event of the given shape. False when the stream is closed, or the
    // event was dropped because the client does not read fast enough.
    virtual bool send_event(std::string_view shape, const Object& body) = 0;
    // A modelled error; ends the stream.
    virtual void fail(const IpcError& error) = 0;
    // Ends an open stream from the server side (TERMINATE_STREAM).
    virtual void end() = 0;
    virtual bool open() const = 0;
    // Called once when the stream closes for any reason other than the handler ending it
    // (the client terminated it, or the connection closed): cancel the work behind it.
    virtual void on_close(std::function<void()> callback) = 0;
};

// What handlers reach: the bus services and the token registry.
struct Services {
    explicit Services(EventLoop& loop);
    EventLoop& loop; // for handlers' own timers
    BusLink config; // gg_config
    BusLink health; // gg_health
    BusLink deployment; // gg_deployment
    BusLink pubsub; // gg_pubsub
    BusLink iot_mqtt; // aws_iot_mqtt
    std::unique_ptr<SvcuidRegistry> tokens;
    // The components' accessControl policies (from gg_config); the server loads a
    // component's before running an operation that has a service_id.
    AccessControl access{config};
    // Deployments' configuration validations and the components' validation streams.
    ConfigValidation validation;
};

struct Request {
    std::string operation; // "aws.greengrass#GetConfiguration"
    std::string component; // the authenticated caller
    Map params; // the JSON request body
    std::shared_ptr<Stream> stream;
    Services& services;

    // Checks accessControl; on denial fails the stream with UnauthorizedError, logs
    // component, operation and resource, and returns false.
    bool authorize(std::string_view service_id, std::string_view resource) const;
};

using OperationHandler = std::function<void(Request& request)>;

struct Operation {
    std::string name; // with its namespace: "aws.greengrass#PublishToTopic"
    // accessControl service ("aws.greengrass.ipc.pubsub"); empty when the operation needs
    // no policy. Handlers of operations with one call Request::authorize.
    std::string service_id;
    OperationHandler handler;
};

class OperationTable {
public:
    void add(Operation operation);
    const Operation* find(std::string_view name) const;
    size_t size() const { return operations_.size(); }

private:
    std::map<std::string, Operation, std::less<>> operations_;
};

// Each file of operations registers its own.
void add_config_operations(OperationTable& table);
void add_lifecycle_operations(OperationTable& table);
void add_deployment_operations(OperationTable& table);
void add_pubsub_operations(OperationTable& table);
void add_mqtt_operations(OperationTable& table);
void add_token_operations(OperationTable& table);

inline void add_all_operations(OperationTable& table) {
    add_config_operations(table);
    add_lifecycle_operations(table);
    add_deployment_operations(table);
    add_pubsub_operations(table);
    add_mqtt_operations(table);
    add_token_operations(table);
}

// Small helpers for handlers.
std::string model_name(std::string_view short_name); // "PublishToTopic" -> "aws.greengrass#PublishToTopic"
// A string field of the request, or nullopt (and the stream failed with InvalidArgumentsError
// naming the field) when it is missing or not a string and required.
std::optional<std::string> required_string(const Request& request, std::string_view field);
std::string optional_string(const Request& request, std::string_view field, std::string fallback = {});
// The bus error as an IPC error, with the service named for ServiceErrors.
IpcError bus_failure(const BusLink& link, const Error& error);

} // namespace ggl::ipc
