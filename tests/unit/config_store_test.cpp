// ConfigStore on real sqlite files: merge rules, timestamps, keys, deletes, snapshots,
// migration, tlog and file import.
#include "ggl/config_store.hpp"

#include "ggl/json.hpp"

#include "corpus.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace ggl;
using namespace ggl::config;

namespace {

struct TempDb {
    std::filesystem::path dir;
    std::string path;
    TempDb() {
        char pattern[] = "/tmp/ggl-config-store.XXXXXX";
        dir = ::mkdtemp(pattern);
        path = (dir / "sub" / "config.db").string();
    }
    ~TempDb() { std::filesystem::remove_all(dir); }
};

std::unique_ptr<ConfigStore> open_store(const std::string& path) {
    auto store = ConfigStore::open(path);
    REQUIRE(store.ok());
    return std::move(*store);
}

Object json(std::string_view text) {
    auto parsed = from_json(text);
    REQUIRE(parsed.ok());
    return *parsed;
}

std::string read_json(ConfigStore& store, const KeyPath& path) {
    auto value = store.read(path);
    REQUIRE(value.ok());
    return to_json(*value);
}

void write_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string corpus(const std::string& name) {
    std::string path = (ggl::testing::corpus_location() / name).string();
    // Cases tagged [.corpus] run only when the corpus is there (with_corpus.sh); a file
    // missing from it fails the test.
    REQUIRE(std::filesystem::exists(path));
    return path;
}

} // namespace

TEST_CASE("a new database is created mode 0640, whatever the umask, in directories created 0750") {
    TempDb db;
    std::string nested = (db.dir / "a" / "b" / "config.db").string();
    mode_t old_mask = ::umask(0);
    auto store = ConfigStore::open(nested);
    ::umask(old_mask);
    REQUIRE(store.ok());
    struct stat info {};
    REQUIRE(::stat(nested.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0640);
    for (auto dir : {db.dir / "a", db.dir / "a" / "b"}) {
        REQUIRE(::stat(dir.c_str(), &info) == 0);
        CHECK(S_ISDIR(info.st_mode));
        CHECK((info.st_mode & 0777) == 0750);
    }
    // sqlite gives its WAL the database's mode once a write creates it.
    REQUIRE((*store)->write({"a"}, Object(1), 5).ok());
    REQUIRE(::stat((nested + "-wal").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0640);
    CHECK((*store)->schema_version() == kSchemaVersion);
}

TEST_CASE("opening without create refuses a missing database and creates nothing") {
    TempDb db;
    OpenOptions options;
    options.create = false;
    auto store = ConfigStore::open(db.path, options);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().code == ErrorCode::Noentry);
    CHECK_THAT(store.error().message, Catch::Contains(db.path));
    CHECK_FALSE(std::filesystem::exists(db.path));
}

TEST_CASE("a written value reads back, and maps are rebuilt") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"system", "thingName"}, "dev-1", 10).ok());
    REQUIRE(store->write({"system", "port"}, 86400, 10).ok());
    CHECK(read_json(*store, {"system", "thingName"}) == "\"dev-1\"");
    CHECK(read_json(*store, {"system"}) == R"({"thingName":"dev-1","port":86400})");
    CHECK(store->read({"missing"}).error().code == ErrorCode::Noentry);
}

TEST_CASE("keys are case-insensitive and keep the first writer's spelling") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"System", "ThingName"}, "a", 10).ok());
    REQUIRE(store->write({"SYSTEM", "THINGNAME"}, "b", 11).ok());
    CHECK(read_json(*store, {"system", "thingname"}) == "\"b\"");
    auto names = store->list({});
    REQUIRE(names.ok());
    CHECK(*names == std::vector<std::string>{"System"});
    CHECK(*store->list({"system"}) == std::vector<std::string>{"ThingName"});
}

TEST_CASE("a write with an older timestamp leaves the value, an equal one replaces it") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"k"}, "new", 100).ok());
    std::vector<Change> changes;
    REQUIRE(store->write({"k"}, "old", 99, &changes).ok());
    CHECK(read_json(*store, {"k"}) == "\"new\"");
    CHECK(changes.empty());
    REQUIRE(store->write({"k"}, "same-time", 100, &changes).ok());
    CHECK(read_json(*store, {"k"}) == "\"same-time\"");
    CHECK(changes.size() == 1);
}

