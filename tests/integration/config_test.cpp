// ggconfigd and `ggl config` end to end: real daemon processes, real sqlite files, the
// real ggl front command, checking output, exit status and what survives a kill -9.
#include "corpus.hpp"
#include "process.hpp"

#include "ggl/bus_client.hpp"
#include "ggl/json.hpp"

#include <catch2/catch.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

using namespace ggl;
using namespace ggl::testing;
using namespace std::chrono_literals;

namespace {

std::string corpus(const std::string& name) {
    std::string path = (corpus_location() / name).string();
    // Cases tagged [.corpus] run only when the corpus is there (with_corpus.sh); a file
    // missing from it fails the test.
    REQUIRE(std::filesystem::exists(path));
    return path;
}

void write_file(const std::string& path, std::string_view text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A device in a temp dir: runtime dir, root (config.db) and config dir of its own.
struct Device {
    TempDir dir{"ggl-config"};
    std::string runtime = dir.path() + "/run";
    std::string root = dir.path() + "/root";
    std::string etc = dir.path() + "/etc";
    std::string db = root + "/config.db";
    std::string log = dir.path() + "/ggconfigd.log";
    std::unique_ptr<Process> daemon;

    Device() { std::filesystem::create_directories(runtime); }
    ~Device() { stop(); }

    ProcessOptions options() const {
        ProcessOptions result;
        result.env["GGL_RUNTIME_DIR"] = runtime;
        result.env["GGL_ROOT"] = root;
        result.env["GGL_CONFIG_DIR"] = etc;
        result.env["GGL_CONFIG_DB"] = db;
        return result;
    }

    // Starts ggconfigd and waits until it serves; false when it exited instead.
    bool start() {
        ProcessOptions daemon_options = options();
        daemon_options.stderr_file = log;
        daemon = std::make_unique<Process>(std::vector<std::string>{GGL_CONFIGD_EXE}, daemon_options);
        for (int attempt = 0; attempt < 1000; ++attempt) {
            if (socket_accepts(runtime + "/gg_config")) {
                return true;
            }
            if (daemon->exited()) {
                return false;
            }
            ::usleep(10000);
        }
        throw std::runtime_error("ggconfigd did not serve within 10 s; its log:\n" + read_file(log));
    }
    void stop() {
        if (daemon) {
            daemon->signal(SIGTERM);
            daemon->finish();
            daemon.reset();
        }
    }
    void kill9() {
        daemon->signal(SIGKILL);
        daemon->finish();
        daemon.reset();
    }

    Finished ggl(std::vector<std::string> args) const {
        args.insert(args.begin(), GGL_FRONT_EXE);
        return run(std::move(args), options());
    }
    Finished config(std::vector<std::string> args) const {
        args.insert(args.begin(), "config");
        return ggl(std::move(args));
    }
    // `ggl config ARGS` with input on standard input (a pipe, as from `printf ... |`).
    Finished config_with_input(std::vector<std::string> args, std::string input) const {
        args.insert(args.begin(), {GGL_FRONT_EXE, "config"});
        ProcessOptions piped = options();
        piped.stdin_text = std::move(input);
        return run(std::move(args), std::move(piped));
    }
    std::unique_ptr<Process> watch(std::vector<std::string> args) const {
        args.insert(args.begin(), {GGL_FRONT_EXE, "config", "watch"});
        return std::make_unique<Process>(std::move(args), options());
    }
    bus::Client client() const { return bus::Client::for_path(runtime + "/gg_config"); }
};

Map read_params(std::vector<std::string> path) {
    List list(path.begin(), path.end());
    return Map{{"key_path", list}};
}

std::string integrity_of(const std::string& db) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &stmt, nullptr);
    std::string verdict =
        sqlite3_step(stmt) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : "";
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return verdict;
}

// Waits until the watcher has subscribed (its first event cannot be awaited otherwise):
// the daemon logs nothing per subscription, so a marker write is used instead.
void await_subscribed(Device& device, Process& watcher, const std::string& marker_key) {
    for (int i = 0; i < 200; ++i) {
        REQUIRE(device.config({"set", marker_key, std::to_string(i)}).exit_code == 0);
        if (watcher.wait_for_stdout(marker_key.substr(marker_key.rfind('/') + 1), 50ms)) {
            return;
        }
    }
    FAIL("the watcher never saw its marker");
}

} // namespace

