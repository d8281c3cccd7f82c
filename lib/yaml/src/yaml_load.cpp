// YAML loading on libyaml's event parser: core schema typing, anchors, merge keys, limits, node positions.
#include "ggl/yaml.hpp"

#include "yaml_event.hpp"
#include "yaml_scalar.hpp"

#include "ggl/fd.hpp"
#include "ggl/text.hpp"

#include <yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ggl {
namespace {

using namespace yaml_detail;

// ---------------------------------------------------------------------------------
// Loader

struct NodeStats {
    size_t nodes = 0;
    size_t bytes = 0;
    // Levels of lists and maps; 0 for a scalar.
    size_t height = 0;
};

struct Anchor {
    Object value;
    NodeStats stats;
    bool is_scalar = false;
    // A scalar's text as written, used when the alias stands for a map key.
    std::string text;
    // Kept only when the caller asked for positions.
    NodePositions positions;
};

struct PathStep {
    std::string key;
    size_t index = 0;
    bool is_index = false;
};

bool needs_brackets(std::string_view key) {
    if (key.empty()) {
        return true;
    }
    return std::any_of(key.begin(), key.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return c == '.' || c == '[' || c == ']' || c == '"' || c == '\\' || u <= 0x20 || u == 0x7F;
    });
}

class Loader {
public:
    Loader(std::string_view text, NodePositions* positions) : text_(text), positions_(positions) {}

    Result<Object> load() {
        if (!parser_.initialized()) {
            return make_error(ErrorCode::Nomem, "cannot set up the YAML parser");
        }
        // libyaml asserts on a null input pointer, which an empty string_view may hold.
        const char* data = text_.empty() ? "" : text_.data();
        yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(data), text_.size());
        Object root;
        if (!load_stream(root)) {
            return std::move(*error_);
        }
        return root;
    }

