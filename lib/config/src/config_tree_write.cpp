// Writing the configuration tree: merging a value in (older loses) and removing a subtree,
// each request in one transaction, or a savepoint inside the caller's.
#include "ggl/config_store.hpp"

#include "ggl/json.hpp"

#include "config_sqlite.hpp"

#include <sqlite3.h>

namespace ggl::config {

Result<int64_t> ConfigStore::add_child(int64_t parent, std::string_view name) {
    if (!execute(statements_->add_key.get(), name)) {
        return sqlite_error("adding a key");
    }
    int64_t id = sqlite3_last_insert_rowid(db_);
    if (!execute(statements_->add_relation.get(), id, parent, name)) {
        return sqlite_error("adding a key");
    }
    return id;
}

namespace {

// A transaction for one request; inside a caller's transaction (an import) a savepoint,
// so that a request that fails halfway still leaves nothing of itself behind.
class RequestTransaction {
public:
    RequestTransaction(ConfigStore& store, sqlite3* db, bool nested) : store_(store), db_(db), nested_(nested) {}
    ~RequestTransaction() {
        if (!open_) {
            return;
        }
        if (nested_) {
            sqlite3_exec(db_, "ROLLBACK TO request; RELEASE request", nullptr, nullptr, nullptr);
        } else {
            store_.rollback();
        }
    }
    Result<void> begin() {
        if (nested_) {
            if (sqlite3_exec(db_, "SAVEPOINT request", nullptr, nullptr, nullptr) != SQLITE_OK) {
                return make_error(ErrorCode::Failure, std::string("savepoint: ") + sqlite3_errmsg(db_));
            }
            open_ = true;
            return {};
        }
        auto begun = store_.begin();
        open_ = begun.ok();
        return begun;
    }
    Result<void> commit() {
        open_ = false;
        if (nested_) {
            sqlite3_exec(db_, "RELEASE request", nullptr, nullptr, nullptr);
            return {};
        }
        return store_.commit();
    }

private:
    ConfigStore& store_;
    sqlite3* db_;
    bool nested_;
    bool open_ = false;
};

} // namespace

Result<void> ConfigStore::set_leaf(int64_t id, const KeyPath& spelling, const Object& value, int64_t timestamp,
                                   bool existed, std::vector<Change>* changes, OlderWrite older) {
    std::string json = to_json(value);
    bool changed = true;
    if (existed) {
        sqlite3_stmt* get = statements_->get_value.get();
        Reset reset{get};
        sqlite3_bind_int64(get, 1, id);
        if (sqlite3_step(get) != SQLITE_ROW) {
            return sqlite_error("reading a value");
        }
        int64_t stored_ts = sqlite3_column_int64(get, 1);
        if (stored_ts > timestamp) {
            if (older == OlderWrite::Fail) {
                return make_error(ErrorCode::Expected, "the value at " + key_path_to_text(spelling) +
                                                           " was written at " + std::to_string(stored_ts) +
                                                           ", after this write's timestamp " +
                                                           std::to_string(timestamp));
            }
            return {}; // older loses
        }
        changed = column_text(get, 0) != json;
        if (!changed && stored_ts == timestamp) {
            return {};
        }
    }
    if (!execute(statements_->set_value.get(), id, json, timestamp)) {
        return sqlite_error("writing a value");
    }
    if (changed && changes) {
        changes->push_back({spelling, false});
    }
    return {};
}

// Merges value into the existing node `id` (a map) whose path is spelling.
Result<void> ConfigStore::merge(int64_t id, KeyPath& spelling, const Object& value, int64_t timestamp,
                                std::vector<Change>* changes, OlderWrite older) {
    for (const auto& [name, child_value] : value.as_map()) {
        if (name.empty()) {
            return make_error(ErrorCode::Invalid, "empty key in the map written at " + key_path_to_text(spelling));
        }
        std::string stored_name = name;
        auto found = find_child(id, name, &stored_name);
        if (!found) {
            return std::move(found).error();
        }
        std::optional<int64_t> child = *found;
        bool child_is_leaf = false;
        if (child) {
            auto leaf = is_leaf(*child);
            if (!leaf) {
                return std::move(leaf).error();
            }
            child_is_leaf = *leaf;
        }
        spelling.push_back(stored_name);
        if (child_value.is_map()) {
            if (child && child_is_leaf) {
                return make_error(ErrorCode::Conflict,
                                  "cannot write a map onto the value at " + key_path_to_text(spelling));
            }
            if (!child) {
                auto added = add_child(id, name);
                if (!added) {
                    return std::move(added).error();
                }
                // A new map is one change; what it holds is new with it.
                if (changes) {
                    changes->push_back({spelling, false});
                }
                if (auto merged = merge(*added, spelling, child_value, timestamp, nullptr, older); !merged) {
                    return merged;
                }
            } else if (auto merged = merge(*child, spelling, child_value, timestamp, changes, older); !merged) {
                return merged;
            }
        } else {
            if (child && !child_is_leaf) {
                return make_error(ErrorCode::Conflict,
                                  "cannot write a value onto the map at " + key_path_to_text(spelling));
            }
            int64_t leaf_id = 0;
            if (child) {
                leaf_id = *child;
            } else {
                auto added = add_child(id, name);
                if (!added) {
                    return std::move(added).error();
                }
                leaf_id = *added;
            }
            if (auto set = set_leaf(leaf_id, spelling, child_value, timestamp, child.has_value(), changes, older);
                !set) {
                return set;
            }
        }
        spelling.pop_back();
    }
    return {};
}

Result<void> ConfigStore::write(const KeyPath& path, const Object& value, int64_t timestamp,
                                std::vector<Change>* changes, OlderWrite older) {
    if (path.empty() && !value.is_map()) {
        return make_error(ErrorCode::Invalid, "only a map can be written at the root");
    }
    if (value.is_bytes()) {
        return make_error(ErrorCode::Invalid, "binary values cannot be stored (JSON has no bytes)");
    }
    RequestTransaction transaction(*this, db_, in_explicit_transaction_);
    if (auto begun = transaction.begin(); !begun) {
        return begun;
    }
    std::vector<Change> found_changes;
    // Walk to the parent of the target, creating maps; a value on the way is a conflict.
    int64_t id = kRootId;
    KeyPath spelling;
    size_t depth = path.empty() ? 0 : path.size() - 1;
    for (size_t i = 0; i < depth; ++i) {
        std::string stored_name = path[i];
        auto child = find_child(id, path[i], &stored_name);
        if (!child) {
            return std::move(child).error();
        }
        if (*child) {
            auto leaf = is_leaf(**child);
            if (!leaf) {
                return std::move(leaf).error();
            }
            spelling.push_back(stored_name);
            if (*leaf) {
                return make_error(ErrorCode::Conflict, "cannot write below the value at " + key_path_to_text(spelling) +
                                                           " (it is not a map)");
            }
            id = **child;
        } else {
            auto added = add_child(id, path[i]);
            if (!added) {
                return std::move(added).error();
            }
            spelling.push_back(path[i]);
            id = *added;
        }
    }
    Result<void> merged;
    if (path.empty()) {
        merged = merge(id, spelling, value, timestamp, &found_changes, older);
    } else {
        merged = merge(id, spelling, Object(Map{{path.back(), value}}), timestamp, &found_changes, older);
    }
    if (!merged) {
        return merged;
    }
    if (auto committed = transaction.commit(); !committed) {
        return committed;
    }
    if (changes) {
        changes->insert(changes->end(), found_changes.begin(), found_changes.end());
    }
    return {};
}

Result<bool> ConfigStore::remove_node(int64_t id, KeyPath& spelling, std::optional<int64_t> timestamp,
                                      std::vector<Change>* changes) {
    sqlite3_stmt* get = statements_->get_value.get();
    bool leaf = false;
    int64_t stored_ts = 0;
    {
        Reset reset{get};
        sqlite3_bind_int64(get, 1, id);
        int stepped = sqlite3_step(get);
        if (stepped == SQLITE_ROW) {
            leaf = true;
            stored_ts = sqlite3_column_int64(get, 1);
        } else if (stepped != SQLITE_DONE) {
            return sqlite_error("reading a value");
        }
    }
    if (leaf && timestamp && stored_ts > *timestamp) {
        return false; // written after the delete was issued: it stays
    }
    std::vector<Change> below;
    bool everything_removed = true;
    if (!leaf) {
        std::vector<std::pair<int64_t, std::string>> children;
        {
            sqlite3_stmt* stmt = statements_->children.get();
            Reset reset{stmt};
            sqlite3_bind_int64(stmt, 1, id);
            int stepped;
            while ((stepped = sqlite3_step(stmt)) == SQLITE_ROW) {
                children.emplace_back(sqlite3_column_int64(stmt, 0), column_text(stmt, 1));
            }
            if (stepped != SQLITE_DONE) {
                return sqlite_error("listing keys");
            }
        }
        for (auto& [child, name] : children) {
            spelling.push_back(name);
            auto removed = remove_node(child, spelling, timestamp, &below);
            spelling.pop_back();
            if (!removed) {
                return removed;
            }
            everything_removed = everything_removed && *removed;
        }
    }
    if (!everything_removed) {
        if (changes) {
            changes->insert(changes->end(), below.begin(), below.end());
        }
        return false;
    }
    for (Stmt* stmt : {&statements_->delete_value, &statements_->delete_relation, &statements_->delete_key}) {
        if (!execute(stmt->get(), id)) {
            return sqlite_error("deleting a key");
        }
    }
    if (changes) {
        changes->push_back({spelling, true});
    }
    return true;
}

Result<void> ConfigStore::remove(const KeyPath& path, std::optional<int64_t> timestamp, std::vector<Change>* changes) {
    if (path.empty()) {
        return make_error(ErrorCode::Invalid, "the root cannot be deleted (name a key)");
    }
    RequestTransaction transaction(*this, db_, in_explicit_transaction_);
    if (auto begun = transaction.begin(); !begun) {
        return begun;
    }
    int64_t id = kRootId;
    KeyPath spelling;
    for (const auto& segment : path) {
        std::string stored_name = segment;
        auto child = find_child(id, segment, &stored_name);
        if (!child) {
            return std::move(child).error();
        }
        if (!*child) {
            return transaction.commit(); // nothing to delete is fine
        }
        id = **child;
        spelling.push_back(stored_name);
    }
    std::vector<Change> found_changes;
    auto removed = remove_node(id, spelling, timestamp, &found_changes);
    if (!removed) {
        return std::move(removed).error();
    }
    if (auto committed = transaction.commit(); !committed) {
        return committed;
    }
    if (changes) {
        changes->insert(changes->end(), found_changes.begin(), found_changes.end());
    }
    return {};
}

} // namespace ggl::config