TEST_CASE("set then get prints the value, through the daemon and with --db") {
    Device device;
    REQUIRE(device.start());
    auto set = device.config({"set", "system/thingName", "dev-1"});
    CHECK(set.exit_code == 0);
    auto get = device.config({"get", "system/thingName"});
    CHECK(get.out == "dev-1\n");
    auto bus = device.ggl({"bus", "call", "gg_config", "read", R"({"key_path":["SYSTEM","THINGNAME"]})"});
    CHECK(bus.exit_code == 0);
    CHECK(bus.out == "\"dev-1\"\n");
    device.stop();

    // Without the daemon: --db before or after the verb.
    CHECK(device.config({"--db", device.db, "get", "system/thingName"}).out == "dev-1\n");
    CHECK(device.config({"set", "system/thingName", "dev-2", "--db", device.db}).exit_code == 0);
    CHECK(device.config({"get", "--db", device.db, "System/ThingName"}).out == "dev-2\n");
}

TEST_CASE("the database mode while the daemon runs works and warns that subscribers are not notified") {
    Device device;
    REQUIRE(device.start());
    auto set = device.config({"--db", device.db, "set", "a/b", "1"});
    CHECK(set.exit_code == 0);
    CHECK_THAT(set.err, Catch::Contains("ggl config: warning:") && Catch::Contains("not notified"));
    CHECK(device.config({"get", "a/b"}).out == "1\n");
}

TEST_CASE("exit statuses: not found 1, usage 2, no daemon 3, refused 4") {
    Device device;
    auto no_daemon = device.config({"get", "system"});
    CHECK(no_daemon.exit_code == 3);
    CHECK_THAT(no_daemon.err, Catch::StartsWith("ggl config: error:"));
    REQUIRE(device.start());
    auto missing = device.config({"get", "no/such/key"});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("NOENTRY") && Catch::Contains("no/such/key"));
    CHECK(device.config({"get", "a//b"}).exit_code == 2);
    CHECK(device.config({"frobnicate"}).exit_code == 2);
    CHECK(device.config({"set", "only-path"}).exit_code == 2);
    REQUIRE(device.config({"set", "m/leaf", "1"}).exit_code == 0);
    auto conflict = device.config({"set", "m", "7"});
    CHECK(conflict.exit_code == 4);
    CHECK_THAT(conflict.err, Catch::Contains("CONFLICT"));
    auto on_leaf = device.config({"list", "m/leaf"});
    CHECK(on_leaf.exit_code == 4);
    CHECK_THAT(on_leaf.err, Catch::Contains("INVALID"));
    CHECK(device.config({"list", "absent"}).exit_code == 1);
    // The same refusals end the same way with --db.
    device.stop();
    CHECK(device.config({"--db", device.db, "set", "m", "7"}).exit_code == 4);
    CHECK(device.config({"--db", device.db, "get", "absent"}).exit_code == 1);
}

TEST_CASE("every verb has --help with its exit statuses") {
    Device device;
    for (const char* verb : {"get", "set", "list", "delete", "watch", "import", "export", "backup", "restore"}) {
        auto help = device.config({verb, "--help"});
        INFO(verb);
        CHECK(help.exit_code == 0);
        CHECK_THAT(help.out, Catch::Contains("Exit status"));
    }
}

TEST_CASE("set parses JSON values, --string keeps text, --path takes names with slashes") {
    Device device;
    REQUIRE(device.start());
    CHECK(device.config({"set", "v/num", "86400"}).exit_code == 0);
    CHECK(device.config({"set", "v/text", "hello world"}).exit_code == 0);
    CHECK(device.config({"set", "--string", "v/str", "86400"}).exit_code == 0);
    CHECK(device.config({"set", "--path", R"(["v","a/b"])", "true"}).exit_code == 0);
    auto exported = device.config({"export", "v", "--format", "json", "--json=short"});
    CHECK(exported.out == R"({"num":86400,"text":"hello world","str":"86400","a/b":true})"
                          "\n");
    CHECK(device.config({"get", "--path", R"(["v","a/b"])"}).out == "true\n");
    CHECK(device.config({"get", "--path", R"(["v",""])"}).exit_code == 2);
}

TEST_CASE("list prints one name per line, --recursive every path, --json a list") {
    Device device;
    REQUIRE(device.start());
    REQUIRE(device.config({"set", "s", R"({"B":{"c":1},"a":2})"}).exit_code == 0);
    CHECK(device.config({"list", "s"}).out == "B\na\n");
    CHECK(device.config({"list", "s", "--json=short"}).out == "[\"B\",\"a\"]\n");
    CHECK(device.config({"list", "s", "--recursive"}).out == "s/B\ns/B/c\ns/a\n");
    CHECK(device.config({"list"}).out == "s\n");
}

