// Error code names: the stable strings of the bus protocol.
#include "ggl/error.hpp"

#include <array>

namespace ggl {

namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 19> kNames{{
    {ErrorCode::Ok, "OK"},
    {ErrorCode::Failure, "FAILURE"},
    {ErrorCode::Retry, "RETRY"},
    {ErrorCode::Busy, "BUSY"},
    {ErrorCode::Fatal, "FATAL"},
    {ErrorCode::Invalid, "INVALID"},
    {ErrorCode::Unsupported, "UNSUPPORTED"},
    {ErrorCode::Parse, "PARSE"},
    {ErrorCode::Range, "RANGE"},
    {ErrorCode::Nomem, "NOMEM"},
    {ErrorCode::Noconn, "NOCONN"},
    {ErrorCode::Nodata, "NODATA"},
    {ErrorCode::Noentry, "NOENTRY"},
    {ErrorCode::Config, "CONFIG"},
    {ErrorCode::Remote, "REMOTE"},
    {ErrorCode::Expected, "EXPECTED"},
    {ErrorCode::Timeout, "TIMEOUT"},
    {ErrorCode::Unauthorized, "UNAUTHORIZED"},
    {ErrorCode::Conflict, "CONFLICT"},
}};

} // namespace

std::string_view error_code_name(ErrorCode code) {
    for (const auto& [value, name] : kNames) {
        if (value == code) {
            return name;
        }
    }
    return "FAILURE";
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
    for (const auto& [value, known] : kNames) {
        if (known == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::string Error::to_string() const {
    std::string text(error_code_name(code));
    if (!message.empty()) {
        text += ": ";
        text += message;
    }
    return text;
}

} // namespace ggl
