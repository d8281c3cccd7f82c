// Unit tests of MQTT-style topic and filter validation and matching (lib/topic) and of
// ggpubsubd's subscription index (a trie), checked against the plain matcher.
#include "ggl/topic.hpp"

#include "topic_trie.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace ggl;
using ggl::pubsubd::TopicTrie;

namespace {

std::string filter_error(std::string_view filter) {
    auto valid = topic::validate_filter(filter);
    INFO("filter " << filter);
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().code == ErrorCode::Invalid);
    return valid.error().message;
}

std::string topic_error(std::string_view text) {
    auto valid = topic::validate_topic(text);
    INFO("topic " << text);
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().code == ErrorCode::Invalid);
    return valid.error().message;
}

std::set<uint64_t> trie_match(const TopicTrie& trie, std::string_view text) {
    std::set<uint64_t> ids;
    trie.match(text, [&](uint64_t id) {
        INFO("id " << id << " reported twice for " << text);
        CHECK(ids.insert(id).second);
    });
    return ids;
}

} // namespace

TEST_CASE("valid topics and filters pass validation") {
    for (const char* text : {"a", "a/b/c", "/", "a//b", "/leading", "trailing/", "$aws/things/x", "ünïcode/ok"}) {
        INFO(text);
        CHECK(topic::validate_topic(text).ok());
        CHECK(topic::validate_filter(text).ok());
    }
    for (const char* filter : {"#", "+", "+/+", "a/#", "a/+/c", "+/#", "/#", "a//+", "+/"}) {
        INFO(filter);
        CHECK(topic::validate_filter(filter).ok());
    }
}

TEST_CASE("a publish topic with a wildcard is refused, naming the wildcard") {
    CHECK_THAT(topic_error("a/+/c"), Catch::Contains("wildcard '+'"));
    CHECK_THAT(topic_error("a/#"), Catch::Contains("wildcard '#'"));
    CHECK_THAT(topic_error("sensor#1"), Catch::Contains("wildcard '#'"));
}

TEST_CASE("malformed filters are refused with the level at fault") {
    CHECK_THAT(filter_error("a/#/c"), Catch::Contains("'#' must be the last level (it is level 2)"));
    CHECK_THAT(filter_error("#/a"), Catch::Contains("'#' must be the last level (it is level 1)"));
    CHECK_THAT(filter_error("a/b+/c"), Catch::Contains("'+' must fill a whole level") && Catch::Contains("level 2"));
    CHECK_THAT(filter_error("a/#b"), Catch::Contains("'#' must fill a whole level"));
    CHECK_THAT(filter_error("a/x#"), Catch::Contains("'#' must fill a whole level"));
    CHECK_THAT(filter_error("++"), Catch::Contains("'+' must fill a whole level"));
}

TEST_CASE("empty, oversized, NUL-holding and non-UTF-8 topics are refused") {
    CHECK_THAT(topic_error(""), Catch::Contains("topic is empty"));
    CHECK_THAT(filter_error(""), Catch::Contains("topic filter is empty"));
    std::string longest(topic::kMaxTopicBytes, 'a');
    CHECK(topic::validate_topic(longest).ok());
    CHECK_THAT(topic_error(longest + "a"), Catch::Contains("65536 bytes long; the limit is 65535"));
    CHECK_THAT(topic_error(std::string("a\0b", 3)), Catch::Contains("NUL"));
    CHECK_THAT(topic_error("a/\xff\xfe"), Catch::Contains("not valid UTF-8"));
}

TEST_CASE("filters match topics as MQTT defines") {
    struct Case {
        const char* filter;
        const char* topic;
        bool match;
    };
    const Case cases[] = {
        {"a/b/c", "a/b/c", true},
        {"a/b/c", "a/b", false},
        {"a/b", "a/b/c", false},
        {"a/+/c", "a/x/c", true},
        {"a/+/c", "a/x/y/c", false},
        {"a/+", "a/", true},
        {"a/+", "a", false},
        {"+", "a", true},
        {"+", "a/b", false},
        {"+", "/", false},
        {"+/+", "/", true},
        {"a/#", "a", true},
        {"a/#", "a/b/c/d", true},
        {"a/#", "ab", false},
        {"#", "anything/at/all", true},
        {"#", "/", true},
        {"+/#", "a", true},
        {"/#", "a", false},
        {"a//b", "a//b", true},
        {"a/+/b", "a//b", true},
        {"A/b", "a/b", false},
        {"a/b/#", "a/b", true},
        {"a/b/#", "a/c", false},
        {"+/b/+", "x/b/y", true},
    };
    for (const Case& c : cases) {
        INFO(c.filter << " vs " << c.topic);
        CHECK(topic::matches(c.filter, c.topic) == c.match);
    }
}

