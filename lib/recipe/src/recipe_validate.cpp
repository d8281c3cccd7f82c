// Checking a recipe document into the typed model: top-level fields, configuration, dependencies, lifecycle steps.
#include "recipe_loader.hpp"

#include "ggl/json.hpp"
#include "ggl/platform.hpp"
#include "ggl/text.hpp"
#include "ggl/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace ggl::recipe_detail {

// A key as it appears in a key path: plain, or ["..."] when it holds path syntax.
std::string path_join(const std::string& path, std::string_view key) {
    bool plain = !key.empty() && key.find_first_of(".[]\" \t\n") == std::string_view::npos;
    std::string segment = plain ? std::string(key) : "[" + to_json(Object(key)) + "]";
    if (path.empty()) {
        return segment;
    }
    return plain ? path + "." + segment : path + segment;
}

std::string path_index(const std::string& path, size_t index) { return path + "[" + std::to_string(index) + "]"; }

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

namespace {

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

} // namespace

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
                read_[index] = true; // reported once, not again as unknown
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
        problem("", document.is_null() ? "empty recipe"
                                       : "a recipe is a map, not " + std::string(type_name(document.type())));
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
    static const char* const kTypes[] = {"aws.greengrass.generic", "aws.greengrass.lambda", "aws.greengrass.plugin",
                                         "aws.greengrass.nucleus"};
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
                problem(path_join(path, key),
                        parsed ? "expected a JSON object" : "invalid JSON: " + parsed.error().message);
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
        load_step_privilege(*privilege, fields.path_of("RequiresPrivilege"), step);
    }
    if (const Object* timeout = fields.get("Timeout"); timeout && !timeout->is_null()) {
        load_step_timeout(*timeout, fields.path_of("Timeout"), step);
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

// RequiresPrivilege: a boolean, or an expression checked when the unit is generated.
void Loader::load_step_privilege(const Object& privilege, const std::string& privilege_path, LifecycleStep& step) {
    if (privilege.is_bool()) {
        step.requires_privilege = privilege.as_bool();
    } else if (privilege.is_string() &&
               (ascii_iequals(privilege.as_string(), "true") || ascii_iequals(privilege.as_string(), "false"))) {
        step.requires_privilege = ascii_iequals(privilege.as_string(), "true");
    } else if (privilege.is_string() && privilege.as_string().find('{') != std::string::npos) {
        step.requires_privilege_expression = privilege.as_string();
        step.requires_privilege_where = real_path(privilege_path);
        step.requires_privilege_at = locate(step.requires_privilege_where, Anchor::Value);
    } else {
        problem(privilege_path, "expected true or false");
    }
}

// Timeout: seconds (a number, or text that reads as one), or a configuration expression
// checked when the unit is generated.
void Loader::load_step_timeout(const Object& timeout, const std::string& timeout_path, LifecycleStep& step) {
    std::optional<double> seconds;
    if (timeout.is_i64()) {
        seconds = static_cast<double>(timeout.as_i64());
    } else if (timeout.is_f64()) {
        seconds = timeout.as_f64();
    } else if (timeout.is_string() && timeout.as_string().find("{configuration:") != std::string::npos) {
        step.timeout_expression = timeout.as_string();
        step.timeout_where = real_path(timeout_path);
        step.timeout_at = locate(step.timeout_where, Anchor::Value);
    } else if (timeout.is_string()) {
        // Jackson, behind the Java nucleus, reads "120" as a number too.
        const std::string& text = timeout.as_string();
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
                          std::all_of(name.begin(), name.end(),
                                      [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
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

} // namespace ggl::recipe_detail