TEST_CASE("malformed bus params get INVALID naming what was wrong") {
    Device device;
    REQUIRE(device.start());
    auto not_list = device.ggl({"bus", "call", "gg_config", "read", R"({"key_path":"a/b"})"});
    CHECK(not_list.exit_code == 4);
    CHECK_THAT(not_list.err, Catch::Contains("INVALID"));
    auto empty_segment = device.ggl({"bus", "call", "gg_config", "write", R"({"key_path":["a",""],"value":1})"});
    CHECK_THAT(empty_segment.err, Catch::Contains("INVALID") && Catch::Contains("key_path[1]"));
    auto number = device.ggl({"bus", "call", "gg_config", "read", R"({"key_path":["a",5]})"});
    CHECK_THAT(number.err, Catch::Contains("key_path[1] must be a string"));
    auto root_delete = device.ggl({"bus", "call", "gg_config", "delete", R"({"key_path":[]})"});
    CHECK_THAT(root_delete.err, Catch::Contains("INVALID"));
    auto no_value = device.ggl({"bus", "call", "gg_config", "write", R"({"key_path":["a"]})"});
    CHECK_THAT(no_value.err, Catch::Contains("INVALID") && Catch::Contains("value"));
    auto bad_ts = device.ggl({"bus", "call", "gg_config", "write", R"({"key_path":["a"],"value":1,"timestamp":"x"})"});
    CHECK_THAT(bad_ts.err, Catch::Contains("INVALID") && Catch::Contains("timestamp"));
}

TEST_CASE("timestamps: an older write loses, an equal one wins") {
    Device device;
    REQUIRE(device.start());
    REQUIRE(device.config({"set", "t", "new", "--timestamp", "1000"}).exit_code == 0);
    CHECK(device.config({"set", "t", "old", "--timestamp", "999"}).exit_code == 0);
    CHECK(device.config({"get", "t"}).out == "new\n");
    CHECK(device.config({"set", "t", "equal", "--timestamp", "1000"}).exit_code == 0);
    CHECK(device.config({"get", "t"}).out == "equal\n");
    // A runtime write without a timestamp is wall-clock time, far newer than 1000.
    CHECK(device.config({"set", "t", "now"}).exit_code == 0);
    CHECK(device.config({"get", "t"}).out == "now\n");
}

TEST_CASE("an empty map reads back as {} and a 1 MiB value is whole") {
    Device device;
    REQUIRE(device.start());
    CHECK(device.config({"set", "empty", "{}"}).exit_code == 0);
    CHECK(device.config({"get", "empty", "--json=short"}).out == "{}\n");
    auto client = device.client();
    std::string big(1u << 20, 'b');
    REQUIRE(client.call("write", Map{{"key_path", List{"big"}}, {"value", big}}).ok());
    auto read = client.call("read", read_params({"big"}));
    REQUIRE(read.ok());
    CHECK(read->as_string() == big);
}

TEST_CASE("watch on a missing key sees creation, unchanged writes stay silent, deletes and re-creation are seen") {
    Device device;
    REQUIRE(device.start());
    auto watcher = device.watch({"w", "--count", "5"});
    await_subscribed(device, *watcher, "w/marker"); // event 1
    REQUIRE(device.config({"set", "w/x", "1"}).exit_code == 0); // event 2
    REQUIRE(device.config({"set", "w/x", "1"}).exit_code == 0); // unchanged: none
    REQUIRE(device.config({"set", "other", "1"}).exit_code == 0); // elsewhere: none
    REQUIRE(device.config({"delete", "w"}).exit_code == 0); // event 3
    REQUIRE(device.config({"set", "w/y", "2"}).exit_code == 0); // event 4: re-created
    REQUIRE(device.config({"set", "w/y", "3"}).exit_code == 0); // event 5
    auto finished = watcher->finish(20s);
    CHECK(finished.exit_code == 0);
    // The marker may have needed several writes; only the lines after it matter.
    std::string out = finished.out;
    out = out.substr(out.rfind("marker"));
    out = out.substr(out.find('\n') + 1);
    CHECK(out == R"({"key_path":["w","x"]})"
                 "\n"
                 R"({"key_path":["w"],"deleted":true})"
                 "\n"
                 R"({"key_path":["w","y"]})"
                 "\n"
                 R"({"key_path":["w","y"]})"
                 "\n");
}

TEST_CASE("a subscriber that stops reading never blocks writers") {
    Device device;
    REQUIRE(device.start());
    auto stalled = device.client();
    REQUIRE(stalled.send(bus::Op::Subscribe, "subscribe", read_params({"hot"})).ok());
    REQUIRE(stalled.flush().ok());
    auto writer = device.client();
    std::string value(64, 'v');
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10000; ++i) {
        auto written = writer.call("write", Map{{"key_path", List{"hot", "k" + std::to_string(i % 100)}},
                                                {"value", value + std::to_string(i)}});
        REQUIRE(written.ok());
    }
    CHECK(std::chrono::steady_clock::now() - start < 60s);
    CHECK(writer.call("read", read_params({"hot", "k99"}))->as_string() == value + "9999");
}

