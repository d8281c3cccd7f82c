// The bus object model.
#include "ggl/object.hpp"

#include <algorithm>

namespace ggl {

Map::Map(std::initializer_list<Entry> entries) {
    entries_.reserve(entries.size());
    for (const auto& entry : entries) {
        set(entry.first, entry.second);
    }
}

const Object* Map::find(std::string_view key) const {
    for (const auto& entry : entries_) {
        if (entry.first == key) {
            return &entry.second;
        }
    }
    return nullptr;
}

Object* Map::find(std::string_view key) { return const_cast<Object*>(static_cast<const Map*>(this)->find(key)); }

Object& Map::set(std::string key, Object value) {
    if (Object* existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    entries_.emplace_back(std::move(key), std::move(value));
    return entries_.back().second;
}

void Map::append(std::string key, Object value) { entries_.emplace_back(std::move(key), std::move(value)); }

bool Map::erase(std::string_view key) {
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& entry) { return entry.first == key; });
    if (it == entries_.end()) {
        return false;
    }
    entries_.erase(it);
    return true;
}

bool Map::operator==(const Map& other) const {
    if (entries_.size() != other.entries_.size()) {
        return false;
    }
    for (size_t i = 0; i < entries_.size(); ++i) {
        const auto& [key, value] = entries_[i];
        // Same order is the common case and costs one comparison; otherwise look it up.
        const Object* theirs = other.entries_[i].first == key ? &other.entries_[i].second : other.find(key);
        if (theirs == nullptr || !(*theirs == value)) {
            return false;
        }
    }
    return true;
}

std::string_view type_name(Type type) {
    switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "bool";
    case Type::I64: return "integer";
    case Type::F64: return "float";
    case Type::String: return "string";
    case Type::Bytes: return "bytes";
    case Type::List: return "list";
    case Type::Map: return "map";
    }
    return "unknown";
}

std::string_view Object::as_buffer() const {
    if (const auto* text = std::get_if<std::string>(&value_)) {
        return *text;
    }
    return std::get<Bytes>(value_).data;
}

std::string string_field(const Map& map, std::string_view key, std::string fallback) {
    const Object* value = map.find(key);
    return value != nullptr && value->is_buffer() ? std::string(value->as_buffer()) : fallback;
}

int64_t int_field(const Map& map, std::string_view key, int64_t fallback) {
    const Object* value = map.find(key);
    return value != nullptr && value->is_i64() ? value->as_i64() : fallback;
}

bool bool_field(const Map& map, std::string_view key, bool fallback) {
    const Object* value = map.find(key);
    return value != nullptr && value->is_bool() ? value->as_bool() : fallback;
}

std::string string_field(const Object& object, std::string_view key, std::string fallback) {
    const Map* map = object.if_map();
    return map != nullptr ? string_field(*map, key, std::move(fallback)) : fallback;
}

int64_t int_field(const Object& object, std::string_view key, int64_t fallback) {
    const Map* map = object.if_map();
    return map != nullptr ? int_field(*map, key, fallback) : fallback;
}

const Object* find_field(const Object& object, std::string_view key) {
    const Map* map = object.if_map();
    return map != nullptr ? map->find(key) : nullptr;
}

} // namespace ggl