private:
    bool load_stream(Object& root) {
        Event ev;
        if (!next(ev)) {
            return false;
        }
        if (!next(ev)) {
            return false;
        }
        if (ev.type() == YAML_STREAM_END_EVENT) {
            return true;
        }
        Event node_ev;
        if (!next(node_ev)) {
            return false;
        }
        NodeStats stats;
        if (!node(node_ev, 1, root, stats, positions_)) {
            return false;
        }
        if (!next(ev)) { // the document end
            return false;
        }
        if (!next(ev)) {
            return false;
        }
        if (ev.type() == YAML_DOCUMENT_START_EVENT) {
            return fail(ev->start_mark, "a second document starts here; expected one document");
        }
        return true;
    }

    bool next(Event& ev) {
        if (yaml_parser_parse(parser_.get(), ev.fill()) == 0) {
            return fail_from_libyaml();
        }
        ev.mark_live();
        return true;
    }

    // pos, when not null, receives the node's positions.
    bool node(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (pos != nullptr) {
            pos->at = position_of(ev->start_mark);
        }
        switch (ev.type()) {
        case YAML_ALIAS_EVENT: return alias(ev, depth, out, stats, pos);
        case YAML_SCALAR_EVENT: return scalar(ev, out, stats, false, pos);
        case YAML_SEQUENCE_START_EVENT: return sequence(ev, depth, out, stats, pos);
        case YAML_MAPPING_START_EVENT: return mapping(ev, depth, out, stats, pos);
        default: return fail(ev->start_mark, "unexpected YAML event");
        }
    }

    // A key is a string whatever it looks like, so an untagged key never fails to
    // convert ("1e999: x" is fine); its typed value only matters if an alias reuses it.
    bool scalar(const Event& ev, Object& out, NodeStats& stats, bool is_key, NodePositions* pos) {
        std::string_view text = scalar_text(*ev);
        const char* tag = scalar_tag(*ev);
        Result<Object> value = scalar_value(text, tag, ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
        if (!value && !(is_key && tag == nullptr)) {
            return fail(ev->start_mark, value.error().message);
        }
        out = value ? std::move(*value) : Object(text);
        stats = NodeStats{1, text.size(), 0};
        if (const char* name = anchor_of(*ev)) {
            return remember(name, out, stats, true, text, ev->start_mark, pos);
        }
        return true;
    }

    bool alias(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        const Anchor* anchor = find_anchor(ev);
        if (anchor == nullptr) {
            return false;
        }
        if (anchor->stats.height > 0 && depth + anchor->stats.height - 1 > yaml_max_depth) {
            return fail(ev->start_mark, "nesting deeper than " + std::to_string(yaml_max_depth) +
                                            " levels through alias *" + alias_name(ev));
        }
        if (!charge_copy(anchor->stats, ev->start_mark)) {
            return false;
        }
        out = anchor->value;
        stats = anchor->stats;
        if (pos != nullptr) {
            pos->children = anchor->positions.children;
        }
        return true;
    }

    bool sequence(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (!check_depth(ev, depth) || !check_collection_tag(ev, ev->data.sequence_start.tag, "seq", "a list")) {
            return false;
        }
        const char* name = anchor_of(*ev);
        open(name);
        List list;
        stats = NodeStats{1, 0, 1};
        for (size_t index = 0;; ++index) {
            Event item_ev;
            if (!next(item_ev)) {
                return false;
            }
            if (item_ev.type() == YAML_SEQUENCE_END_EVENT) {
                break;
            }
            path_.push_back(PathStep{{}, index, true});
            Object item;
            NodeStats item_stats;
            NodePositions* item_pos = nullptr;
            if (pos != nullptr) {
                item_pos = &pos->children.emplace_back();
            }
            if (!node(item_ev, depth + 1, item, item_stats, item_pos)) {
                return false;
            }
            path_.pop_back();
            add(stats, item_stats);
            list.push_back(std::move(item));
        }
        out = std::move(list);
        return close(name, out, stats, ev->start_mark, pos);
    }

    // Merged maps wait until the map is complete: keys the map sets itself win however
    // they are ordered around the << key.
    struct Merge {
        size_t position = 0;
        std::vector<Map> maps;
        std::vector<NodePositions> positions; // one per map, when positions are kept
    };

    bool mapping(const Event& ev, size_t depth, Object& out, NodeStats& stats, NodePositions* pos) {
        if (!check_depth(ev, depth) || !check_collection_tag(ev, ev->data.mapping_start.tag, "map", "a map")) {
            return false;
        }
        const char* name = anchor_of(*ev);
        open(name);
        std::vector<Map::Entry> entries;
        std::vector<NodePositions> entry_positions;
        std::unordered_set<std::string> seen;
        std::optional<Merge> merge;
        stats = NodeStats{1, 0, 1};
        for (;;) {
            Event key_ev;
            if (!next(key_ev)) {
                return false;
            }
            if (key_ev.type() == YAML_MAPPING_END_EVENT) {
                break;
            }
            std::string key;
            bool is_merge = false;
            if (!map_key(key_ev, key, is_merge)) {
                return false;
            }
            if (is_merge && merge) {
                return fail(key_ev->start_mark, "duplicate merge key <<");
            }
            if (!is_merge && !seen.insert(key).second) {
                return fail(key_ev->start_mark, "duplicate key " + quoted(key));
            }
            stats.nodes += 1;
            stats.bytes += key.size();

            // The path names the key while its value is read, so that a syntax error
            // inside the value points at it.
            path_.push_back(PathStep{is_merge ? std::string("<<") : key, 0, false});
            Event value_ev;
            if (!next(value_ev)) {
                return false;
            }
            Object value;
            NodeStats value_stats;
            NodePositions value_pos;
            if (!node(value_ev, depth + 1, value, value_stats, pos != nullptr ? &value_pos : nullptr)) {
                return false;
            }
            path_.pop_back();
            if (is_merge) {
                bool single = value.is_map();
                std::optional<std::vector<Map>> maps = merge_sources(std::move(value));
                if (!maps) {
                    return fail(value_ev->start_mark, "merge key << needs a map or a list of maps");
                }
                merge = Merge{entries.size(), std::move(*maps), {}};
                if (pos != nullptr) {
                    if (single) {
                        merge->positions.push_back(std::move(value_pos));
                    } else {
                        merge->positions = std::move(value_pos.children);
                    }
                }
            }
            add(stats, value_stats);
            if (!is_merge) {
                entries.emplace_back(std::move(key), std::move(value));
                if (pos != nullptr) {
                    value_pos.key_at = position_of(key_ev->start_mark);
                    entry_positions.push_back(std::move(value_pos));
                }
            }
        }
        out = assemble(std::move(entries), std::move(seen), std::move(merge),
                       pos != nullptr ? &entry_positions : nullptr);
        if (pos != nullptr) {
            pos->children = std::move(entry_positions);
        }
        return close(name, out, stats, ev->start_mark, pos);
    }

    bool map_key(const Event& key_ev, std::string& key, bool& is_merge) {
        switch (key_ev.type()) {
        case YAML_SCALAR_EVENT: {
            std::string_view text = scalar_text(*key_ev);
            const char* tag = scalar_tag(*key_ev);
            bool plain = key_ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (plain && text == "<<" &&
                (tag == nullptr || std::string_view(tag) == std::string(yaml_tag_prefix) + "merge")) {
                is_merge = true;
                return true;
            }
            // Keys stay as written, but a tagged key must still be what its tag says.
            Object value;
            NodeStats stats;
            if (!scalar(key_ev, value, stats, true, nullptr)) {
                return false;
            }
            key = std::string(text);
            return true;
        }
        case YAML_ALIAS_EVENT: {
            const Anchor* anchor = find_anchor(key_ev);
            if (anchor == nullptr) {
                return false;
            }
            if (!anchor->is_scalar) {
                return fail(key_ev->start_mark, "a map key must be a scalar; alias *" + alias_name(key_ev) + " is " +
                                                    (anchor->value.is_list() ? "a list" : "a map"));
            }
            key = anchor->text;
            return true;
        }
        case YAML_SEQUENCE_START_EVENT: return fail(key_ev->start_mark, "a map key must be a scalar, not a list");
        case YAML_MAPPING_START_EVENT: return fail(key_ev->start_mark, "a map key must be a scalar, not a map");
        default: return fail(key_ev->start_mark, "unexpected YAML event");
        }
    }

    static std::optional<std::vector<Map>> merge_sources(Object value) {
        std::vector<Map> maps;
        if (value.is_map()) {
            maps.push_back(std::move(value.as_map()));
            return maps;
        }
        if (!value.is_list()) {
            return std::nullopt;
        }
        for (Object& item : value.as_list()) {
            if (!item.is_map()) {
                return std::nullopt;
            }
            maps.push_back(std::move(item.as_map()));
        }
        return maps;
    }

    // positions, when not null, holds one entry per entry and is rearranged the same way.
    static Map assemble(std::vector<Map::Entry> entries, std::unordered_set<std::string> taken,
                        std::optional<Merge> merge, std::vector<NodePositions>* positions) {
        Map map;
        map.reserve(entries.size());
        std::vector<NodePositions> ordered;
        auto merge_in = [&] {
            for (size_t m = 0; m < merge->maps.size(); ++m) {
                size_t index = 0;
                for (auto& [key, value] : merge->maps[m]) {
                    if (taken.insert(key).second) {
                        map.append(std::move(key), std::move(value));
                        if (positions != nullptr && m < merge->positions.size() &&
                            index < merge->positions[m].children.size()) {
                            ordered.push_back(std::move(merge->positions[m].children[index]));
                        } else if (positions != nullptr) {
                            ordered.emplace_back();
                        }
                    }
                    ++index;
                }
            }
        };
        for (size_t i = 0; i < entries.size(); ++i) {
            if (merge && merge->position == i) {
                merge_in();
            }
            map.append(std::move(entries[i].first), std::move(entries[i].second));
            if (positions != nullptr) {
                ordered.push_back(std::move((*positions)[i]));
            }
        }
        if (merge && merge->position == entries.size()) {
            merge_in();
        }
        if (positions != nullptr) {
            *positions = std::move(ordered);
        }
        return map;
    }

    bool check_depth(const Event& ev, size_t depth) {
        if (depth > yaml_max_depth) {
            return fail(ev->start_mark, "nesting deeper than " + std::to_string(yaml_max_depth) + " levels");
        }
        return true;
    }

    bool check_collection_tag(const Event& ev, const yaml_char_t* raw_tag, std::string_view own, const char* what) {
        if (raw_tag == nullptr) {
            return true;
        }
        std::string_view tag = reinterpret_cast<const char*>(raw_tag);
        if (tag == "!" || (tag.starts_with(yaml_tag_prefix) && tag.substr(yaml_tag_prefix.size()) == own)) {
            return true;
        }
        return fail(ev->start_mark, "tag " + tag_name(tag) + " cannot tag " + what);
    }

    static void add(NodeStats& total, const NodeStats& child) {
        total.nodes += child.nodes;
        total.bytes += child.bytes;
        total.height = std::max(total.height, child.height + 1);
    }

    // Anchors are recorded once their node is complete; an alias inside its own
    // anchor's node would be a cycle, which an Object cannot hold.
    void open(const char* name) {
        if (name != nullptr) {
            ++open_anchors_[name];
        }
    }

    bool close(const char* name, const Object& value, const NodeStats& stats, const yaml_mark_t& mark,
               const NodePositions* pos) {
        if (name == nullptr) {
            return true;
        }
        auto it = open_anchors_.find(name);
        if (--it->second == 0) {
            open_anchors_.erase(it);
        }
        return remember(name, value, stats, false, {}, mark, pos);
    }

    bool remember(const char* name, const Object& value, const NodeStats& stats, bool is_scalar, std::string_view text,
                  const yaml_mark_t& mark, const NodePositions* pos) {
        // The anchor table holds its own copy, which costs like an alias would.
        if (!charge_copy(stats, mark)) {
            return false;
        }
        anchors_[name] = Anchor{value, stats, is_scalar, std::string(text), pos != nullptr ? *pos : NodePositions{}};
        return true;
    }

    bool charge_copy(const NodeStats& stats, const yaml_mark_t& mark) {
        copied_nodes_ += stats.nodes;
        copied_bytes_ += stats.bytes;
        if (copied_nodes_ > yaml_max_copied_nodes) {
            return fail(mark, "anchors and aliases copy more than " + std::to_string(yaml_max_copied_nodes) +
                                  " nodes (an alias expansion bomb?)");
        }
        if (copied_bytes_ > yaml_max_copied_bytes) {
            return fail(mark, "anchors and aliases copy more than " + std::to_string(yaml_max_copied_bytes) +
                                  " bytes (an alias expansion bomb?)");
        }
        return true;
    }

    static std::string alias_name(const Event& ev) { return reinterpret_cast<const char*>(ev->data.alias.anchor); }

    const Anchor* find_anchor(const Event& ev) {
        std::string name = alias_name(ev);
        if (open_anchors_.contains(name)) {
            fail(ev->start_mark, "alias *" + name + " refers to a node that contains it");
            return nullptr;
        }
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
            fail(ev->start_mark, "undefined alias *" + name);
            return nullptr;
        }
        return &it->second;
    }

    std::string path_text() const {
        std::string out;
        for (const PathStep& step : path_) {
            if (step.is_index) {
                out += "[" + std::to_string(step.index) + "]";
            } else if (needs_brackets(step.key)) {
                out += "[" + quoted(step.key) + "]";
            } else {
                if (!out.empty()) {
                    out += '.';
                }
                out += step.key;
            }
        }
        return out;
    }

    bool fail(const yaml_mark_t& mark, const std::string& what) {
        std::string message = mark_text(mark) + ": " + what;
        if (!path_.empty()) {
            message += " in " + path_text();
        }
        error_ = make_error(ErrorCode::Parse, std::move(message));
        return false;
    }

    bool fail_from_libyaml() {
        const yaml_parser_t& p = *parser_.get();
        if (p.error == YAML_MEMORY_ERROR) {
            error_ = make_error(ErrorCode::Nomem, "out of memory while parsing YAML");
            return false;
        }
        std::string problem = p.problem != nullptr ? p.problem : "malformed YAML";
        yaml_mark_t mark = p.problem_mark;
        if (p.error == YAML_READER_ERROR) {
            // The reader reports a byte offset, not a mark.
            mark = mark_at(p.problem_offset);
            if (p.problem_value != -1) {
                char value[16];
                auto [end, ec] = std::to_chars(value, value + sizeof value, p.problem_value, 16);
                (void)ec;
                problem += " (#x" + std::string(value, end) + ")";
            }
        } else if (p.context != nullptr) {
            problem += " (" + std::string(p.context) + " at " + mark_text(p.context_mark) + ")";
        }
        std::string message = mark_text(mark) + ": " + problem;
        if (!path_.empty()) {
            message += " (in " + path_text() + ")";
        }
        error_ = make_error(ErrorCode::Parse, std::move(message));
        return false;
    }

    yaml_mark_t mark_at(size_t offset) const {
        yaml_mark_t mark{};
        offset = std::min(offset, text_.size());
        for (size_t i = 0; i < offset;) {
            if (text_[i] == '\n') {
                ++mark.line;
                mark.column = 0;
                ++i;
            } else {
                decode_utf8(text_, i);
                ++mark.column;
            }
        }
        mark.index = offset;
        return mark;
    }

    ParserHandle parser_;
    std::string_view text_;
    NodePositions* positions_ = nullptr;
    std::vector<PathStep> path_;
    std::unordered_map<std::string, Anchor> anchors_;
    std::unordered_map<std::string, int> open_anchors_;
    size_t copied_nodes_ = 0;
    size_t copied_bytes_ = 0;
    std::optional<Error> error_;
};

} // namespace

Result<Object> yaml_parse(std::string_view text) { return Loader(text, nullptr).load(); }

Result<Object> yaml_parse(std::string_view text, NodePositions* positions) {
    NodePositions collected;
    Result<Object> value = Loader(text, positions != nullptr ? &collected : nullptr).load();
    if (value && positions != nullptr) {
        *positions = std::move(collected);
    }
    return value;
}

Result<Object> yaml_parse_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        int err = errno;
        return make_error(err == ENOENT ? ErrorCode::Noentry : ErrorCode::Failure,
                          path + ": " + std::generic_category().message(err));
    }
    std::string text;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return make_error(ErrorCode::Failure, path + ": " + std::generic_category().message(errno));
        }
        if (n == 0) {
            break;
        }
        text.append(buf, static_cast<size_t>(n));
    }
    Result<Object> value = yaml_parse(text);
    if (!value) {
        Error error = std::move(value).error();
        error.message = path + ": " + error.message;
        return error;
    }
    return value;
}

} // namespace ggl
