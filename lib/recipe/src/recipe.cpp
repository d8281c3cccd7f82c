// The recipe model: phase names, lifecycle steps, problems as text; load_recipe_object runs the Loader.
#include "ggl/recipe.hpp"

#include "recipe_loader.hpp"

#include "ggl/text.hpp"

#include <algorithm>

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

RecipeLoad load_recipe_object(const Object& document, std::string source, const NodePositions* positions) {
    RecipeLoad load;
    load.source = std::move(source);
    recipe_detail::Loader loader(load, document, positions);
    std::optional<Recipe> recipe = loader.load(document);
    if (recipe && load.problems.empty()) {
        recipe->source = load.source;
        load.recipe = std::move(recipe);
    }
    return load;
}

} // namespace ggl
