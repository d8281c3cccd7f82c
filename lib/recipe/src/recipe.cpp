// Loading recipes: YAML/JSON to the typed model, every key case-insensitive, every problem collected.
#include "ggl/recipe.hpp"

#include "ggl/json.hpp"
#include "ggl/platform.hpp"
#include "ggl/text.hpp"
#include "ggl/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ggl {

std::string_view phase_name(Phase phase) {
    switch (phase) {
    case Phase::Bootstrap: return "bootstrap";
    case Phase::Install: return "install";
    case Phase::Startup: return "startup";
    case Phase::Run: return "run";
    case Phase::Shutdown: return "shutdown";
    case Phase::Recover: return "recover";
    }
    return "run";
}

namespace {



} // namespace

std::optional<Phase> phase_from_name(std::string_view name) {
    for (Phase phase : kAllPhases) {
        if (ascii_iequals(phase_name(phase), name)) {
            return phase;
        }
    }
    return std::nullopt;
}

const std::optional<LifecycleStep>& Lifecycle::step(Phase phase) const {
    return const_cast<Lifecycle*>(this)->step(phase);
}

std::optional<LifecycleStep>& Lifecycle::step(Phase phase) {
    switch (phase) {
    case Phase::Bootstrap: return bootstrap;
    case Phase::Install: return install;
    case Phase::Startup: return startup;
    case Phase::Run: return run;
    case Phase::Shutdown: return shutdown;
    case Phase::Recover: return recover;
    }
    return run;
}

bool Lifecycle::empty() const {
    return std::none_of(std::begin(kAllPhases), std::end(kAllPhases),
                        [this](Phase phase) { return step(phase).has_value(); });
}

const Dependency* Recipe::find_dependency(std::string_view component) const {
    for (const Dependency& dependency : dependencies) {
        if (dependency.name == component) {
            return &dependency;
        }
    }
    return nullptr;
}