TEST_CASE("two concurrent writers both land every write") {
    Device device;
    REQUIRE(device.start());
    std::atomic<int> failures{0};
    auto write_many = [&](std::string prefix) {
        auto client = device.client();
        for (int i = 0; i < 300; ++i) {
            if (!client.call("write", Map{{"key_path", List{"c", prefix + std::to_string(i)}}, {"value", i}})) {
                ++failures;
            }
        }
    };
    std::thread first(write_many, "a");
    std::thread second(write_many, "b");
    first.join();
    second.join();
    CHECK(failures == 0);
    CHECK(device.client().call("list", read_params({"c"}))->as_list().size() == 600);
}

TEST_CASE("acknowledged writes survive kill -9 and the database stays intact") {
    Device device;
    REQUIRE(device.start());
    auto client = device.client();
    constexpr int kWrites = 500;
    for (int i = 0; i < kWrites; ++i) {
        REQUIRE(client.call("write", Map{{"key_path", List{"durable", "k" + std::to_string(i)}}, {"value", i}}).ok());
    }
    REQUIRE(client.call("write", Map{{"key_path", List{"durable"}}, {"value", Map{{"m1", 1}, {"m2", 2}}}}).ok());
    device.kill9();
    CHECK(integrity_of(device.db) == "ok");
    REQUIRE(device.start());
    auto restarted = device.client();
    auto tree = restarted.call("read", read_params({"durable"}));
    REQUIRE(tree.ok());
    CHECK(tree->as_map().size() == kWrites + 2);
    CHECK(*tree->as_map().find("k499") == Object(499));
}

TEST_CASE("a map write is atomic: a conflict anywhere leaves nothing of it") {
    Device device;
    REQUIRE(device.start());
    REQUIRE(device.config({"set", "atom/leaf", "1"}).exit_code == 0);
    auto partial = device.config({"set", "atom", R"({"fresh":1,"leaf":{"x":1}})"});
    CHECK(partial.exit_code == 4);
    CHECK(device.config({"get", "atom", "--json=short"}).out == "{\"leaf\":1}\n");
}

TEST_CASE("at start config.yaml then config.d load in name order at ts 2, a bad file is named and the rest serves") {
    Device device;
    write_file(device.etc + "/config.yaml", "system:\n  thingName: base\n  port: 86400\n  flag: true\n");
    write_file(device.etc + "/config.d/20-late.yaml", "system:\n  thingName: late\n");
    write_file(device.etc + "/config.d/10-early.json", R"({"system":{"thingName":"early","extra":null}})");
    write_file(device.etc + "/config.d/15-broken.yaml", "system:\n  x: [1,\n");
    REQUIRE(device.start());
    CHECK(device.config({"get", "system/thingName"}).out == "late\n");
    CHECK(device.config({"get", "system/port"}).out == "86400\n");
    CHECK(device.config({"get", "system/flag"}).out == "true\n");
    CHECK(device.config({"get", "system/extra"}).out == "null\n");
    std::string log = read_file(device.log);
    CHECK_THAT(log, Catch::Contains("15-broken.yaml: line") && Catch::Contains("column"));
    // ts 2: a runtime write wins over the files at the next start.
    REQUIRE(device.config({"set", "system/thingName", "runtime"}).exit_code == 0);
    device.stop();
    REQUIRE(device.start());
    CHECK(device.config({"get", "system/thingName"}).out == "runtime\n");
}

TEST_CASE("the nucleus lite sample config imports and exports", "[.corpus]") {
    Device device;
    REQUIRE(device.start());
    CHECK(device.config({"import", corpus("lite-sample_nucleus_config.yaml")}).exit_code == 0);
    CHECK(device.config({"list", "services"}).out.find("aws.greengrass.NucleusLite") != std::string::npos);
}

TEST_CASE("backup and restore: restore notifies only subtrees that changed") {
    Device device;
    REQUIRE(device.start());
    REQUIRE(device.config({"set", "keep", R"({"x":1})"}).exit_code == 0);
    REQUIRE(device.config({"set", "change", R"({"y":1})"}).exit_code == 0);
    auto keep_watcher = device.watch({"keep"});
    auto change_watcher = device.watch({"change"});
    await_subscribed(device, *keep_watcher, "keep/marker");
    await_subscribed(device, *change_watcher, "change/marker");
    REQUIRE(device.config({"backup", "snap1"}).exit_code == 0);
    REQUIRE(device.config({"set", "change/y", "2"}).exit_code == 0);
    REQUIRE(device.config({"restore", "snap1"}).exit_code == 0);
    CHECK(device.config({"get", "change/y"}).out == "1\n");
    // Events arrive in commit order: once the sentinels are seen, the restore's are too.
    REQUIRE(device.config({"set", "keep/sentinel", "1"}).exit_code == 0);
    REQUIRE(device.config({"set", "change/sentinel", "1"}).exit_code == 0);
    CHECK(keep_watcher->wait_for_stdout("sentinel", 10s));
    CHECK(change_watcher->wait_for_stdout("sentinel", 10s));
    keep_watcher->signal(SIGTERM);
    change_watcher->signal(SIGTERM);
    auto after_markers = [](std::string out) {
        out = out.substr(out.rfind("marker"));
        return out.substr(out.find('\n') + 1);
    };
    CHECK(after_markers(keep_watcher->finish(10s).out) == R"({"key_path":["keep","sentinel"]})"
                                                          "\n");
    CHECK(after_markers(change_watcher->finish(10s).out) == R"({"key_path":["change","y"]})"
                                                            "\n"
                                                            R"({"key_path":["change","y"]})"
                                                            "\n"
                                                            R"({"key_path":["change","sentinel"]})"
                                                            "\n");
    CHECK(device.config({"restore", "nope"}).exit_code == 1);
}