TEST_CASE("a write that must not be older fails on a newer stored value and writes nothing") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"svc"}, json(R"({"a":1,"b":{"c":2}})"), 100).ok());
    REQUIRE(store->write({"svc", "b", "c"}, 3, 200).ok());
    std::vector<Change> changes;
    // b/c holds ts 200: the whole map write fails, a (ts 100) and the new key stay unwritten.
    auto written = store->write({"svc"}, json(R"({"a":10,"new":true,"b":{"c":30}})"), 150, &changes,
                                ConfigStore::OlderWrite::Fail);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().code == ErrorCode::Expected);
    CHECK(written.error().message.find("svc/b/c") != std::string::npos);
    CHECK(read_json(*store, {"svc"}) == R"({"a":1,"b":{"c":3}})");
    CHECK(changes.empty());
    // Equal or newer timestamps write, as without the check.
    REQUIRE(store->write({"svc"}, json(R"({"a":10,"b":{"c":30}})"), 200, &changes, ConfigStore::OlderWrite::Fail).ok());
    CHECK(read_json(*store, {"svc"}) == R"({"a":10,"b":{"c":30}})");
    CHECK(changes.size() == 2);
    // Without the check an older write leaves the newer values and adds what is new.
    REQUIRE(store->write({"svc"}, json(R"({"a":11,"d":4,"b":{"c":31}})"), 150).ok());
    CHECK(read_json(*store, {"svc", "a"}) == "10");
    CHECK(read_json(*store, {"svc", "b", "c"}) == "30");
    CHECK(read_json(*store, {"svc", "d"}) == "4");
}

TEST_CASE("a write that leaves the value unchanged reports no change") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"a", "b"}, json(R"({"x":1,"y":[1,2]})"), 5).ok());
    std::vector<Change> changes;
    REQUIRE(store->write({"a", "b"}, json(R"({"x":1,"y":[1,2]})"), 6, &changes).ok());
    CHECK(changes.empty());
}

TEST_CASE("maps merge recursively and leave other keys in place") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"c"}, json(R"({"a":{"x":1,"y":2},"b":3})"), 5).ok());
    REQUIRE(store->write({"c"}, json(R"({"a":{"y":20,"z":30}})"), 6).ok());
    CHECK(read_json(*store, {"c"}) == R"({"a":{"x":1,"y":20,"z":30},"b":3})");
}

TEST_CASE("a value onto a map and a map onto a value are CONFLICT and change nothing") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"m"}, json(R"({"leaf":1})"), 5).ok());
    auto onto_map = store->write({"m"}, 7, 6);
    CHECK(onto_map.error().code == ErrorCode::Conflict);
    CHECK_THAT(onto_map.error().message, Catch::Contains("m"));
    auto onto_value = store->write({"m", "leaf"}, json(R"({"x":1})"), 6);
    CHECK(onto_value.error().code == ErrorCode::Conflict);
    auto below_value = store->write({"m", "leaf", "deeper"}, 1, 6);
    CHECK(below_value.error().code == ErrorCode::Conflict);
    // Atomic: the first key of this map is valid, the second conflicts; neither lands.
    auto partial = store->write({"m"}, json(R"({"new":1,"leaf":{"x":1}})"), 7);
    CHECK(partial.error().code == ErrorCode::Conflict);
    CHECK(read_json(*store, {"m"}) == R"({"leaf":1})");
}

TEST_CASE("an empty map is stored and read back as an empty map") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"e"}, Map{}, 5).ok());
    CHECK(read_json(*store, {"e"}) == "{}");
    CHECK(store->list({"e"})->empty());
}

TEST_CASE("list is NOENTRY for a missing key and INVALID on a value") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"v"}, 1, 5).ok());
    CHECK(store->list({"nope"}).error().code == ErrorCode::Noentry);
    CHECK(store->list({"v"}).error().code == ErrorCode::Invalid);
}

