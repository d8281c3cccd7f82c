// Unit tests of iotcored's offline spool (daemons/iotcored/spool.cpp) and its settings:
// order, persistence across a reopen, the size bound, removal, and an unreadable file.
#include "iot_settings.hpp"
#include "spool.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace ggl;
using namespace ggl::iotcored;

namespace {

OutgoingMessage message(std::string topic, std::string payload, int qos = 1) {
    OutgoingMessage m;
    m.topic = std::move(topic);
    m.payload = std::move(payload);
    m.qos = qos;
    return m;
}

std::unique_ptr<Spool> open_spool(const std::string& path) {
    auto spool = Spool::open(path);
    if (!spool) FAIL(spool.error().message);
    return std::move(*spool);
}

Object spooler(Map values) {
    return Map{
        {"services", Map{{kNucleus, Map{{"configuration", Map{{"mqtt", Map{{"spooler", std::move(values)}}}}}}}}}};
}

} // namespace

TEST_CASE("the spool keeps messages in order, byte for byte, across a reopen") {
    test::TempDir dir;
    std::string path = (dir.path / "iotcored" / "spool.db").string();
    {
        auto spool = open_spool(path);
        CHECK(spool->depth() == 0);
        OutgoingMessage first = message("a/1", std::string("bin\0ary\xff", 8));
        first.retain = true;
        first.user_properties = {{"k", "v"}, {"k", "w"}};
        REQUIRE(spool->add(first, 1 << 20).ok());
        REQUIRE(spool->add(message("a/2", "two", 0), 1 << 20).ok());
        REQUIRE(spool->add(message("a/3", ""), 1 << 20).ok());
        CHECK(spool->depth() == 3);
        CHECK(spool->bytes() == (3 + 8 + 4) + (3 + 3) + (3 + 0)); // topic, payload, user properties
    }
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    auto spool = open_spool(path);
    CHECK(spool->depth() == 3);
    CHECK(spool->bytes() == 24);
    auto all = spool->after(0, 10);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 3);
    const OutgoingMessage& first = (*all)[0].message;
    CHECK(first.topic == "a/1");
    CHECK(first.payload == std::string("bin\0ary\xff", 8));
    CHECK(first.qos == 1);
    CHECK(first.retain);
    CHECK(first.user_properties == std::vector<std::pair<std::string, std::string>>{{"k", "v"}, {"k", "w"}});
    CHECK((*all)[1].message.topic == "a/2");
    CHECK((*all)[1].message.qos == 0);
    CHECK_FALSE((*all)[1].message.retain);
    CHECK((*all)[2].message.payload.empty());
    CHECK((*all)[0].id < (*all)[1].id);
    CHECK((*all)[1].id < (*all)[2].id);
    auto rest = spool->after((*all)[0].id, 1);
    REQUIRE(rest.ok());
    REQUIRE(rest->size() == 1);
    CHECK(rest->front().message.topic == "a/2");
}

TEST_CASE("a full spool refuses with RETRY, names its bound and keeps what it has") {
    test::TempDir dir;
    auto spool = open_spool((dir.path / "spool.db").string());
    REQUIRE(spool->add(message("t", std::string(60, 'x')), 100).ok());
    auto refused = spool->add(message("t", std::string(40, 'y')), 100);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::Retry);
    CHECK(refused.error().message.find("the offline spool is full: it holds 1 messages, 61 of 100 bytes "
                                       "(mqtt/spooler/maxSizeBytes)") != std::string::npos);
    CHECK(spool->depth() == 1);
    CHECK(spool->add(message("t", std::string(38, 'z')), 100).ok());
    CHECK(spool->bytes() == 100);
}

TEST_CASE("removed messages leave the count at once and the file with the next flush") {
    test::TempDir dir;
    std::string path = (dir.path / "spool.db").string();
    int64_t second_id = 0;
    {
        auto spool = open_spool(path);
        auto first = spool->add(message("t/1", "1"), 1000);
        auto second = spool->add(message("t/2", "2"), 1000);
        REQUIRE(first.ok());
        REQUIRE(second.ok());
        second_id = second->id;
        spool->remove(first->id, first->size);
        CHECK(spool->depth() == 1);
        CHECK(spool->bytes() == 4);
        auto left = spool->after(0, 10); // flushes first: the removed one does not come back
        REQUIRE(left.ok());
        REQUIRE(left->size() == 1);
        CHECK(left->front().id == second_id);
        spool->remove(second->id, second->size);
        // Not flushed explicitly: closing flushes.
    }
    auto spool = open_spool(path);
    CHECK(spool->depth() == 0);
    auto none = spool->after(0, 10);
    REQUIRE(none.ok());
    CHECK(none->empty());
    // Ids are not reused after the last message went.
    auto next = spool->add(message("t/3", "3"), 1000);
    REQUIRE(next.ok());
    CHECK(next->id > second_id);
}

TEST_CASE("an unreadable spool file is moved aside and a new spool begun") {
    test::TempDir dir;
    std::string path = (dir.path / "spool.db").string();
    std::ofstream(path) << std::string(8192, 'G');
    auto spool = open_spool(path);
    CHECK(spool->depth() == 0);
    CHECK(std::filesystem::exists(path + ".unreadable"));
    CHECK(std::filesystem::file_size(path + ".unreadable") == 8192);
    CHECK(spool->add(message("t", "after"), 1000).ok());
}

TEST_CASE("a spool that cannot be made says where") {
    test::TempDir dir;
    std::ofstream((dir.path / "file").string()) << "x";
    auto spool = Spool::open((dir.path / "file" / "spool.db").string());
    REQUIRE_FALSE(spool.ok());
    CHECK(spool.error().message.find("/file: not a directory") != std::string::npos);
}

TEST_CASE("spool settings: the Java nucleus's keys and defaults, bad values named") {
    std::string problem;
    SpoolSettings defaults = spool_settings_from(Object(Map{}), problem);
    CHECK(defaults.max_bytes == 2621440);
    CHECK_FALSE(defaults.keep_qos0);
    CHECK(problem.empty());

    SpoolSettings set =
        spool_settings_from(spooler(Map{{"maxSizeBytes", int64_t{5000}}, {"keepQos0WhenOffline", true}}), problem);
    CHECK(set.max_bytes == 5000);
    CHECK(set.keep_qos0);
    CHECK(problem.empty());

    SpoolSettings java =
        spool_settings_from(spooler(Map{{"maxSizeInBytes", "4096"}, {"keepQos0WhenOffline", "TRUE"}}), problem);
    CHECK(java.max_bytes == 4096);
    CHECK(java.keep_qos0);
    CHECK(problem.empty());

    SpoolSettings bad =
        spool_settings_from(spooler(Map{{"maxSizeBytes", "lots"}, {"keepQos0WhenOffline", "maybe"}}), problem);
    CHECK(bad.max_bytes == 2621440);
    CHECK_FALSE(bad.keep_qos0);
    CHECK(problem.find("mqtt/spooler/maxSizeBytes must be a number of bytes") != std::string::npos);
    CHECK(problem.find("keepQos0WhenOffline must be true or false") != std::string::npos);
}