TEST_CASE("tlog import replays the Greengrass tlogs, through the daemon and with --db", "[.corpus]") {
    Device device;
    REQUIRE(device.start());
    auto imported = device.config({"import", corpus("tlog/config__testSkeleton.tlog")});
    CHECK(imported.exit_code == 0);
    CHECK(device.config({"get", "test/lastline"}).out == "lastline\n");
    device.stop();
    auto direct = device.config({"--db", device.db, "import", corpus("tlog/config__removeTopics.tlog")});
    CHECK(direct.exit_code == 0);
    CHECK(device.config({"--db", device.db, "get", "first/second", "--json=short"}).out == "{}\n");
}

TEST_CASE("a corrupted tlog imports every whole line and names the bad one", "[.corpus]") {
    Device device;
    REQUIRE(device.config({"--db", device.db, "set", "keep", "me"}).exit_code == 0);
    auto imported = device.config({"--db", device.db, "import", corpus("tlog/config__corruptedConfig.tlog")});
    CHECK(imported.exit_code == 1);
    CHECK_THAT(imported.err, Catch::Contains("config__corruptedConfig.tlog:2:"));
    CHECK(device.config({"--db", device.db, "get", "keep"}).out == "me\n");
    CHECK(device.config({"--db", device.db, "list", "services/DeploymentService/ComponentToGroups"}).out ==
          "aws.greengrass.LambdaRuntimes\n");
}

// A pipe can be read only once: import reads FILE whole, then tells YAML from a tlog.
constexpr const char* kPipedYaml = "system:\n  thingName: piped\nitems: [1, two]\n";
constexpr const char* kPipedTlog = R"({"TS":100,"TP":["tl","a"],"W":"changed","V":"one"})"
                                   "\n"
                                   R"({"TS":101,"TP":["tl","b"],"W":"changed","V":2})"
                                   "\n"
                                   R"({"TS":102,"TP":["tl","a"],"W":"removed"})"
                                   "\n";

TEST_CASE("import reads YAML and tlogs through a pipe, /dev/stdin or -, through the daemon") {
    Device device;
    REQUIRE(device.start());
    auto yaml = device.config_with_input({"import", "/dev/stdin"}, kPipedYaml);
    CHECK(yaml.exit_code == 0);
    CHECK(yaml.err.empty());
    CHECK(device.config({"get", "system/thingName"}).out == "piped\n");
    CHECK(device.config({"get", "items", "--json=short"}).out == "[1,\"two\"]\n");

    auto tlog = device.config_with_input({"import", "/dev/stdin"}, kPipedTlog);
    CHECK(tlog.exit_code == 0);
    CHECK(tlog.err.empty());
    CHECK(device.config({"list", "tl"}).out == "b\n");
    CHECK(device.config({"get", "tl/b"}).out == "2\n");

    auto dash = device.config_with_input({"import", "-"}, "system:\n  thingName: dashed\n");
    CHECK(dash.exit_code == 0);
    CHECK(dash.err.empty());
    CHECK(device.config({"get", "system/thingName"}).out == "dashed\n");
    auto dash_tlog = device.config_with_input({"import", "-"}, R"({"TS":200,"TP":["tl","c"],"W":"changed","V":true})"
                                                               "\n");
    CHECK(dash_tlog.exit_code == 0);
    CHECK(device.config({"get", "tl/c"}).out == "true\n");
}