TEST_CASE("delete is recursive, and deleting a missing key is OK") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"a"}, json(R"({"b":{"c":1},"d":2})"), 5).ok());
    std::vector<Change> changes;
    REQUIRE(store->remove({"a", "b"}, std::nullopt, &changes).ok());
    CHECK(read_json(*store, {"a"}) == R"({"d":2})");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].deleted);
    CHECK(store->remove({"no", "such"}, std::nullopt).ok());
    CHECK(store->remove({}, std::nullopt).error().code == ErrorCode::Invalid);
}

TEST_CASE("a delete with a timestamp keeps values written after it") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"a", "old"}, 1, 5).ok());
    REQUIRE(store->write({"a", "same"}, 1, 10).ok());
    REQUIRE(store->write({"a", "new"}, 1, 20).ok());
    REQUIRE(store->remove({"a"}, 10).ok());
    CHECK(read_json(*store, {"a"}) == R"({"new":1})");
    REQUIRE(store->remove({"a"}, 20).ok());
    CHECK(store->read({"a"}).error().code == ErrorCode::Noentry);
}

TEST_CASE("a 1 MiB value and a deep path are stored whole") {
    TempDb db;
    auto store = open_store(db.path);
    std::string big(1u << 20, 'x');
    REQUIRE(store->write({"big"}, big, 5).ok());
    CHECK(store->read({"big"})->as_string() == big);
    KeyPath deep;
    for (int i = 0; i < 200; ++i) {
        deep.push_back("level" + std::to_string(i));
    }
    REQUIRE(store->write(deep, "bottom", 5).ok());
    CHECK(store->read(deep)->as_string() == "bottom");
}

TEST_CASE("key paths from the bus must be lists of non-empty strings") {
    CHECK(key_path_from_object(Object("a/b")).error().code == ErrorCode::Invalid);
    auto empty_segment = key_path_from_object(List{"a", ""});
    CHECK(empty_segment.error().code == ErrorCode::Invalid);
    CHECK_THAT(empty_segment.error().message, Catch::Contains("key_path[1]"));
    auto number = key_path_from_object(List{"a", 3});
    CHECK_THAT(number.error().message, Catch::Contains("key_path[1] must be a string"));
    CHECK(key_path_from_text("a//b").error().code == ErrorCode::Invalid);
    CHECK(*key_path_from_text("a/b") == KeyPath{"a", "b"});
}

TEST_CASE("writes survive closing and reopening the database") {
    TempDb db;
    {
        auto store = open_store(db.path);
        REQUIRE(store->write({"kept"}, "yes", 5).ok());
    }
    auto store = open_store(db.path);
    CHECK(read_json(*store, {"kept"}) == "\"yes\"");
}

TEST_CASE("restore brings a snapshot back and lists only what differs") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({}, json(R"({"same":{"x":1},"changed":1,"gone":{"y":2}})"), 5).ok());
    REQUIRE(store->backup("before").ok());
    REQUIRE(store->write({"changed"}, 2, 6).ok());
    REQUIRE(store->remove({"gone"}, std::nullopt).ok());
    REQUIRE(store->write({"added"}, 3, 6).ok());
    std::vector<Change> changes;
    REQUIRE(store->restore("before", &changes).ok());
    CHECK(read_json(*store, {}) == R"({"same":{"x":1},"changed":1,"gone":{"y":2}})");
    std::vector<std::string> paths;
    for (const auto& change : changes) {
        paths.push_back(key_path_to_text(change.key_path) + (change.deleted ? " deleted" : ""));
    }
    std::sort(paths.begin(), paths.end());
    CHECK(paths == std::vector<std::string>{"added deleted", "changed", "gone"});
    CHECK(store->restore("absent").error().code == ErrorCode::Noentry);
    CHECK(store->backup("../escape").error().code == ErrorCode::Invalid);
}

