// Reading the configuration tree: finding a key, a value or a map rebuilt from its rows,
// and a map's child names, each request on one read snapshot.
#include "ggl/config_store.hpp"

#include "ggl/json.hpp"

#include "config_sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace ggl::config {
namespace {

// A stored value back into an Object. The values a read returns most (short strings
// without escapes, integers, booleans, null) are decoded here without a JSON parser.
Result<Object> decode_value(std::string_view json) {
    size_t size = json.size();
    if (size >= 2 && json.front() == '"' && json.back() == '"') {
        std::string_view body = json.substr(1, size - 2);
        bool plain = std::none_of(body.begin(), body.end(),
                                  [](char c) { return c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20; });
        if (plain) {
            return Object(body);
        }
    } else if (size > 0 && size <= 18 && (json.front() == '-' || (json.front() >= '0' && json.front() <= '9'))) {
        // Up to 18 digits cannot overflow i64; JSON forbids leading zeros.
        size_t first = json.front() == '-' ? 1 : 0;
        bool digits = first < size && std::all_of(json.begin() + static_cast<long>(first), json.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
        if (digits && (json[first] != '0' || size == first + 1)) {
            int64_t value = 0;
            for (size_t i = first; i < size; ++i) {
                value = value * 10 + (json[i] - '0');
            }
            return Object(first == 1 ? -value : value);
        }
    } else if (json == "true" || json == "false") {
        return Object(json == "true");
    } else if (json == "null") {
        return Object();
    }
    return from_json(json);
}

} // namespace

// Every statement of one request reads the same snapshot, and pays for taking the
// database's read locks once. Inside a transaction already open, it adds nothing.
class ConfigStore::ReadScope {
public:
    explicit ReadScope(ConfigStore& store) : store_(store) {
        if (store_.in_transaction()) {
            return;
        }
        sqlite3_stmt* begin = store_.statements_->begin_read.get();
        Reset reset{begin};
        owned_ = sqlite3_step(begin) == SQLITE_DONE;
    }
    ~ReadScope() {
        if (owned_) {
            sqlite3_stmt* commit = store_.statements_->commit.get();
            Reset reset{commit};
            sqlite3_step(commit);
        }
    }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

private:
    ConfigStore& store_;
    bool owned_ = false;
};

Result<std::optional<int64_t>> ConfigStore::find_child(int64_t parent, std::string_view name,
                                                       std::string* stored_name) {
    sqlite3_stmt* stmt = statements_->find_child.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, parent);
    bind_text(stmt, 2, name);
    int stepped = sqlite3_step(stmt);
    if (stepped == SQLITE_ROW) {
        if (stored_name) {
            *stored_name = column_text(stmt, 1);
        }
        return std::optional<int64_t>(sqlite3_column_int64(stmt, 0));
    }
    if (stepped == SQLITE_DONE) {
        return std::optional<int64_t>();
    }
    return sqlite_error("looking up a key");
}

Result<std::optional<int64_t>> ConfigStore::find_node(const KeyPath& path) {
    int64_t id = kRootId;
    for (const auto& segment : path) {
        auto child = find_child(id, segment, nullptr);
        if (!child) {
            return std::move(child).error();
        }
        if (!*child) {
            return std::optional<int64_t>();
        }
        id = **child;
    }
    return std::optional<int64_t>(id);
}

Result<int64_t> ConfigStore::existing_node(const KeyPath& path) {
    auto node = find_node(path);
    if (!node) {
        return std::move(node).error();
    }
    if (!*node) {
        return make_error(ErrorCode::Noentry, "no key " + key_path_to_text(path));
    }
    return **node;
}

Result<bool> ConfigStore::is_leaf(int64_t id) {
    if (id == kRootId) {
        return false;
    }
    sqlite3_stmt* stmt = statements_->get_value.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, id);
    int stepped = sqlite3_step(stmt);
    if (stepped == SQLITE_ROW || stepped == SQLITE_DONE) {
        return stepped == SQLITE_ROW;
    }
    return sqlite_error("reading a value");
}

Result<std::vector<std::string>> ConfigStore::list(const KeyPath& path) {
    ReadScope scope(*this);
    auto node = existing_node(path);
    if (!node) {
        return std::move(node).error();
    }
    auto leaf = is_leaf(*node);
    if (!leaf) {
        return std::move(leaf).error();
    }
    if (*leaf) {
        return make_error(ErrorCode::Invalid, key_path_to_text(path) + " holds a value, not a map");
    }
    std::vector<std::string> names;
    sqlite3_stmt* stmt = statements_->children.get();
    Reset reset{stmt};
    sqlite3_bind_int64(stmt, 1, *node);
    int stepped;
    while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
        names.push_back(column_text(stmt, 1));
    }
    if (stepped != SQLITE_DONE) {
        return sqlite_error("listing keys");
    }
    return names;
}

Result<Object> ConfigStore::build(int64_t id) {
    // One statement per map, depth first; recursion depth is the tree's depth, which
    // the bus frame bounds for anything written.
    struct Child {
        int64_t id;
        size_t index; // its entry in map
    };
    std::vector<Child> maps; // children that are maps, filled in after the scan
    Map map;
    {
        sqlite3_stmt* stmt = statements_->children_values.get();
        Reset reset{stmt};
        sqlite3_bind_int64(stmt, 1, id);
        int stepped;
        while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
            std::string_view name = column_view(stmt, 1);
            if (sqlite3_column_type(stmt, 2) == SQLITE_NULL) {
                maps.push_back({sqlite3_column_int64(stmt, 0), map.size()});
                map.append(std::string(name), Object(Map{}));
                continue;
            }
            auto value = decode_value(column_view(stmt, 2));
            if (!value) {
                return make_error(ErrorCode::Failure, path_ + ": stored value of key id " +
                                                          std::to_string(sqlite3_column_int64(stmt, 0)) +
                                                          " is not JSON: " + value.error().message);
            }
            map.append(std::string(name), std::move(*value));
        }
        if (stepped != SQLITE_DONE) {
            return sqlite_error("reading keys");
        }
    }
    for (Child& child : maps) {
        auto value = build(child.id);
        if (!value) {
            return value;
        }
        (map.begin() + static_cast<long>(child.index))->second = std::move(*value);
    }
    return Object(std::move(map));
}

Result<Object> ConfigStore::read(const KeyPath& path) {
    ReadScope scope(*this);
    auto node = existing_node(path);
    if (!node) {
        return std::move(node).error();
    }
    if (*node != kRootId) {
        sqlite3_stmt* get = statements_->get_value.get();
        Reset reset{get};
        sqlite3_bind_int64(get, 1, *node);
        int stepped = sqlite3_step(get);
        if (stepped == SQLITE_ROW) {
            return decode_value(column_view(get, 0));
        }
        if (stepped != SQLITE_DONE) {
            return sqlite_error("reading a value");
        }
    }
    return build(*node);
}

} // namespace ggl::config
