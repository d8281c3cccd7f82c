// Greengrass v2 component recipes (format 2020-01-25): the typed model and its loader.
#pragma once

#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/semver.hpp"
#include "ggl/yaml.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ggl {

// Environment variables in recipe order (Setenv maps keep their order; later wins).
using EnvList = std::vector<std::pair<std::string, std::string>>;

// "Skipif: onpath git" or "Skipif: exists /etc/foo": the phase is skipped when it holds.
struct Skipif {
    enum class Kind { OnPath, Exists };
    Kind kind = Kind::OnPath;
    std::string target;
};

enum class Phase { Bootstrap, Install, Startup, Run, Shutdown, Recover };
std::string_view phase_name(Phase phase); // "install", as the recipe-runner takes it
std::optional<Phase> phase_from_name(std::string_view name); // case-insensitive
inline constexpr Phase kAllPhases[] = {Phase::Bootstrap, Phase::Install,  Phase::Startup,
                                       Phase::Run,       Phase::Shutdown, Phase::Recover};

struct LifecycleStep {
    std::string script;
    bool requires_privilege = false;
    std::optional<double> timeout_seconds; // Timeout as written; defaults apply in unit_writer
    // Timeout or RequiresPrivilege given as "{configuration:/x}" (real recipes do this):
    // resolved against the configuration when units are generated.
    std::string timeout_expression;
    std::string requires_privilege_expression;
    // Where those expressions are in the file (key path and position), for the error
    // when the configuration does not give a usable value.
    std::string timeout_where, requires_privilege_where;
    SourcePosition timeout_at, requires_privilege_at;
    EnvList setenv;
    std::optional<Skipif> skipif;
    bool bootstrap_on_rollback = false; // bootstrap only
};

struct Lifecycle {
    EnvList setenv; // the lifecycle-level Setenv, for every phase
    std::optional<LifecycleStep> bootstrap, install, startup, run, shutdown, recover;

    const std::optional<LifecycleStep>& step(Phase phase) const;
    std::optional<LifecycleStep>& step(Phase phase);
    bool empty() const;
};

struct Artifact {
    std::string uri;
    std::string digest;
    std::string algorithm;
    std::string unarchive = "NONE"; // NONE or ZIP
    std::string read_permission = "OWNER"; // NONE, OWNER or ALL
    std::string execute_permission = "NONE";
};

struct Manifest {
    std::string name;
    // Platform attributes as written, keys lower-cased ("os", "architecture.detail").
    std::vector<std::pair<std::string, std::string>> platform;
    std::vector<std::string> selections;
    // The manifest's own Lifecycle, or the global one resolved through its selections.
    Lifecycle lifecycle;
    bool lifecycle_from_global = false;
    std::vector<Artifact> artifacts;
};

enum class DependencyType { Hard, Soft };

struct Dependency {
    std::string name;
    std::string requirement_text; // "^1.0.0", "*" when absent
    VersionRange requirement;
    DependencyType type = DependencyType::Hard;
};

struct Recipe {
    std::string source; // file the recipe came from ("" for text)
    std::string format_version;
    std::string name;
    SemVer version;
    std::string type; // ComponentType, "aws.greengrass.generic" when absent
    std::string description;
    std::string publisher;
    Map default_configuration; // accessControl given as a JSON string is parsed
    std::vector<Dependency> dependencies;
    std::vector<Manifest> manifests;

    const Dependency* find_dependency(std::string_view component) const;
};

// One thing wrong with a recipe. `where` is the key path as written in the file
// (Manifests[1].Lifecycle.Run.Timeout; a global Lifecycle's path names the selection key
// that was followed), empty for a syntax error. `at` is the offending node's position
// (the key's, when the problem is the key itself or the value is a map or list; the
// nearest present parent's, when the key is missing), or the syntax error's.
struct RecipeProblem {
    std::string where;
    std::string message;
    SourcePosition at;
    bool syntax = false;
    // "file:12:7: where: message" ("line 12, column 7: " without a file name; parts that
    // are empty or unknown are left out).
    std::string to_string(std::string_view source) const;
};

struct RecipeLoad {
    std::optional<Recipe> recipe; // set only when there are no problems
    std::vector<RecipeProblem> problems;
    std::vector<RecipeProblem> warnings; // keys ignored, and such

    bool ok() const { return recipe.has_value(); }
    // All problems, one per line, each prefixed with the source: for Error messages.
    std::string describe_problems() const;
    std::string source;
};

enum class RecipeSyntax { Yaml, Json };

// The syntax a file name implies: .json is JSON, everything else YAML.
RecipeSyntax recipe_syntax_for(std::string_view path);

// Parses and validates; collects every problem rather than stopping at the first.
// JSON may hold // and /* */ comments, as Greengrass nucleus lite's examples do.
RecipeLoad load_recipe_text(std::string_view text, RecipeSyntax syntax, std::string source = {});
RecipeLoad load_recipe_file(const std::string& path);
// The recipe from an already parsed document (every key matched case-insensitively).
// Problems carry positions when the document's positions are given.
RecipeLoad load_recipe_object(const Object& document, std::string source = {},
                              const NodePositions* positions = nullptr);

// The first error of a load as an Error (PARSE for syntax, INVALID otherwise); every
// problem on its own line in the message.
Error recipe_load_error(const RecipeLoad& load);

// "recipe.yaml:12:7: Manifests[0].Lifecycle.run.Timeout" ("file: where" when the position
// is unknown): how a problem found after loading names its place.
std::string recipe_location(std::string_view source, SourcePosition at, std::string_view where);

// Component names as used in unit names and store paths: [A-Za-z0-9._-], 1..128 chars,
// not starting with '.' or '-'.
bool is_valid_component_name(std::string_view name);

} // namespace ggl
