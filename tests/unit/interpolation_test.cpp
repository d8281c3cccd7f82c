// Unit tests of recipe variable interpolation: namespaces, pass-through, and shell-safe quoting.
#include "ggl/interpolation.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>

using namespace ggl;

namespace {

InterpolationContext context() {
    InterpolationContext context;
    context.root_path = "/gg";
    context.thing_name = "thing-1";
    context.component = {"com.example.A", "1.0.0",
                         Map{{"text", "plain"},
                             {"number", 42},
                             {"list", List{"x", "y"}},
                             {"map", Map{{"k", "v"}}},
                             {"a/b", "slash"},
                             {"m~n", "tilde"},
                             {"evil", "it's \"$(touch /tmp/pwned)\" `id` \\ ${HOME}\nEOF\nrm -rf /"},
                             {"nothing", nullptr}}};
    context.dependencies = {{"com.example.Dep", "2.0.0", Map{{"port", 8080}}}, {"com.example.NoVersion", "", Map{}}};
    return context;
}

std::string raw(std::string_view text) {
    auto result = interpolate(text, context(), InterpolationTarget::Raw);
    INFO(text);
    REQUIRE(result);
    return *result;
}

std::string shell(std::string_view text) {
    auto result = interpolate(text, context(), InterpolationTarget::Shell);
    INFO(text);
    REQUIRE(result);
    return *result;
}

// What /bin/sh prints for the interpolated script: proves the quoting, not only its shape.
std::string sh_output(const std::string& script) {
    std::string command = "/bin/sh -c " + shell_quote(shell(script));
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buffer[256];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        out.append(buffer, n);
    }
    int status = ::pclose(pipe);
    CHECK(WIFEXITED(status));
    return out;
}

const std::string kEvil = "it's \"$(touch /tmp/pwned)\" `id` \\ ${HOME}\nEOF\nrm -rf /";

} // namespace

TEST_CASE("every namespace of the component resolves") {
    CHECK(raw("{artifacts:path}") == "/gg/packages/artifacts/com.example.A/1.0.0");
    CHECK(raw("{artifacts:decompressedPath}") == "/gg/packages/artifacts-unarchived/com.example.A/1.0.0");
    CHECK(raw("{work:path}") == "/gg/work/com.example.A");
    CHECK(raw("{kernel:rootPath}") == "/gg");
    CHECK(raw("{iot:thingName}") == "thing-1");
    CHECK(raw("{configuration:/text}") == "plain");
}

TEST_CASE("configuration values: strings as is, others as JSON, JSON pointer escapes") {
    CHECK(raw("{configuration:/number}") == "42");
    CHECK(raw("{configuration:/list}") == R"(["x","y"])");
    CHECK(raw("{configuration:/list/1}") == "y");
    CHECK(raw("{configuration:/map}") == R"({"k":"v"})");
    CHECK(raw("{configuration:/a~1b}") == "slash");
    CHECK(raw("{configuration:/m~0n}") == "tilde");
    CHECK(raw("{configuration:/nothing}") == "");
}

TEST_CASE("a configuration key that does not exist is left as written") {
    CHECK(raw("x{configuration:/missing}y") == "x{configuration:/missing}y");
    CHECK(raw("{configuration:/list/9}") == "{configuration:/list/9}");
}

TEST_CASE("direct dependencies resolve; other components are left alone") {
    CHECK(raw("{com.example.Dep:artifacts:path}") == "/gg/packages/artifacts/com.example.Dep/2.0.0");
    CHECK(raw("{com.example.Dep:configuration:/port}") == "8080");
    CHECK(raw("{com.example.Dep:work:path}") == "/gg/work/com.example.Dep");
    CHECK(raw("{com.example.A:configuration:/text}") == "plain");
    CHECK(raw("{com.example.Stranger:artifacts:path}") == "{com.example.Stranger:artifacts:path}");
}

TEST_CASE("a dependency whose version is unknown cannot give its artifact path") {
    auto result = interpolate("{com.example.NoVersion:artifacts:path}", context(), InterpolationTarget::Raw);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::Invalid);
}

TEST_CASE("iot:thingName without a thing name is an error, not an empty string") {
    InterpolationContext without = context();
    without.thing_name.reset();
    CHECK_FALSE(interpolate("echo {iot:thingName}", without, InterpolationTarget::Shell));
}

TEST_CASE("shell and JSON syntax and unknown namespaces pass through byte for byte") {
    std::string script = R"(echo "${HOME}" {"a":1} $(date) ${X:-{}} {unknown:x} {kernel:other} { } {)";
    CHECK(shell(script) == script);
    CHECK(raw(script) == script);
}

TEST_CASE("values are quoted for the shell context they land in") {
    CHECK(shell("echo {configuration:/text}") == "echo 'plain'");
    CHECK(shell("echo '{configuration:/text}'") == "echo 'plain'");
    CHECK(shell("echo \"{configuration:/text}\"") == "echo \"plain\"");
    CHECK(shell("echo \"$(echo {configuration:/text})\"") == "echo \"$(echo 'plain')\"");
}

TEST_CASE("a hostile value stays data in every shell context") {
    std::string expected = kEvil;
    CHECK(sh_output("printf %s {configuration:/evil}") == expected);
    CHECK(sh_output("printf %s '{configuration:/evil}'") == expected);
    CHECK(sh_output("printf %s \"{configuration:/evil}\"") == expected);
    CHECK(sh_output("printf %s \"$(printf %s {configuration:/evil})\"") == expected);
    CHECK(sh_output("printf %s \"`printf %s {configuration:/evil}`\"") == expected);
    CHECK(sh_output("x=${UNSET_VAR:-{configuration:/evil}}; printf %s \"$x\"") == expected);
    CHECK(sh_output("printf %s ok # {configuration:/evil}") == "ok");
}

TEST_CASE("a value inside a here-document stays data") {
    CHECK(sh_output("cat <<END\n{configuration:/text} $(echo sub)\nEND\n") == "plain sub\n");
    // The value holds a line "EOF": it must not end the document early.
    CHECK(sh_output("cat <<END\n{configuration:/evil}\nEND\n") == kEvil + "\n");
    CHECK(sh_output("cat <<'END'\n{configuration:/text} $(x)\nEND\n") == "plain $(x)\n");
}

TEST_CASE("a value that would end a here-document is refused") {
    auto result = interpolate("cat <<'EOF'\n{configuration:/evil}\nEOF\n", context(), InterpolationTarget::Shell);
    REQUIRE_FALSE(result);
    CHECK(result.error().message.find("here-document") != std::string::npos);
}

TEST_CASE("recipe_variables_in lists only known variables") {
    auto found = recipe_variables_in("a {artifacts:path} {x} {dep:configuration:/y} ${HOME} {iot:thingName}");
    CHECK(found == std::vector<std::string>{"{artifacts:path}", "{dep:configuration:/y}", "{iot:thingName}"});
}

TEST_CASE("json_pointer_find follows RFC 6901") {
    Object document = Map{{"a", List{Map{{"b", 1}}}}};
    CHECK(json_pointer_find(document, "") == &document);
    REQUIRE(json_pointer_find(document, "/a/0/b"));
    CHECK(json_pointer_find(document, "/a/0/b")->as_i64() == 1);
    CHECK(json_pointer_find(document, "/a/01") == nullptr);
    CHECK(json_pointer_find(document, "a") == nullptr);
}