std::string RecipeProblem::to_string(std::string_view source) const {
    std::string out;
    if (at.known() && !source.empty()) {
        out.append(source).append(":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": ");
    } else if (at.known()) {
        out.append("line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": ");
    } else if (!source.empty()) {
        out.append(source).append(": ");
    }
    if (!where.empty()) {
        out.append(where).append(": ");
    }
    return out + message;
}

std::string recipe_location(std::string_view source, SourcePosition at, std::string_view where) {
    RecipeProblem problem{std::string(where), "", at, false};
    std::string text = problem.to_string(source);
    // to_string ends with ": " before the (empty) message.
    return text.ends_with(": ") ? text.substr(0, text.size() - 2) : text;
}

std::string RecipeLoad::describe_problems() const {
    std::string out;
    for (const RecipeProblem& problem : problems) {
        if (!out.empty()) {
            out += '\n';
        }
        out += problem.to_string(source);
    }
    return out;
}

Error recipe_load_error(const RecipeLoad& load) {
    bool syntax = !load.problems.empty() && load.problems.front().syntax;
    return make_error(syntax ? ErrorCode::Parse : ErrorCode::Invalid, load.describe_problems());
}

RecipeSyntax recipe_syntax_for(std::string_view path) {
    return ascii_lowercase(path).ends_with(".json") ? RecipeSyntax::Json : RecipeSyntax::Yaml;
}

bool is_valid_component_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.' || name.front() == '-') {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

namespace {

// A key as it appears in a key path: plain, or ["..."] when it holds path syntax.
std::string path_join(const std::string& path, std::string_view key) {
    bool plain = !key.empty() && key.find_first_of(".[]\" \t\n") == std::string_view::npos;
    std::string segment = plain ? std::string(key) : "[" + to_json(Object(key)) + "]";
    if (path.empty()) {
        return segment;
    }
    return plain ? path + "." + segment : path + segment;
}

std::string path_index(const std::string& path, size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

// A scalar as text, for fields that Greengrass reads as strings (Setenv values,
// platform attributes): numbers and booleans as YAML wrote them.
std::optional<std::string> scalar_text(const Object& value) {
    switch (value.type()) {
    case Type::String: return value.as_string();
    case Type::Bool: return std::string(value.as_bool() ? "true" : "false");
    case Type::I64: return std::to_string(value.as_i64());
    case Type::F64: {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", value.as_f64());
        return std::string(buffer);
    }
    default: return std::nullopt;
    }
}

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
    void load_manifests(Fields& fields, const Object* global_lifecycle, const std::string& global_path,
                        Recipe& recipe);
    void load_platform(const Object& value, const std::string& path, Manifest& manifest);
    void load_artifacts(const Object& value, const std::string& path, Manifest& manifest);
    Lifecycle load_lifecycle(const Object& value, const std::string& path);
    std::optional<LifecycleStep> load_step(Phase phase, const Object& value, const std::string& path);
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

// The longest prefix of a key path (itself included) that cut at a segment boundary
// satisfies holds; npos when none does (the empty path is always tried last).
template <typename Pred>
size_t longest_path_prefix(const std::string& path, Pred holds) {
    for (size_t cut = path.size();; --cut) {
        if (cut == path.size() || cut == 0 || path[cut] == '.' || path[cut] == '[') {
            if (holds(std::string_view(path).substr(0, cut))) {
                return cut;
            }
        }
        if (cut == 0) {
            return std::string::npos;
        }
    }
}

void Loader::add(std::vector<RecipeProblem>& list, std::string where, std::string message, Anchor anchor) {
    RecipeProblem problem{real_path(where), std::move(message), {}, false};
    problem.at = locate(problem.where, anchor);
    // A global Lifecycle is loaded once per manifest that uses it: report its problems once.
    for (const RecipeProblem& known : list) {
        if (known.where == problem.where && known.message == problem.message) {
            return;
        }
    }
    list.push_back(std::move(problem));
}

std::string Loader::real_path(const std::string& where) const {
    if (resolved_paths_.empty()) {
        return where;
    }
    std::string real;
    size_t cut = longest_path_prefix(where, [&](std::string_view prefix) {
        auto it = resolved_paths_.find(std::string(prefix));
        if (it == resolved_paths_.end()) {
            return false;
        }
        real = it->second;
        return true;
    });
    if (cut == std::string::npos) {
        return where;
    }
    std::string rest = where.substr(cut);
    if (real.empty() && rest.starts_with('.')) {
        rest.erase(0, 1);
    }
    return real + rest;
}

void Loader::index_node(const Object& node, const NodePositions& positions, const std::string& path) {
    index_[path] = Located{positions.at, positions.key_at, node.is_map() || node.is_list()};
    if (const Map* map = node.if_map()) {
        size_t i = 0;
        for (const auto& [key, value] : *map) {
            if (i < positions.children.size()) {
                index_node(value, positions.children[i], path_join(path, key));
            }
            ++i;
        }
    } else if (const List* list = node.if_list()) {
        for (size_t i = 0; i < list->size() && i < positions.children.size(); ++i) {
            index_node((*list)[i], positions.children[i], path_index(path, i));
        }
    }
}

SourcePosition Loader::locate(const std::string& path, Anchor anchor) {
    if (positions_ == nullptr) {
        return {};
    }
    if (!indexed_) {
        index_node(document_, *positions_, "");
        indexed_ = true;
    }
    const Located* found = nullptr;
    size_t cut = longest_path_prefix(path, [&](std::string_view prefix) {
        auto it = index_.find(std::string(prefix));
        found = it == index_.end() ? nullptr : &it->second;
        return found != nullptr;
    });
    if (found == nullptr) {
        return {};
    }
    // A missing key is reported at the map that lacks it, a block map or list at its key
    // (it starts on a later line).
    bool block = found->collection && found->at.line != found->key_at.line;
    bool at_key = cut != path.size() || anchor == Anchor::Key || block;
    return at_key && found->key_at.known() ? found->key_at : found->at;
}

Fields::Fields(const Map& map, std::string path, Loader& loader)
    : map_(map), path_(std::move(path)), loader_(loader), read_(map.size(), false) {
    // The YAML reader rejects exact duplicates; keys equal but for case are a
    // recipe-level clash that only this reader can see.
    std::vector<std::pair<std::string, std::string_view>> seen;
    size_t index = 0;
    for (const auto& [key, value] : map_) {
        std::string folded = ascii_lowercase(key);
        for (const auto& [other_folded, other] : seen) {
            if (other_folded == folded) {
                loader_.problem(path_join(path_, key),
                                "duplicate key (keys are case-insensitive; also given as \"" + std::string(other) +
                                    "\")",
                                Anchor::Key);
                read_[index] = true;  // reported once, not again as unknown
                break;
            }
        }
        seen.emplace_back(std::move(folded), key);
        ++index;
    }
}

const Object* Fields::get(std::string_view name) {
    size_t index = 0;
    for (const auto& [key, value] : map_) {
        if (ascii_iequals(key, name)) {
            read_[index] = true;
            return &value;
        }
        ++index;
    }
    return nullptr;
}

std::string Fields::path_of(std::string_view name) const {
    for (const auto& [key, value] : map_) {
        if (ascii_iequals(key, name)) {
            return path_join(path_, key);
        }
    }
    return path_join(path_, name);
}

void Fields::report_unread(bool as_problem, std::string_view what) {
    size_t index = 0;
    for (const auto& [key, value] : map_) {
        if (!read_[index++]) {
            if (as_problem) {
                loader_.problem(path_join(path_, key), "unsupported " + std::string(what), Anchor::Key);
            } else {
                loader_.warning(path_join(path_, key), "unknown " + std::string(what) + ", ignored", Anchor::Key);
            }
        }
    }
}

std::optional<std::string> Loader::string_field(Fields& fields, std::string_view name, bool required) {
    const Object* value = fields.get(name);
    if (value == nullptr || value->is_null()) {
        if (required) {
            problem(fields.path_of(name), "missing (required)");
        }
        return std::nullopt;
    }
    if (!value->is_string()) {
        problem(fields.path_of(name), "expected a string, not " + std::string(type_name(value->type())));
        return std::nullopt;
    }
    return value->as_string();
}

std::optional<Recipe> Loader::load(const Object& document) {
    if (!document.is_map()) {
        problem("", document.is_null() ? "empty recipe" : "a recipe is a map, not " +
                                                               std::string(type_name(document.type())));
        return std::nullopt;
    }
    Recipe recipe;
    Fields fields(document.as_map(), "", *this);

    if (auto format = string_field(fields, "RecipeFormatVersion", true)) {
        recipe.format_version = *format;
        if (*format != "2020-01-25") {
            problem(fields.path_of("RecipeFormatVersion"),
                    "unsupported format version \"" + *format + "\" (only 2020-01-25)");
        }
    }
    if (auto name = string_field(fields, "ComponentName", true)) {
        recipe.name = *name;
        if (!is_valid_component_name(*name)) {
            problem(fields.path_of("ComponentName"),
                    "invalid component name \"" + *name +
                        "\" (letters, digits, '.', '_' and '-' only; an unfilled build placeholder?)");
        }
    }
    const Object* version = fields.get("ComponentVersion");
    if (version == nullptr || version->is_null()) {
        problem(fields.path_of("ComponentVersion"), "missing (required)");
    } else if (version->is_i64() || version->is_f64()) {
        problem(fields.path_of("ComponentVersion"),
                "not a SemVer 2.0 version: YAML reads it as a number; write MAJOR.MINOR.PATCH, e.g. '1.0.0'");
    } else if (auto text = scalar_text(*version); text && !version->is_bool()) {
        auto parsed = SemVer::parse(*text);
        if (parsed) {
            recipe.version = *parsed;
        } else {
            problem(fields.path_of("ComponentVersion"), "not a SemVer 2.0 version: \"" + *text + "\"");
        }
    } else {
        problem(fields.path_of("ComponentVersion"), "expected a version string");
    }
    recipe.type = string_field(fields, "ComponentType", false).value_or("aws.greengrass.generic");
    static const char* const kTypes[] = {"aws.greengrass.generic", "aws.greengrass.lambda",
                                          "aws.greengrass.plugin", "aws.greengrass.nucleus"};
    if (std::find(std::begin(kTypes), std::end(kTypes), recipe.type) == std::end(kTypes)) {
        problem(fields.path_of("ComponentType"), "unknown component type \"" + recipe.type + "\"");
    } else if (recipe.type != "aws.greengrass.generic") {
        problem(fields.path_of("ComponentType"),
                "unsupported component type \"" + recipe.type + "\" (only aws.greengrass.generic runs here)");
    }
    recipe.description = string_field(fields, "ComponentDescription", false).value_or("");
    recipe.publisher = string_field(fields, "ComponentPublisher", false).value_or("");
    // Seen in real recipes, read by the cloud service only.
    fields.get("ComponentSource");

    load_configuration(fields, recipe);
    load_dependencies(fields, recipe);
    const Object* global = fields.get("Lifecycle");
    std::string global_path = fields.path_of("Lifecycle");
    load_manifests(fields, global, global_path, recipe);
    fields.report_unread(false, "recipe key");
    return recipe;
}

void Loader::load_configuration(Fields& fields, Recipe& recipe) {
    const Object* configuration = fields.get("ComponentConfiguration");
    if (configuration == nullptr || configuration->is_null()) {
        return;
    }
    if (!configuration->is_map()) {
        problem(fields.path_of("ComponentConfiguration"), "expected a map");
        return;
    }
    Fields inner(configuration->as_map(), fields.path_of("ComponentConfiguration"), *this);
    const Object* defaults = inner.get("DefaultConfiguration");
    inner.report_unread(false, "configuration key");
    if (defaults == nullptr || defaults->is_null()) {
        return;
    }
    std::string path = inner.path_of("DefaultConfiguration");
    if (!defaults->is_map()) {
        problem(path, "expected a map");
        return;
    }
    recipe.default_configuration = defaults->as_map();
    // The console accepts accessControl as a JSON string; the nucleus parses it.
    for (auto& [key, value] : recipe.default_configuration) {
        if (ascii_iequals(key, "accessControl") && value.is_string()) {
            auto parsed = from_json(value.as_string());
            if (!parsed || !parsed->is_map()) {
                problem(path_join(path, key), parsed ? "expected a JSON object"
                                                     : "invalid JSON: " + parsed.error().message);
            } else {
                value = std::move(*parsed);
            }
        }
    }
}

void Loader::load_dependencies(Fields& fields, Recipe& recipe) {
    const Object* dependencies = fields.get("ComponentDependencies");
    if (dependencies == nullptr || dependencies->is_null()) {
        return;
    }
    std::string path = fields.path_of("ComponentDependencies");
    if (!dependencies->is_map()) {
        problem(path, "expected a map of component names");
        return;
    }
    for (const auto& [name, spec] : dependencies->as_map()) {
        std::string dep_path = path_join(path, name);
        Dependency dependency;
        dependency.name = name;
        if (!is_valid_component_name(name)) {
            problem(dep_path, "invalid component name", Anchor::Key);
        }
        if (name == recipe.name) {
            problem(dep_path, "a component cannot depend on itself", Anchor::Key);
        }
        if (recipe.find_dependency(name) != nullptr) {
            problem(dep_path, "duplicate dependency", Anchor::Key);
        }
        if (!spec.is_map()) {
            problem(dep_path, "expected a map with VersionRequirement and DependencyType");
            continue;
        }
        Fields dep_fields(spec.as_map(), dep_path, *this);
        dependency.requirement_text = string_field(dep_fields, "VersionRequirement", false).value_or("*");
        auto range = VersionRange::parse(dependency.requirement_text);
        if (range) {
            dependency.requirement = *range;
        } else {
            problem(dep_fields.path_of("VersionRequirement"), range.error().message);
        }
        if (auto type = string_field(dep_fields, "DependencyType", false)) {
            if (ascii_iequals(*type, "HARD")) {
                dependency.type = DependencyType::Hard;
            } else if (ascii_iequals(*type, "SOFT")) {
                dependency.type = DependencyType::Soft;
            } else {
                problem(dep_fields.path_of("DependencyType"), "expected HARD or SOFT, not \"" + *type + "\"");
            }
        }
        dep_fields.report_unread(false, "dependency key");
        recipe.dependencies.push_back(std::move(dependency));
    }
}

void Loader::load_manifests(Fields& fields, const Object* global_lifecycle, const std::string& global_path,
                            Recipe& recipe) {
    const Object* manifests = fields.get("Manifests");
    bool has_global = global_lifecycle != nullptr && !global_lifecycle->is_null();
    if (has_global && !global_lifecycle->is_map() &&
        !(global_lifecycle->is_list() &&
          std::all_of(global_lifecycle->as_list().begin(), global_lifecycle->as_list().end(),
                      [](const Object& part) { return part.is_map(); }))) {
        problem(global_path, "expected a map (or a list of maps keyed by selection)");
        has_global = false;
    }
    if (manifests == nullptr || manifests->is_null() ||
        (manifests->is_list() && manifests->as_list().empty())) {
        // A recipe with only a global Lifecycle runs on every platform, as with the Java nucleus.
        Manifest manifest;
        if (has_global) {
            manifest.lifecycle = load_global_lifecycle(*global_lifecycle, {"all"}, global_path);
            manifest.lifecycle_from_global = true;
        }
        recipe.manifests.push_back(std::move(manifest));
        return;
    }
    std::string path = fields.path_of("Manifests");
    if (!manifests->is_list()) {
        problem(path, "expected a list of manifests");
        return;
    }
    size_t index = 0;
    for (const Object& item : manifests->as_list()) {
        std::string item_path = path_index(path, index++);
        if (!item.is_map()) {
            problem(item_path, "expected a map");
            continue;
        }
        Fields manifest_fields(item.as_map(), item_path, *this);
        Manifest manifest;
        manifest.name = string_field(manifest_fields, "Name", false).value_or("");
        if (const Object* platform = manifest_fields.get("Platform"); platform && !platform->is_null()) {
            load_platform(*platform, manifest_fields.path_of("Platform"), manifest);
        }
        if (const Object* selections = manifest_fields.get("Selections"); selections && !selections->is_null()) {
            std::string selections_path = manifest_fields.path_of("Selections");
            if (!selections->is_list()) {
                problem(selections_path, "expected a list of selection keys");
            } else {
                size_t selection_index = 0;
                for (const Object& key : selections->as_list()) {
                    if (auto text = scalar_text(key)) {
                        manifest.selections.push_back(*text);
                    } else {
                        problem(path_index(selections_path, selection_index), "expected a string");
                    }
                    ++selection_index;
                }
            }
        }
        const Object* lifecycle = manifest_fields.get("Lifecycle");
        // "Lifecycle: {}" next to Selections means "use the global one" in nucleus lite's examples.
        bool empty_lifecycle = lifecycle != nullptr && lifecycle->is_map() && lifecycle->as_map().empty();
        if (lifecycle != nullptr && !lifecycle->is_null() && !(empty_lifecycle && has_global)) {
            manifest.lifecycle = load_lifecycle(*lifecycle, manifest_fields.path_of("Lifecycle"));
        } else if (has_global) {
            std::vector<std::string> selections = manifest.selections;
            if (selections.empty()) {
                selections.push_back("all");
            }
            manifest.lifecycle = load_global_lifecycle(*global_lifecycle, selections, global_path);
            manifest.lifecycle_from_global = true;
        }
        if (const Object* artifacts = manifest_fields.get("Artifacts"); artifacts && !artifacts->is_null()) {
            load_artifacts(*artifacts, manifest_fields.path_of("Artifacts"), manifest);
        }
        manifest_fields.report_unread(false, "manifest key");
        recipe.manifests.push_back(std::move(manifest));
    }
}

Lifecycle Loader::load_global_lifecycle(const Object& global, const std::vector<std::string>& selections,
                                        const std::string& global_path) {
    Object resolved = resolve_selections(global, selections, global_path, global_path);
    Lifecycle lifecycle = load_lifecycle(resolved, global_path);
    resolved_paths_.clear();
    return lifecycle;
}

// The global Lifecycle seen through a manifest's selection keys: wherever a map holds
// one of the keys, that key's content stands in for the map (first listed key wins).
// Remembers where in the file each resolved node came from, for problems found in it.
Object Loader::resolve_selections(const Object& node, const std::vector<std::string>& selections,
                                  const std::string& logical_path, const std::string& real_path) {
    resolved_paths_[logical_path] = real_path;
    struct Entry {
        const std::string& key;
        const Object& value;
        std::string real_path;
    };
    std::vector<Entry> entries;
    if (const List* parts = node.if_list()) {
        // Nucleus lite's documented form: "Lifecycle: [{linux: {...}}, {windows: {...}}]".
        for (size_t i = 0; i < parts->size(); ++i) {
            if (const Map* map = (*parts)[i].if_map()) {
                for (const auto& [key, value] : *map) {
                    entries.push_back({key, value, path_join(path_index(real_path, i), key)});
                }
            }
        }
    } else if (const Map* map = node.if_map()) {
        for (const auto& [key, value] : *map) {
            entries.push_back({key, value, path_join(real_path, key)});
        }
    } else {
        return node;
    }
    for (const std::string& selection : selections) {
        for (const Entry& entry : entries) {
            if (ascii_iequals(entry.key, selection) && !phase_from_name(entry.key) && !ascii_iequals(entry.key, "setenv")) {
                return resolve_selections(entry.value, selections, logical_path, entry.real_path);
            }
        }
    }
    Map resolved;
    for (const Entry& entry : entries) {
        resolved.append(entry.key,
                        resolve_selections(entry.value, selections, path_join(logical_path, entry.key), entry.real_path));
    }
    return resolved;
}

void Loader::load_platform(const Object& value, const std::string& path, Manifest& manifest) {
    if (!value.is_map()) {
        problem(path, "expected a map of platform attributes");
        return;
    }
    Fields platform_fields(value.as_map(), path, *this);
    for (const auto& [key, attribute] : value.as_map()) {
        std::string attribute_path = path_join(path, key);
        auto text = scalar_text(attribute);
        if (!text) {
            problem(attribute_path, "expected a string");
            continue;
        }
        // "/regex/" values must compile now: a malformed pattern fails the recipe rather
        // than silently matching nothing (or, worse, falling through to the next manifest).
        if (auto malformed = platform_regex_error(*text)) {
            problem(attribute_path, "malformed regular expression " + *text + ": " + *malformed);
            continue;
        }
        manifest.platform.emplace_back(ascii_lowercase(key), *text);
    }
}

void Loader::load_artifacts(const Object& value, const std::string& path, Manifest& manifest) {
    if (!value.is_list()) {
        problem(path, "expected a list of artifacts");
        return;
    }
    size_t index = 0;
    for (const Object& item : value.as_list()) {
        std::string item_path = path_index(path, index++);
        if (!item.is_map()) {
            problem(item_path, "expected a map");
            continue;
        }
        Fields fields(item.as_map(), item_path, *this);
        Artifact artifact;
        artifact.uri = string_field(fields, "Uri", true).value_or("");
        std::string uri_path = fields.path_of("Uri");
        std::string scheme = ascii_lowercase(artifact.uri.substr(0, artifact.uri.find(':')));
        if (!artifact.uri.empty()) {
            if (scheme == "docker") {
                problem(uri_path, "docker artifacts are not supported (" + artifact.uri + ")");
            } else if (scheme != "s3" && scheme != "greengrass" && scheme != "https" && scheme != "file") {
                problem(uri_path, "unsupported artifact URI \"" + artifact.uri + "\" (s3:, greengrass:, https:)");
            }
        }
        artifact.digest = string_field(fields, "Digest", false).value_or("");
        artifact.algorithm = string_field(fields, "Algorithm", false).value_or(artifact.digest.empty() ? "" : "SHA-256");
        if (auto unarchive = string_field(fields, "Unarchive", false)) {
            std::string upper = *unarchive;
            std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
            if (upper != "NONE" && upper != "ZIP") {
                problem(fields.path_of("Unarchive"), "expected NONE or ZIP, not \"" + *unarchive + "\"");
            }
            artifact.unarchive = upper;
        }
        if (const Object* permission = fields.get("Permission"); permission && !permission->is_null()) {
            std::string permission_path = fields.path_of("Permission");
            if (!permission->is_map()) {
                problem(permission_path, "expected a map with Read and Execute");
            } else {
                Fields permission_fields(permission->as_map(), permission_path, *this);
                for (auto [name, target] : {std::pair{"Read", &artifact.read_permission},
                                            std::pair{"Execute", &artifact.execute_permission}}) {
                    if (auto level = string_field(permission_fields, name, false)) {
                        std::string upper = *level;
                        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
                        if (upper != "NONE" && upper != "OWNER" && upper != "ALL") {
                            problem(permission_fields.path_of(name), "expected NONE, OWNER or ALL");
                        }
                        *target = upper;
                    }
                }
                permission_fields.report_unread(false, "permission key");
            }
        }
        fields.report_unread(false, "artifact key");
        manifest.artifacts.push_back(std::move(artifact));
    }
}

Lifecycle Loader::load_lifecycle(const Object& value, const std::string& path) {
    Lifecycle lifecycle;
    if (!value.is_map()) {
        problem(path, "expected a map of lifecycle steps");
        return lifecycle;
    }
    Fields fields(value.as_map(), path, *this);
    if (const Object* setenv = fields.get("Setenv")) {
        lifecycle.setenv = load_setenv(*setenv, fields.path_of("Setenv"));
    }
    for (Phase phase : kAllPhases) {
        if (const Object* step = fields.get(phase_name(phase)); step != nullptr) {
            lifecycle.step(phase) = load_step(phase, *step, fields.path_of(phase_name(phase)));
        }
    }
    for (std::string_view misplaced : {"Script", "RequiresPrivilege", "Timeout", "Skipif"}) {
        if (fields.get(misplaced) != nullptr) {
            problem(fields.path_of(misplaced),
                    std::string(misplaced) + " belongs to a step (such as run." + std::string(misplaced) +
                        "), not to the Lifecycle itself",
                    Anchor::Key);
        }
    }
    fields.report_unread(true, "lifecycle step (setenv, bootstrap, install, startup, run, shutdown, recover)");
    if (lifecycle.run && lifecycle.startup) {
        problem(path, "both startup and run are given; a component has one or the other");
    }
    return lifecycle;
}

std::optional<LifecycleStep> Loader::load_step(Phase phase, const Object& value, const std::string& path) {
    LifecycleStep step;
    if (value.is_null()) {
        return std::nullopt;
    }
    if (value.is_string()) {
        step.script = value.as_string();
        return step;
    }
    if (!value.is_map()) {
        problem(path, "expected a script or a map with Script");
        return std::nullopt;
    }
    Fields fields(value.as_map(), path, *this);
    const Object* script = fields.get("Script");
    if (script == nullptr || script->is_null()) {
        problem(fields.path_of("Script"), "missing (required)");
    } else if (!script->is_string()) {
        problem(fields.path_of("Script"), "expected a string");
    } else {
        step.script = script->as_string();
    }
    if (const Object* privilege = fields.get("RequiresPrivilege"); privilege && !privilege->is_null()) {
        std::string privilege_path = fields.path_of("RequiresPrivilege");
        if (privilege->is_bool()) {
            step.requires_privilege = privilege->as_bool();
        } else if (privilege->is_string() && (ascii_iequals(privilege->as_string(), "true") ||
                                               ascii_iequals(privilege->as_string(), "false"))) {
            step.requires_privilege = ascii_iequals(privilege->as_string(), "true");
        } else if (privilege->is_string() && privilege->as_string().find('{') != std::string::npos) {
            step.requires_privilege_expression = privilege->as_string();
            step.requires_privilege_where = real_path(privilege_path);
            step.requires_privilege_at = locate(step.requires_privilege_where, Anchor::Value);
        } else {
            problem(privilege_path, "expected true or false");
        }
    }
    if (const Object* timeout = fields.get("Timeout"); timeout && !timeout->is_null()) {
        std::string timeout_path = fields.path_of("Timeout");
        std::optional<double> seconds;
        if (timeout->is_i64()) {
            seconds = static_cast<double>(timeout->as_i64());
        } else if (timeout->is_f64()) {
            seconds = timeout->as_f64();
        } else if (timeout->is_string() && timeout->as_string().find("{configuration:") != std::string::npos) {
            step.timeout_expression = timeout->as_string();
            step.timeout_where = real_path(timeout_path);
            step.timeout_at = locate(step.timeout_where, Anchor::Value);
        } else if (timeout->is_string()) {
            // Jackson, behind the Java nucleus, reads "120" as a number too.
            const std::string& text = timeout->as_string();
            char* end = nullptr;
            double parsed = std::strtod(text.c_str(), &end);
            if (!text.empty() && end == text.c_str() + text.size()) {
                seconds = parsed;
            } else {
                problem(timeout_path, "expected a number");
            }
        } else {
            problem(timeout_path, "expected a number");
        }
        if (seconds) {
            if (!std::isfinite(*seconds) || *seconds <= 0 || *seconds > 31'536'000) {
                problem(timeout_path, "expected a number of seconds above 0 (at most a year)");
            } else {
                step.timeout_seconds = seconds;
            }
        }
    }
    if (const Object* setenv = fields.get("Setenv")) {
        step.setenv = load_setenv(*setenv, fields.path_of("Setenv"));
    }
    if (const Object* skipif = fields.get("Skipif"); skipif && !skipif->is_null()) {
        step.skipif = load_skipif(*skipif, fields.path_of("Skipif"));
    }
    if (const Object* rollback = fields.get("BootstrapOnRollback"); rollback && !rollback->is_null()) {
        std::string rollback_path = fields.path_of("BootstrapOnRollback");
        if (phase != Phase::Bootstrap) {
            problem(rollback_path, "only the bootstrap step takes BootstrapOnRollback", Anchor::Key);
        } else if (!rollback->is_bool()) {
            problem(rollback_path, "expected true or false");
        } else {
            step.bootstrap_on_rollback = rollback->as_bool();
        }
    }
    fields.report_unread(true, "lifecycle step key (Script, RequiresPrivilege, Timeout, Setenv, Skipif)");
    return step;
}

EnvList Loader::load_setenv(const Object& value, const std::string& path) {
    EnvList env;
    if (value.is_null()) {
        return env;
    }
    if (!value.is_map()) {
        problem(path, "expected a map of environment variables");
        return env;
    }
    for (const auto& [name, variable] : value.as_map()) {
        std::string variable_path = path_join(path, name);
        bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name.front())) &&
                          std::all_of(name.begin(), name.end(), [](char c) {
                              return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                          });
        if (!valid_name) {
            problem(variable_path, "not a valid environment variable name", Anchor::Key);
            continue;
        }
        auto text = variable.is_null() ? std::optional<std::string>("") : scalar_text(variable);
        if (!text) {
            problem(variable_path, "expected a string");
            continue;
        }
        if (text->find('\0') != std::string::npos) {
            problem(variable_path, "environment values cannot hold NUL");
            continue;
        }
        env.emplace_back(name, *text);
    }
    return env;
}

std::optional<Skipif> Loader::load_skipif(const Object& value, const std::string& path) {
    if (!value.is_string()) {
        problem(path, "expected \"onpath EXECUTABLE\" or \"exists FILE\"");
        return std::nullopt;
    }
    const std::string& text = value.as_string();
    size_t space = text.find_first_of(" \t");
    std::string verb = ascii_lowercase(text.substr(0, space));
    std::string target;
    if (space != std::string::npos) {
        size_t start = text.find_first_not_of(" \t", space);
        size_t end = text.find_last_not_of(" \t");
        if (start != std::string::npos) {
            target = text.substr(start, end - start + 1);
        }
    }
    if ((verb != "onpath" && verb != "exists") || target.empty()) {
        problem(path, "expected \"onpath EXECUTABLE\" or \"exists FILE\", not \"" + text + "\"");
        return std::nullopt;
    }
    return Skipif{verb == "onpath" ? Skipif::Kind::OnPath : Skipif::Kind::Exists, target};
}

// JSON with // and /* */ comments (Greengrass nucleus lite's own examples have them):
// the comments become spaces so that error positions stay those of the file.
std::string blank_json_comments(std::string_view text) {
    std::string out(text);
    bool in_string = false;
    for (size_t i = 0; i < out.size(); ++i) {
        char c = out[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
            while (i < out.size() && out[i] != '\n') {
                out[i++] = ' ';
            }
        } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
            size_t end = out.find("*/", i + 2);
            size_t stop = end == std::string::npos ? out.size() : end + 2;
            for (; i < stop; ++i) {
                if (out[i] != '\n') {
                    out[i] = ' ';
                }
            }
            --i;
        }
    }
    return out;
}

// "line 4, column 7: message" from a codec error, split into where and what.
RecipeProblem syntax_problem(const std::string& message, std::string_view syntax) {
    // The YAML reader starts with "line L, column C: ", the JSON one has it after a prefix.
    for (size_t at = message.find("line "); at != std::string::npos; at = message.find("line ", at + 1)) {
        size_t digits = at + 5;
        size_t end = message.find_first_not_of("0123456789", digits);
        if (end == digits || end == std::string::npos || message.compare(end, 9, ", column ") != 0) {
            continue;
        }
        size_t column_end = message.find_first_not_of("0123456789", end + 9);
        if (column_end == end + 9) {
            continue;
        }
        std::string rest = column_end == std::string::npos ? "" : message.substr(column_end);
        if (rest.starts_with(": ")) {
            rest.erase(0, 2);
        }
        auto number = [&](size_t from, size_t to) {
            return static_cast<uint32_t>(std::strtoul(message.substr(from, to - from).c_str(), nullptr, 10));
        };
        SourcePosition position{number(digits, end), number(end + 9, column_end)};
        return {"", "invalid " + std::string(syntax) + ": " + rest, position, true};
    }
    return {"", "invalid " + std::string(syntax) + ": " + message, {}, true};
}

// Positions of the nodes of a JSON text that from_json accepted (comments blanked), in
// the shape NodePositions has for YAML. Columns count characters, as libyaml's do.
class JsonPositions {
public:
    explicit JsonPositions(std::string_view text) : text_(text) {}

    NodePositions scan() {
        NodePositions root;
        if (text_.starts_with("\xEF\xBB\xBF")) {
            i_ = 3;
        }
        skip_space();
        value(root);
        return root;
    }

private:
    char peek() const { return i_ < text_.size() ? text_[i_] : '\0'; }
    SourcePosition here() const { return {line_, column_}; }

    void advance() {
        char c = text_[i_++];
        if (c == '\n') {
            ++line_;
            column_ = 1;
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++column_;
        }
    }

    void skip_space() {
        while (i_ < text_.size() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            advance();
        }
    }

    // The decoded content of the string at the cursor; the cursor moves past it.
    std::string string() {
        size_t start = i_;
        advance();
        bool escaped = false;
        while (i_ < text_.size() && peek() != '"') {
            if (peek() == '\\') {
                escaped = true;
                advance();
            }
            if (i_ < text_.size()) {
                advance();
            }
        }
        if (i_ < text_.size()) {
            advance();
        }
        std::string_view token = text_.substr(start, i_ - start);
        if (!escaped) {
            return std::string(token.substr(1, token.size() >= 2 ? token.size() - 2 : 0));
        }
        auto decoded = from_json(token);
        return decoded && decoded->is_string() ? decoded->as_string() : std::string(token);
    }

    void value(NodePositions& out) {
        out.at = here();
        char c = peek();
        if (c == '{') {
            advance();
            std::vector<std::string> keys;
            for (skip_space(); i_ < text_.size() && peek() != '}';) {
                SourcePosition key_at = here();
                std::string key = string();
                skip_space();
                if (peek() == ':') {
                    advance();
                }
                skip_space();
                NodePositions child;
                value(child);
                child.key_at = key_at;
                // A repeated key keeps its first place and takes the last value, as from_json does.
                auto known = std::find(keys.begin(), keys.end(), key);
                if (known != keys.end()) {
                    out.children[static_cast<size_t>(known - keys.begin())] = std::move(child);
                } else {
                    keys.push_back(std::move(key));
                    out.children.push_back(std::move(child));
                }
                skip_space();
                if (peek() == ',') {
                    advance();
                    skip_space();
                }
            }
            if (i_ < text_.size()) {
                advance();
            }
        } else if (c == '[') {
            advance();
            for (skip_space(); i_ < text_.size() && peek() != ']';) {
                value(out.children.emplace_back());
                skip_space();
                if (peek() == ',') {
                    advance();
                    skip_space();
                }
            }
            if (i_ < text_.size()) {
                advance();
            }
        } else if (c == '"') {
            string();
        } else {
            while (i_ < text_.size() && std::string_view(",]} \t\r\n").find(peek()) == std::string_view::npos) {
                advance();
            }
        }
    }

    std::string_view text_;
    size_t i_ = 0;
    uint32_t line_ = 1;
    uint32_t column_ = 1;
};

bool has_step_expressions(const Manifest& manifest) {
    return std::any_of(std::begin(kAllPhases), std::end(kAllPhases), [&](Phase phase) {
        const auto& step = manifest.lifecycle.step(phase);
        return step && (!step->timeout_expression.empty() || !step->requires_privilege_expression.empty());
    });
}

} // namespace