TEST_CASE("import through a pipe with --db: YAML, a tlog, -, and a broken document changes nothing") {
    Device device;
    auto yaml = device.config_with_input({"--db", device.db, "import", "/dev/stdin"}, kPipedYaml);
    CHECK(yaml.exit_code == 0);
    CHECK(yaml.err.empty());
    CHECK(device.config({"--db", device.db, "get", "system/thingName"}).out == "piped\n");

    auto tlog = device.config_with_input({"--db", device.db, "import", "/dev/stdin"}, kPipedTlog);
    CHECK(tlog.exit_code == 0);
    CHECK(tlog.err.empty());
    CHECK(device.config({"--db", device.db, "list", "tl"}).out == "b\n");

    auto dash = device.config_with_input({"import", "-", "--db", device.db}, "dash: {x: 1}\n");
    CHECK(dash.exit_code == 0);
    CHECK(device.config({"--db", device.db, "get", "dash/x"}).out == "1\n");

    // Problems name standard input as the file, by line; the other lines still apply.
    auto bad_line = device.config_with_input({"--db", device.db, "import", "-"},
                                             std::string(R"({"TS":300,"TP":["tl","d"],"W":"changed","V":4})") +
                                                 "\n{\"TS\":301,\"TP\":[\"tl\",\"e\"],\"W\":\"bogus\"}\n");
    CHECK(bad_line.exit_code == 1);
    CHECK_THAT(bad_line.err, Catch::Contains("standard input:2: unknown W") &&
                                 Catch::Contains("imported 1 entries of standard input; 1 lines skipped"));
    CHECK(device.config({"--db", device.db, "get", "tl/d"}).out == "4\n");

    std::string before = device.config({"--db", device.db, "export"}).out;
    auto broken = device.config_with_input({"--db", device.db, "import", "-"}, "system:\n  thingName: [\n");
    CHECK(broken.exit_code == 2);
    CHECK_THAT(broken.err, Catch::Contains("standard input: line") && Catch::Contains("column"));
    auto broken_pipe = device.config_with_input({"--db", device.db, "import", "/dev/stdin"}, "a: 1\na: 2\n");
    CHECK(broken_pipe.exit_code == 2);
    CHECK_THAT(broken_pipe.err, Catch::Contains("/dev/stdin: line 2, column 1"));
    CHECK(device.config({"--db", device.db, "export"}).out == before);
}

TEST_CASE("export then import into a new database gives the same tree") {
    Device device;
    REQUIRE(device.start());
    REQUIRE(
        device.config({"set", "r", R"({"s":"1.0.0","n":86400,"b":false,"z":null,"l":[1,"two"],"e":{}})"}).exit_code ==
        0);
    auto exported = device.config({"export"});
    REQUIRE(exported.exit_code == 0);
    std::string file = device.dir.path() + "/export.yaml";
    write_file(file, exported.out);
    std::string other = device.dir.path() + "/other.db";
    CHECK(device.config({"--db", other, "import", file}).exit_code == 0);
    CHECK(device.config({"--db", other, "export"}).out == exported.out);
}

TEST_CASE("a non-sqlite database file stops ggconfigd with its name and stays untouched") {
    Device device;
    std::string junk(4096, 'J');
    write_file(device.db, junk);
    CHECK_FALSE(device.start());
    auto finished = device.daemon->finish();
    CHECK(finished.exit_code == 1);
    CHECK_THAT(read_file(device.log), Catch::Contains(device.db));
    CHECK(read_file(device.db) == junk);
    auto cli = device.config({"--db", device.db, "get", "x"});
    CHECK(cli.exit_code != 0);
    CHECK_THAT(cli.err, Catch::Contains(device.db));
}

TEST_CASE("a v1 database is migrated at daemon start") {
    Device device;
    std::filesystem::create_directories(device.root);
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(device.db.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, R"sql(
        CREATE TABLE version(version INT PRIMARY KEY NOT NULL); INSERT INTO version VALUES (1);
        CREATE TABLE keyTable(keyid INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE NOT NULL, keyvalue TEXT NOT NULL COLLATE NOCASE);
        CREATE TABLE relationTable(keyid INT UNIQUE NOT NULL, parentid INT NOT NULL, PRIMARY KEY(keyid));
        CREATE TABLE valueTable(keyid INT UNIQUE NOT NULL, value TEXT NOT NULL, timeStamp INT NOT NULL);
        INSERT INTO keyTable VALUES (1, 'system'), (2, 'thingName');
        INSERT INTO relationTable VALUES (2, 1);
        INSERT INTO valueTable VALUES (2, '"legacy"', 5);
    )sql",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    REQUIRE(device.start());
    CHECK(device.config({"get", "system/thingName"}).out == "legacy\n");
}