TEST_CASE("a version 1 database is migrated with its keys, spelling and timestamps") {
    TempDb db;
    std::filesystem::create_directories(std::filesystem::path(db.path).parent_path());
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(db.path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, R"sql(
        CREATE TABLE version(version INT PRIMARY KEY NOT NULL);
        INSERT INTO version VALUES (1);
        CREATE TABLE keyTable(keyid INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE NOT NULL,
                              keyvalue TEXT NOT NULL COLLATE NOCASE);
        CREATE TABLE relationTable(keyid INT UNIQUE NOT NULL, parentid INT NOT NULL, PRIMARY KEY(keyid));
        CREATE TABLE valueTable(keyid INT UNIQUE NOT NULL, value TEXT NOT NULL, timeStamp INT NOT NULL);
        INSERT INTO keyTable VALUES (1, 'System'), (2, 'thingName'), (3, 'services'), (4, 'empty');
        INSERT INTO relationTable VALUES (2, 1), (4, 3);
        INSERT INTO valueTable VALUES (2, '"dev-9"', 1234);
    )sql",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);

    auto store = open_store(db.path);
    CHECK(store->schema_version() == 2);
    CHECK(read_json(*store, {}) == R"({"System":{"thingName":"dev-9"},"services":{"empty":{}}})");
    // The timestamp came along: an older write loses.
    REQUIRE(store->write({"system", "thingname"}, "older", 1000).ok());
    CHECK(read_json(*store, {"system", "thingName"}) == "\"dev-9\"");
}

TEST_CASE("a file that is not a database is reported by name and left untouched") {
    TempDb db;
    std::filesystem::create_directories(std::filesystem::path(db.path).parent_path());
    std::string junk(8192, 'j');
    write_file(db.path, junk);
    auto store = ConfigStore::open(db.path);
    REQUIRE_FALSE(store.ok());
    CHECK_THAT(store.error().message, Catch::Contains(db.path));
    std::ifstream in(db.path, std::ios::binary);
    std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(after == junk);
    CHECK_FALSE(std::filesystem::exists(db.path + "-wal"));
}

TEST_CASE("the Greengrass tlogs replay with their timestamps and removals", "[.corpus]") {
    TempDb db;
    auto store = open_store(db.path);
    auto report = import_tlog(*store, corpus("tlog/config__removeTopics.tlog"));
    REQUIRE(report.ok());
    CHECK(report->problems.empty());
    CHECK(read_json(*store, {"first", "second"}) == "{}");

    auto skeleton = import_tlog(*store, corpus("tlog/config__testSkeleton.tlog"));
    REQUIRE(skeleton.ok());
    CHECK(skeleton->problems.empty());
    CHECK(read_json(*store, {"test", "lastline"}) == "\"lastline\"");
    CHECK(read_json(*store, {"services", "_AUTH_TOKENS", "FakeToken2"}) == "\"YellowSignal\"");

    for (const char* name : {"config__test.tlog", "lifecyclemanager__test.tlog", "config__createTopics.tlog",
                             "config__updateTopics.tlog", "config__updateFromTlogTest.tlog"}) {
        auto more = import_tlog(*store, corpus(std::string("tlog/") + name));
        REQUIRE(more.ok());
        CHECK(more->problems.empty());
    }
    CHECK(read_json(*store, {"first", "second", "toUpdate"}) == "\"v2\"");
}

TEST_CASE("a corrupted tlog imports every whole line and names the bad one", "[.corpus]") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"keep"}, "me", 5).ok());
    auto report = import_tlog(*store, corpus("tlog/config__corruptedConfig.tlog"));
    REQUIRE(report.ok());
    REQUIRE(report->problems.size() == 1);
    CHECK_THAT(report->problems[0], Catch::Contains("config__corruptedConfig.tlog:2:"));
    CHECK(report->applied == 1);
    CHECK(read_json(*store, {"keep"}) == "\"me\"");
    CHECK(read_json(*store, {"services", "DeploymentService", "ComponentToGroups", "aws.greengrass.LambdaRuntimes",
                             "arn:aws:greengrass:eu-west-1:xxx"}) == "\"thinggroup/xxx\"");
}

TEST_CASE("the nucleus lite sample config loads with typed scalars", "[.corpus]") {
    auto content = load_config_file(corpus("lite-sample_nucleus_config.yaml"));
    REQUIRE(content.ok());
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({}, Object(*content), kConfigFileTimestamp).ok());
    CHECK(store->read({"system"}).ok());
    CHECK(store->read({"services", "aws.greengrass.NucleusLite"}).ok());
}

TEST_CASE("a malformed config file is reported with file, line and column") {
    TempDb db;
    std::filesystem::create_directories(db.dir);
    auto file = db.dir / "bad.yaml";
    write_file(file, "a:\n  b: [1,\n");
    auto content = load_config_file(file.string());
    REQUIRE_FALSE(content.ok());
    CHECK_THAT(content.error().message, Catch::Contains(file.string()));
    CHECK_THAT(content.error().message, Catch::Contains("line"));
    CHECK_THAT(content.error().message, Catch::Contains("column"));
}

