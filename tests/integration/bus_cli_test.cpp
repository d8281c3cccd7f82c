// `ggl bus` end to end: the real ggl front command and ggl-bus against a real
// ggl-test-service, checking stdout, stderr and exit status.
#include "process.hpp"
#include "test_service_process.hpp"

#include "ggl/json.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

using namespace ggl;
using namespace ggl::testing;
using namespace std::chrono_literals;

namespace {

Object parse_json(const std::string& text) {
    auto parsed = from_json(text);
    INFO("JSON: " << text);
    REQUIRE(parsed.ok());
    return *parsed;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

// A runtime directory of its own with ggl-test-service serving in it.
struct BusFixture {
    TempDir runtime_dir{"ggl-bus-cli"};
    TestServiceProcess service{runtime_dir.path()};

    ProcessOptions options(std::string stdin_text = {}) const {
        ProcessOptions result;
        result.env["GGL_RUNTIME_DIR"] = runtime_dir.path();
        result.stdin_text = std::move(stdin_text);
        return result;
    }

    // `ggl ARGS...`, through the front command as a user runs it.
    Finished ggl(std::vector<std::string> args, std::string stdin_text = {}) const {
        args.insert(args.begin(), GGL_FRONT_EXE);
        return run(std::move(args), options(std::move(stdin_text)));
    }

    Finished bus(std::vector<std::string> args, std::string stdin_text = {}) const {
        args.insert(args.begin(), "bus");
        return ggl(std::move(args), std::move(stdin_text));
    }
};

} // namespace

TEST_CASE_METHOD(BusFixture, "call echo prints the params as pretty JSON by default") {
    Finished result = bus({"call", "ggl_test", "echo", R"({"x":1,"s":"hi","l":[true,null,2.5]})"});
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(line_count(result.out) > 1);
    CHECK(parse_json(result.out) == parse_json(R"({"x":1,"s":"hi","l":[true,null,2.5]})"));
}

TEST_CASE_METHOD(BusFixture, "call with --json=short prints one line, before or after the verb") {
    Finished after = bus({"call", "ggl_test", "echo", R"({"x":1})", "--json=short"});
    CHECK(after.exit_code == 0);
    CHECK(after.out == "{\"x\":1}\n");
    Finished before = bus({"--json=short", "call", "ggl_test", "echo", R"({"x":1})"});
    CHECK(before.exit_code == 0);
    CHECK(before.out == "{\"x\":1}\n");
}

TEST_CASE_METHOD(BusFixture, "call without params sends an empty object") {
    Finished result = bus({"call", "ggl_test", "echo", "--json=short"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{}\n");
}

TEST_CASE_METHOD(BusFixture, "a remote error goes to stderr as error: CODE: message and exits 4") {
    Finished result = bus({"call", "ggl_test", "fail", R"({"code":"NOENTRY","message":"no such thing"})"});
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(result.err == "ggl bus: error: NOENTRY: no such thing\n");
}

TEST_CASE_METHOD(BusFixture, "an unknown method is a remote NOENTRY") {
    Finished result = bus({"call", "ggl_test", "no_such_method"});
    CHECK(result.exit_code == 4);
    CHECK(result.out.empty());
    CHECK(result.err.starts_with("ggl bus: error: NOENTRY: "));
    CHECK(line_count(result.err) == 1);
}

TEST_CASE_METHOD(BusFixture, "a param of the wrong type is a remote INVALID") {
    Finished result = bus({"call", "ggl_test", "bytes", R"({"size":"three"})"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.starts_with("ggl bus: error: INVALID: "));
}

TEST_CASE("without a daemon, call exits 3 and names the socket path") {
    TempDir empty("ggl-bus-cli-empty");
    ProcessOptions options;
    options.env["GGL_RUNTIME_DIR"] = empty.path();
    Finished result = run({GGL_FRONT_EXE, "bus", "call", "gg_config", "read", "{}"}, options);
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    CHECK(result.err.starts_with("ggl bus: error: NOCONN: "));
    CHECK(result.err.find(empty.path() + "/gg_config") != std::string::npos);
    CHECK(line_count(result.err) == 1);
}

TEST_CASE("a stale socket file counts as no daemon") {
    TempDir dir("ggl-bus-cli-stale");
    std::string path = dir.path() + "/ggl_test";
    {
        // Bound, then closed without unlinking: what a crashed daemon leaves behind.
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path.c_str());
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ProcessOptions options;
    options.env["GGL_RUNTIME_DIR"] = dir.path();
    Finished call = run({GGL_FRONT_EXE, "bus", "call", "ggl_test", "echo"}, options);
    CHECK(call.exit_code == 3);
    CHECK(call.err.find(path) != std::string::npos);

    Finished list = run({GGL_FRONT_EXE, "bus", "list", "--json=short"}, options);
    CHECK(list.exit_code == 0);
    CHECK(list.out == "[]\n");
}

TEST_CASE_METHOD(BusFixture, "bad JSON params are a usage error, exit 2, one line") {
    Finished result = bus({"call", "ggl_test", "echo", R"({"x":)"});
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err.starts_with("ggl bus: error: PARSE: params: "));
    CHECK(line_count(result.err) == 1);
}

TEST_CASE_METHOD(BusFixture, "params that are not a JSON object are a usage error naming what they are") {
    Finished result = bus({"call", "ggl_test", "echo", "[1,2]"});
    CHECK(result.exit_code == 2);
    CHECK(result.err == "ggl bus: error: INVALID: params must be a JSON object, got an array\n");

    // Likely an unset shell variable: an error, not a silent {}.
    Finished empty = bus({"call", "ggl_test", "echo", ""});
    CHECK(empty.exit_code == 2);
    CHECK(empty.err == "ggl bus: error: PARSE: params must be a JSON object, got an empty argument\n");
}

TEST_CASE_METHOD(BusFixture, "a command-line mistake prints one line, not the help, and exits 2") {
    SECTION("missing METHOD") {
        Finished result = bus({"call", "ggl_test"});
        CHECK(result.exit_code == 2);
        CHECK(result.out.empty());
        CHECK(result.err == "ggl bus: error: METHOD is required (see 'ggl bus call --help')\n");
    }
    SECTION("unknown verb") {
        Finished result = bus({"frobnicate"});
        CHECK(result.exit_code == 2);
        CHECK(result.err == "ggl bus: error: unknown verb 'frobnicate' (see 'ggl bus --help')\n");
    }
    SECTION("bad --json style") {
        Finished result = bus({"call", "ggl_test", "echo", "--json=yaml"});
        CHECK(result.exit_code == 2);
        CHECK(line_count(result.err) == 1);
        CHECK(result.err.find("--json=yaml") != std::string::npos);
    }
    SECTION("zero --timeout") {
        Finished result = bus({"call", "--timeout", "0", "ggl_test", "echo"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.find("--timeout") != std::string::npos);
    }
    SECTION("a service name that is not one") {
        Finished result = bus({"call", "../etc", "echo"});
        CHECK(result.exit_code == 2);
        CHECK(result.err.starts_with("ggl bus: error: INVALID: "));
    }
}

TEST_CASE_METHOD(BusFixture, "a dash reads the params from standard input") {
    Finished result = bus({"call", "ggl_test", "echo", "-", "--json=short"}, R"({"from":"stdin"})");
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{\"from\":\"stdin\"}\n");

    Finished empty = bus({"call", "ggl_test", "echo", "-"}, "");
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("standard input") != std::string::npos);
}

TEST_CASE_METHOD(BusFixture, "bytes that are not UTF-8 are shown as base64") {
    Finished result = bus({"call", "ggl_test", "bytes", R"({"size":3})", "--json=short"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "\"//79\"\n"); // 0xff 0xfe 0xfd
}

TEST_CASE_METHOD(BusFixture, "a call that outlives --timeout exits 3") {
    auto started = std::chrono::steady_clock::now();
    Finished result = bus({"call", "--timeout", "0.3", "ggl_test", "delay", R"({"ms":5000})"});
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    CHECK(result.err.starts_with("ggl bus: error: TIMEOUT: "));
    CHECK(result.err.find("0.3 s") != std::string::npos);
    CHECK(took < 3s);

    Finished patient = bus({"call", "--timeout", "5", "ggl_test", "delay", R"({"ms":100})", "--json=short"});
    CHECK(patient.exit_code == 0);
    CHECK(patient.out == "{\"delayed_ms\":100}\n");
}

TEST_CASE_METHOD(BusFixture, "notify reaches the service and prints nothing") {
    REQUIRE(bus({"notify", "ggl_test", "count"}).exit_code == 0);
    Finished second = bus({"notify", "ggl_test", "count"});
    CHECK(second.exit_code == 0);
    CHECK(second.out.empty());
    CHECK(second.err.empty());
    Finished count = bus({"call", "ggl_test", "get_count", "--json=short"});
    CHECK(count.out == "{\"count\":2}\n");
}

TEST_CASE_METHOD(BusFixture, "notify without a daemon exits 3") {
    Finished result = bus({"notify", "nobody_home", "count"});
    CHECK(result.exit_code == 3);
    CHECK(result.err.find(runtime_dir.path() + "/nobody_home") != std::string::npos);
}

TEST_CASE_METHOD(BusFixture, "subscribe --count 3 prints three JSON lines and exits 0") {
    Finished result = bus({"subscribe", "ggl_test", "ticks", R"({"interval_ms":10})", "--count", "3"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
    CHECK(result.err.empty());
}

TEST_CASE_METHOD(BusFixture, "subscribe prints events until the service ends the subscription") {
    Finished result = bus({"subscribe", "ggl_test", "stream", R"({"count":4})"});
    CHECK(result.exit_code == 0);
    CHECK(result.out == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
}

TEST_CASE_METHOD(BusFixture, "subscribe keeps up with a long stream") {
    Finished result = bus({"subscribe", "ggl_test", "stream", R"({"count":20000})"});
    CHECK(result.exit_code == 0);
    CHECK(line_count(result.out) == 20000);
    CHECK(result.out.ends_with("{\"n\":19999}\n"));
}

TEST_CASE_METHOD(BusFixture, "a subscription the service ends with an error exits 4") {
    Finished result = bus({"subscribe", "ggl_test", "fail_stream", R"({"code":"CONFLICT","message":"lost"})"});
    CHECK(result.exit_code == 4);
    CHECK(result.out == "{\"n\":0}\n");
    CHECK(result.err == "ggl bus: error: CONFLICT: lost\n");
}

TEST_CASE_METHOD(BusFixture, "a subscription the service refuses exits 4") {
    Finished result = bus({"subscribe", "ggl_test", "stream", R"({"count":-1})"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.starts_with("ggl bus: error: RANGE: "));
}

TEST_CASE_METHOD(BusFixture, "subscribe to a call method is a remote INVALID") {
    Finished result = bus({"subscribe", "ggl_test", "echo"});
    CHECK(result.exit_code == 4);
    CHECK(result.err.starts_with("ggl bus: error: INVALID: "));
}

TEST_CASE_METHOD(BusFixture, "subscribe cancels cleanly and exits 0 on SIGINT or SIGTERM") {
    int sig = GENERATE(SIGINT, SIGTERM);
    Process subscriber({GGL_FRONT_EXE, "bus", "subscribe", "ggl_test", "ticks", R"({"interval_ms":20})"}, options());
    // Each event is flushed as it arrives, so the first shows while the stream goes on.
    REQUIRE(subscriber.wait_for_stdout("{\"n\":1}\n", 10s));
    subscriber.signal(sig);
    Finished result = subscriber.finish(10s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(result.out.starts_with("{\"n\":0}\n{\"n\":1}\n"));
}

TEST_CASE_METHOD(BusFixture, "list shows the running services and skips stale sockets") {
    TestServiceProcess other(runtime_dir.path(), "other_service");
    {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, (runtime_dir.path() + "/stale_service").c_str());
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }

    Finished human = bus({"list"});
    CHECK(human.exit_code == 0);
    CHECK(human.err.empty());
    std::vector<std::string> lines = lines_of(human.out);
    REQUIRE(lines.size() == 3); // header, ggl_test, other_service; not the stale one
    const std::string& header = lines[0];
    CHECK(header.starts_with("SERVICE "));
    size_t version_column = header.find("  VERSION  ") + 2;
    size_t methods_column = header.find("  METHODS") + 2;
    CHECK(lines[1].starts_with("ggl_test "));
    CHECK(lines[1].substr(version_column).starts_with(GGL_PROJECT_VERSION " "));
    CHECK(lines[1].substr(methods_column).starts_with("echo,fail,sleep,"));
    CHECK(lines[2].starts_with("other_service "));

    Finished json = bus({"list", "--json"});
    CHECK(json.exit_code == 0);
    Object listed = parse_json(json.out);
    REQUIRE(listed.is_list());
    REQUIRE(listed.as_list().size() == 2);
    const Map& first = listed.as_list()[0].as_map();
    CHECK(*first.find("service") == Object("ggl_test"));
    CHECK(*first.find("version") == Object(GGL_PROJECT_VERSION));
    const List& methods = first.find("methods")->as_list();
    CHECK(std::find(methods.begin(), methods.end(), Object("echo")) != methods.end());
    CHECK(std::find(methods.begin(), methods.end(), Object("stream")) != methods.end());
    CHECK(*listed.as_list()[1].as_map().find("service") == Object("other_service"));
}

TEST_CASE_METHOD(BusFixture, "list shows a socket that never answers without holding up the others") {
    // Listening but never accepting: connect succeeds, ggl.describe gets no answer.
    UniqueFd silent(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, (runtime_dir.path() + "/a_silent_one").c_str());
    REQUIRE(::bind(silent.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(silent.get(), 8) == 0);

    auto started = std::chrono::steady_clock::now();
    Finished result = bus({"list", "--timeout", "0.5", "--json=short"});
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(result.exit_code == 0);
    CHECK(took < 3s);
    Object listed = parse_json(result.out);
    REQUIRE(listed.as_list().size() == 2);
    const Map& silent_row = listed.as_list()[0].as_map();
    CHECK(*silent_row.find("service") == Object("a_silent_one"));
    CHECK(silent_row.find("version")->is_null());
    CHECK(silent_row.find("methods")->is_null());
    CHECK(*listed.as_list()[1].as_map().find("version") == Object(GGL_PROJECT_VERSION));
}

TEST_CASE("list with no runtime directory lists nothing") {
    TempDir dir("ggl-bus-cli-none");
    ProcessOptions options;
    options.env["GGL_RUNTIME_DIR"] = dir.path() + "/missing";
    Finished result = run({GGL_FRONT_EXE, "bus", "list"}, options);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "SERVICE  VERSION  METHODS\n");
}

TEST_CASE_METHOD(BusFixture, "describe shows each method with its kind and params") {
    Finished result = bus({"describe", "ggl_test"});
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(result.out.starts_with("Service: ggl_test\nVersion: " GGL_PROJECT_VERSION "\n"));
    CHECK(result.out.find("\necho (call)\n    Answers with the params it was given.\n") != std::string::npos);
    CHECK(result.out.find("\nstream (subscribe)\n") != std::string::npos);
    CHECK(result.out.find("    PARAM        TYPE  REQUIRED  HELP\n"
                          "    count        int   yes       Number of events\n"
                          "    interval_ms  int   no        Pause between events (default 0)\n") != std::string::npos);
}

TEST_CASE_METHOD(BusFixture, "describe --json prints the ggl.describe result") {
    Finished result = bus({"describe", "ggl_test", "--json=short"});
    CHECK(result.exit_code == 0);
    CHECK(line_count(result.out) == 1);
    Object description = parse_json(result.out);
    REQUIRE(description.is_map());
    CHECK(*description.as_map().find("service") == Object("ggl_test"));
    const List& methods = description.as_map().find("methods")->as_list();
    auto fail = std::find_if(methods.begin(), methods.end(),
                             [](const Object& method) { return *method.as_map().find("name") == Object("fail"); });
    REQUIRE(fail != methods.end());
    CHECK(*fail->as_map().find("kind") == Object("call"));
    const Map& code = fail->as_map().find("params")->as_list()[0].as_map();
    CHECK(*code.find("name") == Object("code"));
    CHECK(*code.find("type") == Object("string"));
    CHECK(*code.find("required") == Object(true));
}

TEST_CASE_METHOD(BusFixture, "the --socket option reaches a service outside GGL_RUNTIME_DIR") {
    TempDir elsewhere("ggl-bus-cli-socket");
    std::string path = elsewhere.path() + "/custom.sock";
    TestServiceProcess custom(elsewhere.path(), "custom", path);

    Finished after = bus({"call", "ggl_test", "echo", R"({"where":"custom"})", "--socket", path, "--json=short"});
    CHECK(after.exit_code == 0);
    CHECK(after.out == "{\"where\":\"custom\"}\n");
    Finished before = bus({"--socket", path, "describe", "anything", "--json=short"});
    CHECK(before.exit_code == 0);
    CHECK(before.out.find("\"service\":\"custom\"") != std::string::npos);

    Finished missing = bus({"call", "--socket", elsewhere.path() + "/nothing.sock", "ggl_test", "echo"});
    CHECK(missing.exit_code == 3);
    CHECK(missing.err.find(elsewhere.path() + "/nothing.sock") != std::string::npos);
}

TEST_CASE_METHOD(BusFixture, "help works on the program and on every verb") {
    Finished program = bus({"--help"});
    CHECK(program.exit_code == 0);
    CHECK(program.err.empty());
    CHECK(program.out.find("Usage: ggl bus") != std::string::npos);
    for (const char* verb : {"call", "notify", "subscribe", "list", "describe"}) {
        INFO("verb " << verb);
        Finished help = bus({verb, "--help"});
        CHECK(help.exit_code == 0);
        CHECK(help.err.empty());
        CHECK(help.out.find(std::string("Usage: ggl bus ") + verb) != std::string::npos);
        CHECK(help.out.find("Exit status:") != std::string::npos);
        CHECK(help.out.find("--timeout SECONDS") != std::string::npos);
    }
}

TEST_CASE("ggl lists its verbs, prints its version and refuses unknown verbs") {
    Finished help = run({GGL_FRONT_EXE, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("\n  bus ") != std::string::npos);
    // deploy and component are built into ggl itself: always listed.
    CHECK(help.out.find("\n  deploy ") != std::string::npos);
    CHECK(help.out.find("\n  component ") != std::string::npos);

    Finished version = run({GGL_FRONT_EXE, "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out == "ggl " GGL_PROJECT_VERSION "\n");

    Finished unknown = run({GGL_FRONT_EXE, "frobnicate"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err == "ggl: error: unknown verb 'frobnicate' (see 'ggl --help')\n");

    Finished nothing = run({GGL_FRONT_EXE});
    CHECK(nothing.exit_code == 2);
    CHECK(line_count(nothing.err) == 1);
}

TEST_CASE("ggl-bus, ggl-config and ggl-recipe are ggl under another name, with nothing else installed") {
    // A ggl alone in a directory, with nothing on PATH: every verb runs in-process, and a
    // link named after a program is that program.
    TempDir dir("ggl-front-alone");
    std::string lonely = dir.path() + "/ggl";
    std::filesystem::copy_file(GGL_FRONT_EXE, lonely);
    std::filesystem::permissions(lonely, std::filesystem::perms::owner_all);
    ProcessOptions options;
    options.env["PATH"] = dir.path() + "/empty";

    Finished help = run({lonely, "--help"}, options);
    CHECK(help.exit_code == 0);
    for (const char* verb : {"\n  config ", "\n  recipe ", "\n  bus ", "\n  deploy ", "\n  component ", "\n  check "}) {
        CHECK(help.out.find(verb) != std::string::npos);
    }

    Finished through_ggl = run({lonely, "bus", "--help"}, options);
    CHECK(through_ggl.exit_code == 0);
    for (const char* program : {"ggl-bus", "ggl-config", "ggl-recipe"}) {
        std::filesystem::create_symlink("ggl", dir.path() + "/" + program);
    }
    Finished by_name = run({dir.path() + "/ggl-bus", "--help"}, options);
    CHECK(by_name.exit_code == 0);
    CHECK(by_name.out == through_ggl.out);
    CHECK(by_name.out.starts_with("Call, subscribe to and inspect"));

    Finished config = run({dir.path() + "/ggl-config", "get"}, options);
    CHECK(config.exit_code == 2);
    CHECK(config.err.starts_with("ggl config: "));

    Finished recipe = run({dir.path() + "/ggl-recipe", "frobnicate"}, options);
    CHECK(recipe.exit_code == 2);
    CHECK(recipe.err.starts_with("ggl recipe: "));
}