TEST_CASE("a filter covers another filter only if it matches all its topics") {
    CHECK(topic::covers("a/#", "a/+/c"));
    CHECK(topic::covers("a/#", "a/#"));
    CHECK(topic::covers("a/#", "a"));
    CHECK(topic::covers("#", "+/+/#"));
    CHECK(topic::covers("+/b", "+/b"));
    CHECK(topic::covers("a/+", "a/b"));
    CHECK_FALSE(topic::covers("a/+", "a/#"));
    CHECK_FALSE(topic::covers("a/b", "a/+"));
    CHECK_FALSE(topic::covers("a/+/c", "a/+"));
    CHECK_FALSE(topic::covers("+", "#"));
}

TEST_CASE("the trie finds the subscriptions that match, each once") {
    TopicTrie trie;
    trie.insert("a/b/c", 1);
    trie.insert("a/+/c", 2);
    trie.insert("a/#", 3);
    trie.insert("#", 4);
    trie.insert("+/b/+", 5);
    trie.insert("a/b/c", 6); // two subscriptions of one filter
    trie.insert("x/y", 7);
    CHECK(trie.size() == 7);
    CHECK(trie_match(trie, "a/b/c") == std::set<uint64_t>{1, 2, 3, 4, 5, 6});
    CHECK(trie_match(trie, "a") == std::set<uint64_t>{3, 4});
    CHECK(trie_match(trie, "x/y") == std::set<uint64_t>{4, 7});
    CHECK(trie_match(trie, "x/y/z") == std::set<uint64_t>{4});
    CHECK(trie_match(trie, "q/b/") == std::set<uint64_t>{4, 5});
}

TEST_CASE("erasing from the trie removes only that subscription and prunes empty branches") {
    TopicTrie trie;
    size_t empty_nodes = trie.node_count();
    trie.insert("a/b/c", 1);
    trie.insert("a/b/c", 2);
    trie.insert("a/+/#", 3);
    CHECK_FALSE(trie.erase("a/b/c", 99));
    CHECK_FALSE(trie.erase("a/b", 1));
    CHECK_FALSE(trie.erase("nothing/here", 1));
    CHECK(trie.erase("a/b/c", 1));
    CHECK(trie_match(trie, "a/b/c") == std::set<uint64_t>{2, 3});
    CHECK(trie.erase("a/b/c", 2));
    CHECK(trie.erase("a/+/#", 3));
    CHECK_FALSE(trie.erase("a/+/#", 3));
    CHECK(trie.size() == 0);
    CHECK(trie.node_count() == empty_nodes);
    CHECK(trie_match(trie, "a/b/c").empty());
}

TEST_CASE("the trie agrees with the plain matcher on random filters and topics") {
    std::mt19937 random(7);
    const std::vector<std::string> words{"a", "b", "c", ""};
    auto random_levels = [&](bool filter) {
        std::string text;
        size_t levels = 1 + random() % 4;
        for (size_t i = 0; i < levels; ++i) {
            if (i > 0) text += '/';
            unsigned pick = random() % 10;
            if (filter && pick == 0) {
                text += '+';
            } else if (filter && pick == 1 && i + 1 == levels) {
                text += '#';
            } else {
                text += words[random() % words.size()];
            }
        }
        return text.empty() ? std::string("a") : text; // "" is no topic
    };
    TopicTrie trie;
    std::vector<std::string> filters;
    for (uint64_t id = 0; id < 300; ++id) {
        filters.push_back(random_levels(true));
        REQUIRE(topic::validate_filter(filters.back()).ok());
        trie.insert(filters.back(), id);
    }
    // Erase a third, so that pruning is exercised too.
    std::set<uint64_t> erased;
    for (uint64_t id = 0; id < 300; id += 3) {
        REQUIRE(trie.erase(filters[id], id));
        erased.insert(id);
    }
    size_t matched_somewhere = 0;
    for (int round = 0; round < 500; ++round) {
        std::string text = random_levels(false);
        std::set<uint64_t> expected;
        for (uint64_t id = 0; id < filters.size(); ++id) {
            if (!erased.count(id) && topic::matches(filters[id], text)) {
                expected.insert(id);
            }
        }
        INFO("topic " << text);
        CHECK(trie_match(trie, text) == expected);
        matched_somewhere += expected.empty() ? 0 : 1;
    }
    CHECK(matched_somewhere > 100); // the comparison was not vacuous
}
