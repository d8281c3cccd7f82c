// Error codes of the bus (stable strings on the wire) and the Result type every fallible call returns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ggl {

enum class ErrorCode {
    Ok,
    Failure,
    Retry,
    Busy,
    Fatal,
    Invalid,
    Unsupported,
    Parse,
    Range,
    Nomem,
    Noconn,
    Nodata,
    Noentry,
    Config,
    Remote,
    Expected,
    Timeout,
    Unauthorized,
    Conflict,
};

// "NOENTRY" for ErrorCode::Noentry.
std::string_view error_code_name(ErrorCode code);
// The code named by a wire string; nullopt when it is not one of the stable names.
std::optional<ErrorCode> error_code_from_name(std::string_view name);

struct Error {
    ErrorCode code = ErrorCode::Failure;
    std::string message;
    // True when a bus peer returned this error, false when it arose in this process
    // (cannot connect, timed out, ...). CLIs map the two to different exit codes.
    bool remote = false;

    // "NOENTRY: no such key"
    std::string to_string() const;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message), false}; }

// A value or an error. Small on purpose: the project targets C++20 (no std::expected).
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(state_); }
    Error&& error() && { return std::get<1>(std::move(state_)); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const& { return *error_; }
    Error&& error() && { return std::move(*error_); }

private:
    std::optional<Error> error_;
};

} // namespace ggl