TEST_CASE("pipelined writes on one connection are grouped, each acknowledged only once durable") {
    Device device;
    REQUIRE(device.start());
    auto client = device.client();
    REQUIRE(client.call("write", Map{{"key_path", List{"g", "leaf"}}, {"value", 1}}).ok());
    constexpr int kWrites = 400;
    std::vector<uint64_t> ids;
    uint64_t conflicting = 0;
    for (int i = 0; i < kWrites; ++i) {
        if (i == kWrites / 2) {
            // A request that fails inside a group: only it is refused.
            auto id = client.send(bus::Op::Call, "write", Map{{"key_path", List{"g", "leaf", "below"}}, {"value", 1}});
            REQUIRE(id.ok());
            conflicting = *id;
        }
        auto id =
            client.send(bus::Op::Call, "write", Map{{"key_path", List{"g", "k" + std::to_string(i)}}, {"value", i}});
        REQUIRE(id.ok());
        ids.push_back(*id);
    }
    REQUIRE(client.flush().ok());
    size_t acknowledged = 0;
    bool conflict_seen = false;
    while (client.in_flight() > 0) {
        auto reply = client.receive(10s);
        REQUIRE(reply.ok());
        if (reply->id == conflicting) {
            CHECK(reply->kind == bus::ReplyKind::Error);
            CHECK(reply->error.code == ErrorCode::Conflict);
            conflict_seen = true;
        } else {
            CHECK(reply->kind == bus::ReplyKind::Result);
            ++acknowledged;
        }
    }
    CHECK(conflict_seen);
    CHECK(acknowledged == kWrites);
    device.kill9();
    CHECK(integrity_of(device.db) == "ok");
    REQUIRE(device.start());
    auto tree = device.client().call("read", read_params({"g"}));
    REQUIRE(tree.ok());
    CHECK(tree->as_map().size() == kWrites + 1);
    CHECK(*tree->as_map().find("leaf") == Object(1));
    CHECK(*tree->as_map().find("k399") == Object(399));
}

