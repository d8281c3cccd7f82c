// The bus object model: null, bool, i64, f64, string, bytes, list and map.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ggl {

class Object;

// Binary data; kept apart from text so msgpack bin and str round-trip exactly.
struct Bytes {
    std::string data;
    bool operator==(const Bytes&) const = default;
};

using List = std::vector<Object>;

// A map with string keys, in insertion order (msgpack maps are ordered on the wire).
class Map {
public:
    using Entry = std::pair<std::string, Object>;

    Map() = default;
    Map(std::initializer_list<Entry> entries);

    // The value under key, or nullptr.
    const Object* find(std::string_view key) const;
    Object* find(std::string_view key);
    bool contains(std::string_view key) const { return find(key) != nullptr; }
    // Sets key to value, replacing an existing entry in place.
    Object& set(std::string key, Object value);
    // Appends without checking for duplicates (decoder fast path).
    void append(std::string key, Object value);
    bool erase(std::string_view key);

    // Defined below Object: their bodies need Object complete (clang instantiates eagerly).
    using const_iterator = std::vector<Entry>::const_iterator;
    using iterator = std::vector<Entry>::iterator;
    size_t size() const;
    bool empty() const;
    void reserve(size_t n);
    const_iterator begin() const;
    const_iterator end() const;
    iterator begin();
    iterator end();

    // Equal when both hold the same keys with equal values, in any order.
    bool operator==(const Map& other) const;

private:
    std::vector<Entry> entries_;
};

enum class Type { Null, Bool, I64, F64, String, Bytes, List, Map };

std::string_view type_name(Type type);

class Object {
public:
    Object() = default;
    Object(std::nullptr_t) {}
    Object(bool b) : value_(b) {}
    Object(int v) : value_(int64_t{v}) {}
    Object(int64_t v) : value_(v) {}
    Object(uint32_t v) : value_(int64_t{v}) {}
    Object(double v) : value_(v) {}
    Object(const char* s) : value_(std::string(s)) {}
    Object(std::string s) : value_(std::move(s)) {}
    Object(std::string_view s) : value_(std::string(s)) {}
    Object(Bytes b) : value_(std::move(b)) {}
    Object(List l) : value_(std::move(l)) {}
    Object(Map m) : value_(std::move(m)) {}

    Type type() const { return static_cast<Type>(value_.index()); }
    bool is_null() const { return type() == Type::Null; }
    bool is_bool() const { return type() == Type::Bool; }
    bool is_i64() const { return type() == Type::I64; }
    bool is_f64() const { return type() == Type::F64; }
    bool is_string() const { return type() == Type::String; }
    bool is_bytes() const { return type() == Type::Bytes; }
    bool is_list() const { return type() == Type::List; }
    bool is_map() const { return type() == Type::Map; }
    // String or bytes: the "buffer" of the wire protocol.
    bool is_buffer() const { return is_string() || is_bytes(); }

    // Accessors; calling the wrong one is a programming error (std::bad_variant_access).
    bool as_bool() const { return std::get<bool>(value_); }
    int64_t as_i64() const { return std::get<int64_t>(value_); }
    double as_f64() const { return std::get<double>(value_); }
    const std::string& as_string() const { return std::get<std::string>(value_); }
    const Bytes& as_bytes() const { return std::get<Bytes>(value_); }
    const List& as_list() const { return std::get<List>(value_); }
    List& as_list() { return std::get<List>(value_); }
    const Map& as_map() const { return std::get<Map>(value_); }
    Map& as_map() { return std::get<Map>(value_); }
    // The content of a string or bytes object.
    std::string_view as_buffer() const;

    // Checked accessors: nullptr when the type differs.
    const std::string* if_string() const { return std::get_if<std::string>(&value_); }
    const Map* if_map() const { return std::get_if<Map>(&value_); }
    const List* if_list() const { return std::get_if<List>(&value_); }
    const int64_t* if_i64() const { return std::get_if<int64_t>(&value_); }
    const bool* if_bool() const { return std::get_if<bool>(&value_); }

    bool operator==(const Object& other) const { return value_ == other.value_; }

private:
    std::variant<std::monostate, bool, int64_t, double, std::string, Bytes, List, Map> value_;
};

inline size_t Map::size() const { return entries_.size(); }
inline bool Map::empty() const { return entries_.empty(); }
inline void Map::reserve(size_t n) { entries_.reserve(n); }
inline Map::const_iterator Map::begin() const { return entries_.begin(); }
inline Map::const_iterator Map::end() const { return entries_.end(); }
inline Map::iterator Map::begin() { return entries_.begin(); }
inline Map::iterator Map::end() { return entries_.end(); }

// Typed fields of a map, for reading bus replies and records: the fallback when the key
// is absent or holds another type (a string field also accepts bytes).
std::string string_field(const Map& map, std::string_view key, std::string fallback = {});
int64_t int_field(const Map& map, std::string_view key, int64_t fallback = 0);
bool bool_field(const Map& map, std::string_view key, bool fallback = false);
// The same on an object that should be a map (the fallback when it is not).
std::string string_field(const Object& object, std::string_view key, std::string fallback = {});
int64_t int_field(const Object& object, std::string_view key, int64_t fallback = 0);
// The value under key when object is a map holding it, else nullptr.
const Object* find_field(const Object& object, std::string_view key);

} // namespace ggl