TEST_CASE("a tlog's text replays under the name it was read from") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"leaf"}, 1, 5).ok());
    std::string text = R"({"TS":10,"TP":["a","b"],"W":"changed","V":"one"})"
                       "\n"
                       R"({"TS":11,"TP":["a","c"],"W":"interiorAdded"})"
                       "\r\n"
                       "\n"
                       R"({"TS":12,"TP":["a","b"],"W":"removed"})"
                       "\n"
                       R"({"TS":13,"TP":["leaf","below"],"W":"changed","V":2})"
                       "\n"
                       "not json\n"
                       R"({"TS":14,"TP":["a","d"],"W":"timestampUpdated"})"; // no final newline
    std::vector<Change> changes;
    auto report = import_tlog_text(*store, "standard input", text, &changes);
    REQUIRE(report.ok());
    CHECK(report->applied == 4); // the ignored kind counts as applied, as import_tlog does
    REQUIRE(report->problems.size() == 2);
    CHECK_THAT(report->problems[0], Catch::StartsWith("standard input:6: not JSON"));
    CHECK_THAT(report->problems[1], Catch::StartsWith("standard input:5: ") && Catch::Contains("CONFLICT"));
    CHECK(read_json(*store, {"a"}) == R"({"c":{}})");
    CHECK(read_json(*store, {"leaf"}) == "1");
    CHECK_FALSE(changes.empty());

    TlogParse parse = parse_tlog_text("x.tlog", "");
    CHECK(parse.entries.empty());
    CHECK(parse.problems.empty());
}

TEST_CASE("config text parses as YAML, or JSON by the name, with the name, line and column in errors") {
    auto yaml = parse_config_text("/dev/stdin", "a:\n  b: [1, two]\n");
    REQUIRE(yaml.ok());
    CHECK(to_json(Object(*yaml)) == R"({"a":{"b":[1,"two"]}})");
    auto json_text = parse_config_text("c.json", R"({"n": 86400, "s": "1.0.0"})");
    REQUIRE(json_text.ok());
    CHECK(to_json(Object(*json_text)) == R"({"n":86400,"s":"1.0.0"})");
    auto empty = parse_config_text("standard input", "");
    REQUIRE(empty.ok());
    CHECK(empty->empty());

    auto broken = parse_config_text("standard input", "a:\n  b: [1,\n");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().code == ErrorCode::Parse);
    CHECK_THAT(broken.error().message, Catch::StartsWith("standard input: line ") && Catch::Contains("column"));
    auto duplicate = parse_config_text("/dev/fd/63", "a: 1\na: 2\n");
    REQUIRE_FALSE(duplicate.ok());
    CHECK_THAT(duplicate.error().message, Catch::StartsWith("/dev/fd/63: line 2, column 1: duplicate key"));
    auto bad_json = parse_config_text("c.json", "{\"a\": }");
    REQUIRE_FALSE(bad_json.ok());
    CHECK_THAT(bad_json.error().message, Catch::StartsWith("c.json: ") && Catch::Contains("line 1"));
    auto list = parse_config_text("l.yaml", "- 1\n");
    REQUIRE_FALSE(list.ok());
    CHECK(list.error().code == ErrorCode::Invalid);
    CHECK_THAT(list.error().message, Catch::StartsWith("l.yaml: the top level must be a map"));
}

TEST_CASE("a tlog is told by its name or by the first line of its text") {
    CHECK(looks_like_tlog("config.tlog", ""));
    CHECK(looks_like_tlog("standard input", R"({"TS":1,"TP":["a"],"W":"changed","V":1})"
                                            "\nwhatever"));
    CHECK(looks_like_tlog("-", R"({"TP":["a"],"TS":1})"));
    CHECK_FALSE(looks_like_tlog("standard input", ""));
    CHECK_FALSE(looks_like_tlog("standard input", "\n"
                                                  R"({"TS":1,"TP":["a"]})"));
    CHECK_FALSE(looks_like_tlog("/dev/stdin", "TS: 1\nTP: [a]\n"));
    CHECK_FALSE(looks_like_tlog("c.json", R"({"TS":1,"W":"changed"})"));
}

