// Subscriptions indexed by topic filter level by level, so that a publish costs the
// levels of its topic times the branches that match, whatever the number of filters.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ggl::pubsubd {

class TopicTrie {
public:
    using Id = uint64_t;

    // The filter must be valid (topic::validate_filter).
    void insert(std::string_view filter, Id id);
    // Removes id from filter; prunes branches left empty. False when it was not there.
    bool erase(std::string_view filter, Id id);
    // Calls fn once for each id whose filter matches the topic (a valid topic).
    void match(std::string_view topic, const std::function<void(Id)>& fn) const;
    size_t size() const { return size_; }
    size_t node_count() const { return nodes_; }

private:
    struct Node {
        std::map<std::string, std::unique_ptr<Node>, std::less<>> children; // literal levels
        std::unique_ptr<Node> plus; // "+"
        std::unique_ptr<Node> hash; // "#": a leaf
        std::vector<Id> ids; // filters ending here
        bool empty() const { return children.empty() && !plus && !hash && ids.empty(); }
    };

    Node root_;
    size_t size_ = 0;
    size_t nodes_ = 1;
};

} // namespace ggl::pubsubd
