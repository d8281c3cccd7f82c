// Reading a JSON object argument (or "-" for standard input) for the ggl commands.
#include "ggl/cli/json_input.hpp"

#include "ggl/json.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ggl::cli {
namespace {

// Names as a JSON user knows them, not as the object model does.
std::string_view json_type_name(Type type) {
    switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "a boolean";
    case Type::I64:
    case Type::F64: return "a number";
    case Type::String:
    case Type::Bytes: return "a string";
    case Type::List: return "an array";
    case Type::Map: return "an object";
    }
    return "something else";
}

Result<std::string> read_standard_input(std::string_view what) {
    std::string text;
    char chunk[65536];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
        if (n == 0) {
            return text;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return make_error(ErrorCode::Failure,
                              "reading " + std::string(what) + " from standard input: " + std::strerror(errno));
        }
        if (text.size() + static_cast<size_t>(n) > kMaxJsonInput) {
            return make_error(ErrorCode::Range, std::string(what) + " on standard input exceed " +
                                                    std::to_string(kMaxJsonInput >> 20) + " MiB");
        }
        text.append(chunk, static_cast<size_t>(n));
    }
}

bool is_blank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

} // namespace

Result<Map> read_json_object(std::string_view argument, std::string_view what) {
    std::string text;
    const bool from_stdin = argument == "-";
    if (from_stdin) {
        auto input = read_standard_input(what);
        if (!input) {
            return std::move(input).error();
        }
        text = std::move(*input);
    } else {
        text = argument;
    }
    if (is_blank(text)) {
        return make_error(ErrorCode::Parse, std::string(what) + " must be a JSON object, got " +
                                                (from_stdin ? "empty standard input" : "an empty argument"));
    }

    auto parsed = from_json(text);
    if (!parsed) {
        // from_json names the problem and where it is ("invalid JSON at line 1, column 6: ...").
        return make_error(ErrorCode::Parse, std::string(what) + ": " + parsed.error().message);
    }
    if (!parsed->is_map()) {
        return make_error(ErrorCode::Invalid, std::string(what) + " must be a JSON object, got " +
                                                  std::string(json_type_name(parsed->type())));
    }
    return std::move(parsed->as_map());
}

} // namespace ggl::cli
