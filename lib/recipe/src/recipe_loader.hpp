// The recipe loader shared by its files: key paths, case-insensitive fields, and the Loader that collects problems.
#pragma once

#include "ggl/recipe.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ggl::recipe_detail {

// A key as it appears in a key path: plain, or ["..."] when it holds path syntax.
std::string path_join(const std::string& path, std::string_view key);
std::string path_index(const std::string& path, size_t index);
// A scalar as text, for fields that Greengrass reads as strings (Setenv values,
// platform attributes): numbers and booleans as YAML wrote them.
std::optional<std::string> scalar_text(const Object& value);

class Loader;

// A recipe map whose keys are matched case-insensitively; remembers which keys were read
// so that the rest can be reported.
class Fields {
public:
    Fields(const Map& map, std::string path, Loader& loader);

    // The value under name (any case), and its key path.
    const Object* get(std::string_view name);
    std::string path_of(std::string_view name) const;
    const std::string& path() const { return path_; }
    // Reports every key not read: as a problem when unsupported, else as a warning.
    void report_unread(bool as_problem, std::string_view what);

private:
    const Map& map_;
    std::string path_;
    Loader& loader_;
    std::vector<bool> read_;
};

// Which position a problem points at: the value's, or the key's when the key itself is
// the problem (unknown, duplicate, badly named).
enum class Anchor { Value, Key };

class Loader {
public:
    Loader(RecipeLoad& load, const Object& document, const NodePositions* positions)
        : load_(load), document_(document), positions_(positions) {}

    void problem(std::string where, std::string message, Anchor anchor = Anchor::Value) {
        add(load_.problems, std::move(where), std::move(message), anchor);
    }
    void warning(std::string where, std::string message, Anchor anchor = Anchor::Value) {
        add(load_.warnings, std::move(where), std::move(message), anchor);
    }

    std::optional<Recipe> load(const Object& document);

private:
    std::optional<std::string> string_field(Fields& fields, std::string_view name, bool required);
    void load_configuration(Fields& fields, Recipe& recipe);
    void load_dependencies(Fields& fields, Recipe& recipe);
    void load_manifests(Fields& fields, const Object* global_lifecycle, const std::string& global_path, Recipe& recipe);
    void load_platform(const Object& value, const std::string& path, Manifest& manifest);
    void load_artifacts(const Object& value, const std::string& path, Manifest& manifest);
    Lifecycle load_lifecycle(const Object& value, const std::string& path);
    std::optional<LifecycleStep> load_step(Phase phase, const Object& value, const std::string& path);
    void load_step_privilege(const Object& privilege, const std::string& privilege_path, LifecycleStep& step);
    void load_step_timeout(const Object& timeout, const std::string& timeout_path, LifecycleStep& step);
    EnvList load_setenv(const Object& value, const std::string& path);
    std::optional<Skipif> load_skipif(const Object& value, const std::string& path);
    Object resolve_selections(const Object& node, const std::vector<std::string>& selections,
                              const std::string& logical_path, const std::string& real_path);
    Lifecycle load_global_lifecycle(const Object& global, const std::vector<std::string>& selections,
                                    const std::string& global_path);

    void add(std::vector<RecipeProblem>& list, std::string where, std::string message, Anchor anchor);
    std::string real_path(const std::string& where) const;
    SourcePosition locate(const std::string& path, Anchor anchor);
    void index_node(const Object& node, const NodePositions& positions, const std::string& path);

    struct Located {
        SourcePosition at;
        SourcePosition key_at;
        bool collection = false;
    };

    RecipeLoad& load_;
    const Object& document_;
    const NodePositions* positions_;
    // Key path → position, built on the first problem.
    std::unordered_map<std::string, Located> index_;
    bool indexed_ = false;
    // While a global Lifecycle seen through selections is loaded: the key path of each
    // resolved node → the key path of the node in the file it came from.
    std::unordered_map<std::string, std::string> resolved_paths_;
};

} // namespace ggl::recipe_detail
