// Event-stream RPC headers and Greengrass IPC error messages.
#include "rpc.hpp"

#include "ggl/json.hpp"

namespace ggl::ipc {

using event_stream::Header;
using event_stream::HeaderType;

namespace {

Result<int32_t> int32_header(const event_stream::Message& message, std::string_view name, bool required) {
    const Header* header = message.find(name);
    if (header == nullptr) {
        if (required) {
            return make_error(ErrorCode::Invalid, "missing header " + std::string(name));
        }
        return 0;
    }
    if (header->type != HeaderType::Int32) {
        return make_error(ErrorCode::Invalid, "header " + std::string(name) + " must be int32, not " +
                                                  std::string(event_stream::header_type_name(header->type)));
    }
    return static_cast<int32_t>(header->integer);
}

} // namespace

Result<RpcHeaders> rpc_headers(const event_stream::Message& message) {
    auto type = int32_header(message, ":message-type", true);
    if (!type) return std::move(type).error();
    auto flags = int32_header(message, ":message-flags", false);
    if (!flags) return std::move(flags).error();
    auto stream = int32_header(message, ":stream-id", false);
    if (!stream) return std::move(stream).error();
    return RpcHeaders{*type, *flags, *stream};
}

event_stream::Message rpc_message(int32_t type, int32_t flags, int32_t stream_id) {
    event_stream::Message message;
    message.headers.reserve(5);
    message.headers.push_back(Header::int32(":message-type", type));
    message.headers.push_back(Header::int32(":message-flags", flags));
    message.headers.push_back(Header::int32(":stream-id", stream_id));
    return message;
}

IpcError service_error(std::string message) { return IpcError{"ServiceError", std::move(message)}; }
IpcError invalid_arguments(std::string message) { return IpcError{"InvalidArgumentsError", std::move(message)}; }
IpcError resource_not_found(std::string message) { return IpcError{"ResourceNotFoundError", std::move(message)}; }
IpcError unauthorized(std::string message) { return IpcError{"UnauthorizedError", std::move(message)}; }

IpcError ipc_error_of(const Error& error) {
    switch (error.code) {
    case ErrorCode::Noentry: return resource_not_found(error.message);
    case ErrorCode::Invalid: return invalid_arguments(error.message);
    case ErrorCode::Unauthorized: return unauthorized(error.message);
    case ErrorCode::Conflict: return IpcError{"ConflictError", error.message};
    default: return service_error(error.message);
    }
}

event_stream::Message error_message(int32_t stream_id, const IpcError& error) {
    event_stream::Message message = rpc_message(kApplicationError, kTerminateStream, stream_id);
    message.headers.push_back(Header::string(":content-type", "application/json"));
    message.headers.push_back(Header::string("service-model-type", std::string(kModelPrefix) + error.name));
    Map body{{"_service", "aws.greengrass#GreengrassCoreIPC"},
             {"_message", error.message},
             {"_errorCode", error.name},
             {"message", error.message}};
    message.payload = to_json(Object(std::move(body)));
    return message;
}

event_stream::Message shape_message(int32_t stream_id, int32_t flags, std::string_view shape, const Object& body) {
    event_stream::Message message = rpc_message(kApplicationMessage, flags, stream_id);
    message.headers.push_back(Header::string(":content-type", "application/json"));
    message.headers.push_back(Header::string("service-model-type", std::string(shape)));
    message.payload = body.is_null() ? std::string("{}") : to_json(body);
    return message;
}

} // namespace ggl::ipc
