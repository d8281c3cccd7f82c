// YAML text to Objects (config files, recipes) and Objects back to YAML (config export).
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ggl {

// Bounds that keep a hostile document from exhausting the stack or the memory.
// Nesting of lists and maps, counting what aliases bring in.
inline constexpr size_t yaml_max_depth = 64;
// Nodes (scalars, keys, lists, maps) that anchors and aliases may copy into one
// document; a "billion laughs" document stops here instead of growing without end.
inline constexpr size_t yaml_max_copied_nodes = 1'000'000;
// Bytes of keys and scalars that anchors and aliases may copy into one document.
inline constexpr size_t yaml_max_copied_bytes = size_t{64} << 20;

// Loads one YAML document.
//
// Typing follows the YAML 1.2 core schema for plain (unquoted) scalars:
//   null   null Null NULL ~ and the empty scalar
//   bool   true True TRUE false False FALSE
//   int    [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+
//   float  [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?.inf, .nan (any case form
//          the schema lists)
//   everything else is a string: yes/no/on/off, 1.0.0, and dates such as 2020-01-25.
// A decimal integer beyond i64 becomes F64, as from_json does, so a value means the
// same in a YAML and a JSON config file; 0o/0x integers beyond i64, floats beyond the
// range of a double, and any value tagged !!int that does not fit i64 are PARSE errors.
// Quoted and block scalars are strings. Tags !!str !!int !!float !!bool !!null !!binary
// (base64 → Bytes, whitespace ignored), !!map !!seq and the non-specific ! are honoured;
// any other tag is an error rather than silently dropped.
//
// Map keys are scalars and are taken as written ("0x10: a" has the key "0x10"); a list
// or map as a key is an error, as is a key given twice (compared exactly: case matters
// here, callers that match keys case-insensitively check that themselves). Merge keys
// (<<: *base, <<: [*a, *b]) copy the entries that the map does not set itself; of
// several merged maps the first one listed wins.
//
// A second document in the text is an error; an empty text is null.
// Errors carry code PARSE (NOMEM when libyaml runs out of memory) and read
// "line 4, column 7: duplicate key "run" in Lifecycle": 1-based positions, and the key
// path in the form Manifests[0].Lifecycle (list indexes from 0, ["..."] for keys that
// hold dots, brackets, quotes or spaces).
Result<Object> yaml_parse(std::string_view text);

// Where a node starts in a text: 1-based line and column (columns count characters,
// not bytes); 0 when unknown.
struct SourcePosition {
    uint32_t line = 0;
    uint32_t column = 0;
    bool known() const { return line != 0; }
};

// The positions of a parsed document, shaped like the Object: a map's children follow
// its entries in order (merged entries included), a list's its items. A node that an
// alias copied carries the alias's position, its children those of the anchored node.
struct NodePositions {
    SourcePosition at; // the node itself
    SourcePosition key_at; // the key, when the node is the value of a map entry
    std::vector<NodePositions> children;
};

// yaml_parse that also fills *positions (left as is when parsing fails).
Result<Object> yaml_parse(std::string_view text, NodePositions* positions);

// yaml_parse on a file's content; every error message starts with the path as given
// ("config.yaml: line 3, column 1: ..."). A missing file is NOENTRY.
Result<Object> yaml_parse_file(const std::string& path);

// Block-style YAML, written by libyaml's emitter, that yaml_parse reads back as an equal
// Object. Strings that a YAML 1.2 or 1.1 reader would take as another type are quoted
// ('1.0.0', 'yes', 'null'), multi-line strings use literal blocks where that is exact,
// bytes are !!binary, empty maps and lists are {} and []. Strings that are not valid
// UTF-8 cannot be YAML text and are written as !!binary (they read back as Bytes);
// invalid bytes in map keys become U+FFFD. Errors: NOMEM when libyaml runs out of memory.
Result<std::string> to_yaml(const Object& value);

} // namespace ggl