namespace {

// A pipe holding text, its writing end closed; the reading end is returned.
int pipe_holding(std::string_view text) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(text.size() < 65536); // the pipe's buffer: no reader needed
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    return fds[0];
}

} // namespace

TEST_CASE("config input is read once, whole: files, pipes by path, - for standard input, a bound") {
    TempDb db;
    std::filesystem::create_directories(db.dir);
    auto file = db.dir / "in.yaml";
    write_file(file, "a: 1\n");
    auto from_file = read_config_input(file.string());
    REQUIRE(from_file.ok());
    CHECK(from_file->name == file.string());
    CHECK(from_file->text == "a: 1\n");

    // A pipe opened by its path (as /dev/stdin or <(...) are): everything, in one read.
    int piped = pipe_holding("b: 2\nc: 3\n");
    std::string pipe_path = "/proc/self/fd/" + std::to_string(piped);
    auto from_pipe = read_config_input(pipe_path);
    ::close(piped);
    REQUIRE(from_pipe.ok());
    CHECK(from_pipe->name == pipe_path);
    CHECK(from_pipe->text == "b: 2\nc: 3\n");

    // "-": standard input itself.
    int saved = ::dup(STDIN_FILENO);
    REQUIRE(saved >= 0);
    int input = pipe_holding(R"({"TS":1,"TP":["x"],"W":"changed","V":1})"
                             "\n");
    REQUIRE(::dup2(input, STDIN_FILENO) == STDIN_FILENO);
    ::close(input);
    auto from_stdin = read_config_input("-");
    ::dup2(saved, STDIN_FILENO);
    ::close(saved);
    REQUIRE(from_stdin.ok());
    CHECK(from_stdin->name == kStandardInputName);
    CHECK(from_stdin->text == R"({"TS":1,"TP":["x"],"W":"changed","V":1})"
                              "\n");

    auto missing = read_config_input((db.dir / "absent.yaml").string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == ErrorCode::Noentry);
    CHECK_THAT(missing.error().message, Catch::StartsWith((db.dir / "absent.yaml").string() + ": "));

    auto large = db.dir / "large.yaml";
    write_file(large, "");
    std::filesystem::resize_file(large, kMaxConfigFileBytes + 1);
    auto too_large = read_config_input(large.string());
    REQUIRE_FALSE(too_large.ok());
    CHECK(too_large.error().code == ErrorCode::Range);
    CHECK(too_large.error().message == large.string() + ": larger than 64 MiB");
    std::filesystem::resize_file(large, kMaxConfigFileBytes);
    CHECK(read_config_input(large.string()).ok());
    // load_config_file, which ggconfigd uses, has the same bound.
    std::filesystem::resize_file(large, kMaxConfigFileBytes + 1);
    auto load_large = load_config_file(large.string());
    REQUIRE_FALSE(load_large.ok());
    CHECK(load_large.error().code == ErrorCode::Range);
}

TEST_CASE("100,000 keys under one map keep lookups fast") {
    TempDb db;
    auto store = open_store(db.path);
    Map many;
    for (int i = 0; i < 100000; ++i) {
        many.append("key" + std::to_string(i), i);
    }
    REQUIRE(store->write({"many"}, Object(std::move(many)), 5).ok());
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10000; ++i) {
        REQUIRE(store->read({"many", "key" + std::to_string(i * 7)}).ok());
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    // Logarithmic lookups: 10,000 reads take well under a second even with 100,000 siblings.
    CHECK(elapsed < std::chrono::seconds(2));
    CHECK(store->list({"many"})->size() == 100000);
}

