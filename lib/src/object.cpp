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

Object* Map::find(std::string_view key) {
    return const_cast<Object*>(static_cast<const Map*>(this)->find(key));
}

Object& Map::set(std::string key, Object value) {
    if (Object* existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    entries_.emplace_back(std::move(key), std::move(value));
    return entries_.back().second;
}

void Map::append(std::string key, Object value) {
    entries_.emplace_back(std::move(key), std::move(value));
}

bool Map::erase(std::string_view key) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& entry) { return entry.first == key; });
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
        const Object* theirs =
            other.entries_[i].first == key ? &other.entries_[i].second : other.find(key);
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

} // namespace ggl