RecipeLoad load_recipe_object(const Object& document, std::string source, const NodePositions* positions) {
    RecipeLoad load;
    load.source = std::move(source);
    Loader loader(load, document, positions);
    std::optional<Recipe> recipe = loader.load(document);
    if (recipe && load.problems.empty()) {
        recipe->source = load.source;
        load.recipe = std::move(recipe);
    }
    return load;
}

RecipeLoad load_recipe_text(std::string_view text, RecipeSyntax syntax, std::string source) {
    std::string json_text = syntax == RecipeSyntax::Json ? blank_json_comments(text) : std::string();
    Result<Object> document = syntax == RecipeSyntax::Json ? from_json(json_text) : yaml_parse(text);
    if (!document) {
        RecipeLoad load;
        load.source = std::move(source);
        load.problems.push_back(syntax_problem(document.error().message, syntax == RecipeSyntax::Json ? "JSON" : "YAML"));
        return load;
    }
    RecipeLoad load = load_recipe_object(*document, source);
    // Timeout and RequiresPrivilege expressions are checked when units are generated,
    // and name their place then.
    bool has_expressions = load.recipe && std::any_of(load.recipe->manifests.begin(), load.recipe->manifests.end(),
                                                      has_step_expressions);
    if (load.problems.empty() && load.warnings.empty() && !has_expressions) {
        return load;
    }
    // Positions cost a tree as large as the document; they are only needed to report, so
    // they are collected when there is something to report, and the load is repeated.
    NodePositions positions;
    if (syntax == RecipeSyntax::Json) {
        positions = JsonPositions(json_text).scan();
    } else if (!yaml_parse(text, &positions)) {
        return load;
    }
    return load_recipe_object(*document, std::move(source), &positions);
}

RecipeLoad load_recipe_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        RecipeLoad load;
        load.source = path;
        load.problems.push_back({"", std::string("cannot read the file: ") + std::strerror(errno), {}, false});
        return load;
    }
    std::ostringstream content;
    content << file.rdbuf();
    return load_recipe_text(content.str(), recipe_syntax_for(path), path);
}

} // namespace ggl