TEST_CASE("a database another process holds write-locked: reads go on, writes fail BUSY in bounded time") {
    Device device;
    REQUIRE(device.config({"--db", device.db, "set", "system/thingName", "dev-1"}).exit_code == 0);
    REQUIRE(device.start());
    sqlite3* holder = nullptr;
    REQUIRE(sqlite3_open(device.db.c_str(), &holder) == SQLITE_OK);
    REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

    // Readers are never blocked by a writer (WAL), through the daemon or the file.
    auto started = std::chrono::steady_clock::now();
    Finished read = device.config({"get", "system/thingName"});
    CHECK(read.exit_code == 0);
    CHECK(read.out == "dev-1\n");
    Finished direct_read = device.config({"--db", device.db, "get", "system/thingName"});
    CHECK(direct_read.exit_code == 0);
    CHECK(direct_read.out == "dev-1\n");
    CHECK(std::chrono::steady_clock::now() - started < 3s);

    // Writers wait for the lock at most the busy timeout (5 s), then say why.
    started = std::chrono::steady_clock::now();
    Finished blocked = device.config({"set", "system/thingName", "dev-2"});
    auto waited = std::chrono::steady_clock::now() - started;
    CHECK(blocked.exit_code == 4);
    CHECK_THAT(blocked.err, Catch::Contains("BUSY") && Catch::Contains("another process holds the database"));
    CHECK(waited < 15s);
    started = std::chrono::steady_clock::now();
    Finished direct = device.config({"--db", device.db, "set", "system/thingName", "dev-3"});
    waited = std::chrono::steady_clock::now() - started;
    CHECK(direct.exit_code != 0);
    CHECK_THAT(direct.err, Catch::Contains("another process holds the database"));
    CHECK(waited < 15s);

    REQUIRE(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(holder);
    // Nothing of the refused writes was applied; once the lock is gone writes go through.
    CHECK(device.config({"get", "system/thingName"}).out == "dev-1\n");
    CHECK(device.config({"set", "system/thingName", "dev-4"}).exit_code == 0);
    CHECK(device.config({"get", "system/thingName"}).out == "dev-4\n");
}

TEST_CASE("100,000 keys through the daemon: each reads back, lookups stay fast, a restart keeps them") {
    Device device;
    REQUIRE(device.start());
    auto client = device.client();
    for (int block = 0; block < 100; ++block) {
        Map map;
        for (int i = 0; i < 1000; ++i) {
            map.append("k" + std::to_string(i), block * 1000 + i);
        }
        REQUIRE(client
                    .call("write", Map{{"key_path", List{"big", "b" + std::to_string(block)}},
                                       {"value", Object(std::move(map))}})
                    .ok());
    }
    auto started = std::chrono::steady_clock::now();
    for (int n = 0; n < 5000; ++n) {
        int key = (n * 7919) % 100000;
        auto value = client.call(
            "read", read_params({"BIG", "b" + std::to_string(key / 1000), "K" + std::to_string(key % 1000)}));
        REQUIRE(value.ok());
        REQUIRE(*value == Object(key));
    }
    // Logarithmic lookups: 5,000 reads over the bus take well under the bound even on
    // a loaded machine (a linear scan of 100,000 keys per read would take minutes).
    CHECK(std::chrono::steady_clock::now() - started < 20s);
    CHECK(client.call("list", read_params({"big"}))->as_list().size() == 100);
    CHECK(client.call("list", read_params({"big", "b99"}))->as_list().size() == 1000);
    device.stop();
    REQUIRE(device.start());
    auto restarted = device.client();
    CHECK(*restarted.call("read", read_params({"big", "b42", "k17"})) == Object(42017));
    auto block = restarted.call("read", read_params({"big", "b7"}));
    REQUIRE(block.ok());
    CHECK(block->as_map().size() == 1000);
}

TEST_CASE("watch exits 0 on SIGINT or SIGTERM after cancelling its subscription on the bus") {
    int sig = GENERATE(SIGINT, SIGTERM);
    Device device;
    REQUIRE(device.start());
    std::vector<std::string> args{GGL_FRONT_EXE, "config", "watch", "w"};
    ProcessOptions options = device.options();
    options.env["GGL_LOG_LEVEL"] = "debug";
    Process watcher(args, options);
    await_subscribed(device, watcher, "w/marker");
    watcher.signal(sig);
    Finished result = watcher.finish(10s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    // The service confirmed the cancellation (its end of the subscription came back).
    CHECK_THAT(result.err, Catch::Contains("subscription cancelled"));
    CHECK_THAT(result.err, !Catch::Contains("error"));
    // The daemon goes on serving, and writes to the watched key still succeed.
    CHECK(device.config({"set", "w/after", "1"}).exit_code == 0);
    CHECK(device.config({"get", "w/after"}).out == "1\n");
}

TEST_CASE("ggconfigd tells systemd it is ready (Type=notify) and that it stops") {
    Device device;
    std::string notify_path = device.dir.path() + "/notify";
    UniqueFd notify(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", notify_path.c_str());
    REQUIRE(::bind(notify.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval wait{10, 0};
    ::setsockopt(notify.get(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);

    ProcessOptions options = device.options();
    options.env["NOTIFY_SOCKET"] = notify_path;
    options.stderr_file = device.log;
    Process daemon({GGL_CONFIGD_EXE}, options);
    char message[256] = {};
    ssize_t got = ::recv(notify.get(), message, sizeof message - 1, 0);
    REQUIRE(got > 0);
    CHECK(std::string(message, static_cast<size_t>(got)) == "READY=1");
    // Ready means serving: the first request right after the message is answered.
    CHECK(device.client().call("list", read_params({})).ok());
    daemon.signal(SIGTERM);
    got = ::recv(notify.get(), message, sizeof message - 1, 0);
    REQUIRE(got > 0);
    CHECK(std::string(message, static_cast<size_t>(got)) == "STOPPING=1");
    CHECK(daemon.finish(10s).exit_code == 0);
}

TEST_CASE("ggconfigd serves on the socket systemd passes it (ggconfigd.socket)") {
    Device device;
    std::string elsewhere = device.dir.path() + "/elsewhere";
    ProcessOptions options = device.options();
    options.env["GGL_RUNTIME_DIR"] = elsewhere;
    options.stderr_file = device.log;
    // systemd-socket-activate binds the socket and starts ggconfigd on the first
    // connection with LISTEN_FDS=1, LISTEN_FDNAMES=gg_config, as the .socket unit does.
    Process activator({"/usr/bin/systemd-socket-activate", "-l", device.runtime + "/gg_config", "--fdname=gg_config",
                       GGL_CONFIGD_EXE},
                      options);
    for (int i = 0; i < 500 && !std::filesystem::exists(device.runtime + "/gg_config"); ++i) {
        ::usleep(10000);
    }
    REQUIRE(device.config({"set", "system/thingName", "dev-1"}).exit_code == 0);
    CHECK(device.config({"get", "system/thingName"}).out == "dev-1\n");
    // It used the passed socket and bound none of its own.
    CHECK_FALSE(std::filesystem::exists(elsewhere + "/gg_config"));
    activator.signal(SIGTERM);
    activator.finish(10s);
}

TEST_CASE("ggl.describe lists every gg_config method with its parameters") {
    Device device;
    REQUIRE(device.start());
    auto described = device.client().call("ggl.describe", Map{});
    REQUIRE(described.ok());
    CHECK(described->as_map().find("service")->as_string() == "gg_config");
    std::map<std::string, std::string> kinds;
    for (const Object& method : described->as_map().find("methods")->as_list()) {
        kinds[std::string(method.as_map().find("name")->as_string())] =
            std::string(method.as_map().find("kind")->as_string());
    }
    for (const char* name : {"read", "list", "write", "delete", "backup", "restore"}) {
        CHECK(kinds[name] == "call");
    }
    CHECK(kinds["subscribe"] == "subscribe");
}

TEST_CASE("ggconfigd answers --version and --help and refuses other arguments with exit 2") {
    Finished version = run({GGL_CONFIGD_EXE, "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.starts_with("ggconfigd "));
    Finished help = run({GGL_CONFIGD_EXE, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("gg_config"));
    Finished bogus = run({GGL_CONFIGD_EXE, "--bogus"});
    CHECK(bogus.exit_code == 2);
    CHECK(bogus.err == "ggconfigd: error: unknown option '--bogus' (see 'ggconfigd --help')\n");
}
