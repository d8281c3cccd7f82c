// The subscription index of ggpubsubd: a trie of topic filter levels.
#include "topic_trie.hpp"

#include "ggl/topic.hpp"

#include <algorithm>

namespace ggl::pubsubd {

void TopicTrie::insert(std::string_view filter, Id id) {
    Node* node = &root_;
    topic::for_each_level(filter, [&](std::string_view level, bool) {
        std::unique_ptr<Node>* slot = nullptr;
        if (level == "+") {
            slot = &node->plus;
        } else if (level == "#") {
            slot = &node->hash;
        } else {
            auto it = node->children.find(level);
            if (it == node->children.end()) {
                it = node->children.emplace(std::string(level), nullptr).first;
            }
            slot = &it->second;
        }
        if (!*slot) {
            *slot = std::make_unique<Node>();
            ++nodes_;
        }
        node = slot->get();
    });
    node->ids.push_back(id);
    ++size_;
}

bool TopicTrie::erase(std::string_view filter, Id id) {
    // The path from the root, to prune from the leaf back up.
    struct Step {
        Node* parent;
        std::string_view level;
    };
    std::vector<Step> path;
    Node* node = &root_;
    topic::for_each_level(filter, [&](std::string_view level, bool) {
        if (node == nullptr) {
            return;
        }
        Node* next = nullptr;
        if (level == "+") {
            next = node->plus.get();
        } else if (level == "#") {
            next = node->hash.get();
        } else if (auto it = node->children.find(level); it != node->children.end()) {
            next = it->second.get();
        }
        path.push_back({node, level});
        node = next;
    });
    if (node == nullptr) {
        return false;
    }
    auto it = std::find(node->ids.begin(), node->ids.end(), id);
    if (it == node->ids.end()) {
        return false;
    }
    node->ids.erase(it);
    --size_;
    for (auto step = path.rbegin(); step != path.rend() && node->empty(); ++step) {
        Node* parent = step->parent;
        if (step->level == "+") {
            parent->plus.reset();
        } else if (step->level == "#") {
            parent->hash.reset();
        } else {
            parent->children.erase(parent->children.find(step->level));
        }
        --nodes_;
        node = parent;
    }
    return true;
}

void TopicTrie::match(std::string_view topic, const std::function<void(Id)>& fn) const {
    // The nodes whose filter prefix matches the topic's levels so far. A node is reached
    // from its one parent only, so no id is reported twice.
    std::vector<const Node*> frontier{&root_};
    std::vector<const Node*> next;
    auto report = [&](const Node& node) {
        for (Id id : node.ids) {
            fn(id);
        }
    };
    topic::for_each_level(topic, [&](std::string_view level, bool) {
        next.clear();
        for (const Node* node : frontier) {
            if (node->hash) {
                report(*node->hash); // "#" takes this level and everything after
            }
            if (auto it = node->children.find(level); it != node->children.end()) {
                next.push_back(it->second.get());
            }
            if (node->plus) {
                next.push_back(node->plus.get());
            }
        }
        frontier.swap(next);
    });
    for (const Node* node : frontier) {
        report(*node);
        if (node->hash) {
            report(*node->hash); // "a/#" matches "a"
        }
    }
}

} // namespace ggl::pubsubd
