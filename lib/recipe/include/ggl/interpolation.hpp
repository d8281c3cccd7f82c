// Recipe variables ({configuration:/x}, {artifacts:path}, {dep:...}) in scripts and values.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ggl {

// What one component's variables resolve to.
struct ComponentVariables {
    std::string name;
    std::string version; // empty: unknown (a dependency not installed), its paths cannot resolve
    Object configuration; // the component's configuration map
};

struct InterpolationContext {
    std::string root_path; // {kernel:rootPath}; store paths hang off it
    std::optional<std::string> thing_name; // {iot:thingName}
    ComponentVariables component;
    std::vector<ComponentVariables> dependencies; // direct dependencies only
};

// Where the text goes, which decides how a substituted value is written.
enum class InterpolationTarget {
    // As is: environment values, Timeout and RequiresPrivilege expressions.
    Raw,
    // Into a /bin/sh script: each value is quoted for the shell context it lands in
    // (bare word, '...', "...", here-document, comment), so a value is always data.
    Shell,
};

// Replaces the recipe variables of Greengrass v2:
//   {artifacts:path} {artifacts:decompressedPath} {work:path} {kernel:rootPath}
//   {iot:thingName} {configuration:/json/pointer}
//   {DEP:artifacts:path} {DEP:artifacts:decompressedPath} {DEP:work:path}
//   {DEP:configuration:/json/pointer}   (DEP a direct dependency, or the component itself)
// Anything else in braces, shell ${VAR} and $(...), JSON {"a":1}, unknown namespaces and
// components that are not direct dependencies, is left exactly as written. A
// configuration key that does not exist is left as written too (the Java nucleus does
// the same). A string value is substituted as is, any other value as compact JSON.
// Errors (INVALID): {iot:thingName} with no thing name, a path variable of a
// dependency whose version is unknown, a value that cannot be placed safely.
Result<std::string> interpolate(std::string_view text, const InterpolationContext& context, InterpolationTarget target);

// Every variable of the known namespaces the text uses, e.g. "{configuration:/a}".
std::vector<std::string> recipe_variables_in(std::string_view text);

// The value at an RFC 6901 JSON pointer ("" is the whole document); nullptr if absent.
const Object* json_pointer_find(const Object& document, std::string_view pointer);

// Text quoted as one /bin/sh word: 'it'\''s'.
std::string shell_quote(std::string_view text);

} // namespace ggl
