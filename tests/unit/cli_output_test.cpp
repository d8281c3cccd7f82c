// ggl-cli: exit codes, the table/JSON printer and JSON input shared by every ggl command.
#include "ggl/cli/exit_code.hpp"
#include "ggl/cli/json_input.hpp"
#include "ggl/cli/output.hpp"

#include "ggl/json.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

using namespace ggl;
using namespace ggl::cli;

namespace {

Error remote_error(ErrorCode code) { return Error{code, "from the daemon", true}; }

// Runs read_json_object("-") with text on standard input.
Result<Map> read_from_stdin(const std::string& text) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    int saved = ::dup(STDIN_FILENO);
    ::dup2(fds[0], STDIN_FILENO);
    ::close(fds[0]);
    auto result = read_json_object("-", "params");
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    return result;
}

} // namespace

TEST_CASE("a remote error exits 4 whatever its code") {
    CHECK(exit_code_for(remote_error(ErrorCode::Noentry)) == kExitRemote);
    CHECK(exit_code_for(remote_error(ErrorCode::Invalid)) == kExitRemote);
    CHECK(exit_code_for(remote_error(ErrorCode::Timeout)) == kExitRemote);
}

TEST_CASE("a daemon out of reach exits 3") {
    CHECK(exit_code_for(make_error(ErrorCode::Noconn, "")) == kExitNoDaemon);
    CHECK(exit_code_for(make_error(ErrorCode::Timeout, "")) == kExitNoDaemon);
    CHECK(exit_code_for(make_error(ErrorCode::Busy, "")) == kExitNoDaemon);
}

TEST_CASE("bad input from the user exits 2") {
    CHECK(exit_code_for(make_error(ErrorCode::Invalid, "")) == kExitUsage);
    CHECK(exit_code_for(make_error(ErrorCode::Parse, "")) == kExitUsage);
    CHECK(exit_code_for(make_error(ErrorCode::Range, "")) == kExitUsage);
}

TEST_CASE("a local failure or absence exits 1, and OK exits 0") {
    CHECK(exit_code_for(make_error(ErrorCode::Noentry, "")) == kExitFailed);
    CHECK(exit_code_for(make_error(ErrorCode::Failure, "")) == kExitFailed);
    CHECK(exit_code_for(Error{ErrorCode::Ok, "", false}) == kExitOk);
}

TEST_CASE("a table for people aligns columns under upper-case headers") {
    Table table({"service", "version", "methods"});
    table.add_row({"gg_config", "0.1.0", List{"read", "write"}});
    table.add_row({"x", nullptr, List{}});
    CHECK(table.render(OutputFormat::Human) == "SERVICE    VERSION  METHODS\n"
                                               "gg_config  0.1.0    read,write\n"
                                               "x          -        -\n");
}

TEST_CASE("a table aligns by characters, not bytes") {
    Table table({"name", "n"});
    table.add_row({"héhé", 1});
    table.add_row({"abcdef", 22});
    CHECK(table.render(OutputFormat::Human) == "NAME    N\n"
                                               "héhé    1\n"
                                               "abcdef  22\n");
}

TEST_CASE("an empty last cell leaves no trailing spaces") {
    Table table({"a", "b"});
    table.add_row({"long value", ""});
    CHECK(table.render(OutputFormat::Human) == "A           B\nlong value\n");
}

TEST_CASE("a table for scripts is a JSON array of objects keyed by column") {
    Table table({"service", "version"});
    table.add_row({"gg_config", nullptr});
    std::string text = table.render(OutputFormat::JsonShort);
    CHECK(text.ends_with("]\n"));
    CHECK(text.find('\n') == text.size() - 1);
    auto parsed = from_json(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == Object(List{Map{{"service", "gg_config"}, {"version", nullptr}}}));

    Table empty({"service"});
    CHECK(empty.render(OutputFormat::JsonPretty) == "[]\n");
    CHECK(empty.render(OutputFormat::Human) == "SERVICE\n");
}

TEST_CASE("cells that would break the columns are shown as JSON") {
    CHECK(format_cell("two\nlines") == "\"two\\nlines\"");
    CHECK(format_cell(Bytes{"\xff\xfe"}) == "\"//4=\"");
    CHECK(format_cell(Map{{"k", 1}}) == "{\"k\":1}");
    CHECK(format_cell(List{1, List{2}}) == "1,[2]");
    CHECK(format_cell(true) == "true");
    CHECK(format_cell(2.5) == "2.5");
}

TEST_CASE("JSON output style follows --json, and is pretty for people") {
    CHECK(json_style(OutputFormat::Human) == JsonStyle::Pretty);
    CHECK(json_style(OutputFormat::JsonPretty) == JsonStyle::Pretty);
    CHECK(json_style(OutputFormat::JsonShort) == JsonStyle::Short);
    CHECK_FALSE(is_json(OutputFormat::Human));
}

TEST_CASE("a JSON object argument becomes a Map") {
    auto params = read_json_object(R"({"key_path":["system"],"n":1})", "params");
    REQUIRE(params.ok());
    CHECK(*params == Map{{"key_path", List{"system"}}, {"n", 1}});
}

TEST_CASE("JSON that is not an object is INVALID, naming what it is") {
    auto list = read_json_object("[1]", "params");
    REQUIRE_FALSE(list.ok());
    CHECK(list.error().code == ErrorCode::Invalid);
    CHECK(list.error().message == "params must be a JSON object, got an array");
    CHECK(read_json_object("\"text\"", "params").error().message == "params must be a JSON object, got a string");
    CHECK(read_json_object("null", "params").error().message == "params must be a JSON object, got null");
}

TEST_CASE("text that is not JSON is PARSE, naming the argument") {
    auto broken = read_json_object("{\"x\":", "params");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code == ErrorCode::Parse);
    CHECK_FALSE(broken.error().remote);
    CHECK(broken.error().message.starts_with("params: "));
    CHECK(read_json_object("  ", "params").error().code == ErrorCode::Parse);
}

TEST_CASE("a dash reads the object from standard input") {
    auto params = read_from_stdin("{\"from\": \"stdin\"}\n");
    REQUIRE(params.ok());
    CHECK(*params == Map{{"from", "stdin"}});

    auto empty = read_from_stdin("");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == ErrorCode::Parse);
    CHECK(empty.error().message == "params must be a JSON object, got empty standard input");
}
