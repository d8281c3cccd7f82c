// Event-stream RPC on top of the event-stream codec: message types, flags, the common
// headers, and the errors Greengrass IPC clients understand.
#pragma once

#include "ggl/error.hpp"
#include "ggl/event_stream.hpp"
#include "ggl/object.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ggl::ipc {

enum MessageType : int32_t {
    kApplicationMessage = 0,
    kApplicationError = 1,
    kPing = 2,
    kPingResponse = 3,
    kConnect = 4,
    kConnectAck = 5,
    kProtocolError = 6,
    kInternalError = 7,
};

inline constexpr int32_t kConnectionAccepted = 0x1;
inline constexpr int32_t kTerminateStream = 0x2;
inline constexpr std::string_view kProtocolVersion = "0.1.0";
inline constexpr std::string_view kModelPrefix = "aws.greengrass#";

// The RPC headers every message carries (flags and stream id default to 0 when absent).
struct RpcHeaders {
    int32_t message_type = 0;
    int32_t flags = 0;
    int32_t stream_id = 0;
};

// INVALID naming the header when :message-type is missing, or one of them is not int32.
Result<RpcHeaders> rpc_headers(const event_stream::Message& message);

event_stream::Message rpc_message(int32_t type, int32_t flags, int32_t stream_id);

// A modelled Greengrass IPC error: the name is the shape without its namespace
// ("ServiceError", "ResourceNotFoundError", ...).
struct IpcError {
    std::string name = "ServiceError";
    std::string message;
};

IpcError service_error(std::string message);
IpcError invalid_arguments(std::string message);
IpcError resource_not_found(std::string message);
IpcError unauthorized(std::string message);
// The IPC error for a bus error: NOENTRY → ResourceNotFoundError, INVALID → InvalidArgumentsError,
// UNAUTHORIZED → UnauthorizedError, CONFLICT → ConflictError, anything else → ServiceError.
IpcError ipc_error_of(const Error& error);

// The APPLICATION_ERROR message for an error on a stream (it ends the stream). The JSON
// body carries the modelled field the SDK clients read ("message") and the fields
// Greengrass's own servers add ("_message", "_errorCode", "_service").
event_stream::Message error_message(int32_t stream_id, const IpcError& error);

// The APPLICATION_MESSAGE carrying a modelled shape as JSON.
event_stream::Message shape_message(int32_t stream_id, int32_t flags, std::string_view shape, const Object& body);

} // namespace ggl::ipc