TEST_CASE("stored values of every JSON type read back exactly") {
    TempDb db;
    auto store = open_store(db.path);
    // Each kind the read path decodes itself, and the edges where it must hand over to
    // the JSON parser (escapes, floats, numbers past 18 digits, lists, unicode).
    std::vector<Object> values{
        Object("plain"),
        Object(""),
        Object("quote \" and backslash \\ and\nnewline"),
        Object("caf\xc3\xa9 \xe2\x82\xac"),
        Object("123"),
        Object("true"),
        Object(int64_t{0}),
        Object(int64_t{-7}),
        Object(int64_t{123456789012345678}),
        Object(int64_t{9223372036854775807}),
        Object(int64_t{-9223372036854775807 - 1}),
        Object(2.5),
        Object(-1e300),
        Object(true),
        Object(false),
        Object(),
        Object(List{Object(1), Object("a"), Object(List{})}),
    };
    for (size_t i = 0; i < values.size(); ++i) {
        REQUIRE(store->write({"v", "k" + std::to_string(i)}, values[i], 5).ok());
    }
    for (size_t i = 0; i < values.size(); ++i) {
        auto value = store->read({"v", "k" + std::to_string(i)});
        REQUIRE(value.ok());
        CHECK(to_json(*value) == to_json(values[i]));
        CHECK(value->type() == values[i].type());
    }
    // Through a map read too, which decodes the same way.
    auto map = store->read({"v"});
    REQUIRE(map.ok());
    REQUIRE(map->as_map().size() == values.size());
    CHECK(*map->as_map().find("k8") == Object(int64_t{123456789012345678}));
    CHECK(map->as_map().find("k4")->as_string() == "123");
}

TEST_CASE("a map reads back in creation order with nested maps in place") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"m"}, json(R"({"z":1,"a":{"y":2,"b":{}},"m":[1,2]})"), 5).ok());
    REQUIRE(store->write({"m", "c"}, Object(3), 5).ok());
    CHECK(read_json(*store, {"m"}) == R"({"z":1,"a":{"y":2,"b":{}},"m":[1,2],"c":3})");
    CHECK(read_json(*store, {}) == R"({"m":{"z":1,"a":{"y":2,"b":{}},"m":[1,2],"c":3}})");
}

TEST_CASE("reads between begin_read and end_read share a snapshot; end_read shows later writes") {
    TempDb db;
    auto writer = open_store(db.path);
    auto reader = open_store(db.path);
    REQUIRE(writer->write({"a"}, Object(1), 5).ok());
    REQUIRE(reader->begin_read().ok());
    CHECK(read_json(*reader, {"a"}) == "1");
    REQUIRE(writer->write({"a"}, Object(2), 6).ok());
    REQUIRE(writer->write({"b"}, Object(3), 6).ok());
    CHECK(read_json(*reader, {"a"}) == "1");
    CHECK(reader->read({"b"}).error().code == ErrorCode::Noentry);
    reader->end_read();
    CHECK(read_json(*reader, {"a"}) == "2");
    CHECK(read_json(*reader, {"b"}) == "3");
    CHECK_FALSE(reader->in_transaction());
}

TEST_CASE("a failed request inside a caller's transaction leaves the others of it") {
    TempDb db;
    auto store = open_store(db.path);
    REQUIRE(store->write({"leaf"}, Object(1), 5).ok());
    REQUIRE(store->begin().ok());
    REQUIRE(store->write({"x"}, Object(1), 5).ok());
    auto conflict = store->write({"leaf", "below"}, json(R"({"deep":1})"), 5);
    CHECK(conflict.error().code == ErrorCode::Conflict);
    CHECK(store->in_transaction());
    REQUIRE(store->write({"y"}, Object(2), 5).ok());
    REQUIRE(store->commit().ok());
    CHECK(read_json(*store, {}) == R"({"leaf":1,"x":1,"y":2})");
}

TEST_CASE("a database opens for reading while another connection holds the write lock") {
    TempDb db;
    REQUIRE(open_store(db.path)->write({"a"}, Object(1), 5).ok());
    sqlite3* holder = nullptr;
    REQUIRE(sqlite3_open(db.path.c_str(), &holder) == SQLITE_OK);
    REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    OpenOptions options;
    options.busy_timeout_ms = 200;
    auto start = std::chrono::steady_clock::now();
    auto store = ConfigStore::open(db.path, options);
    REQUIRE(store.ok());
    CHECK(read_json(**store, {"a"}) == "1");
    auto refused = (*store)->write({"a"}, Object(2), 6);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::Busy);
    CHECK_THAT(refused.error().message, Catch::Contains(db.path) && Catch::Contains("another process"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(holder);
    CHECK((*store)->write({"a"}, Object(2), 6).ok());
}
