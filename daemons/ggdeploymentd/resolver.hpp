// Dependency resolution (docs/deployments.md): the component versions that satisfy every group's
// root requirements and every chosen recipe's dependencies, highest version first.
#pragma once

#include "ggl/error.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ggl::deployment {

// One version of a component that could be deployed: from the deployment's recipe
// directory or already in the store.
struct Candidate {
    std::shared_ptr<const Recipe> recipe;
    std::string recipe_path;
    bool in_store = false;

    const std::string& name() const { return recipe->name; }
    const SemVer& version() const { return recipe->version; }
};

// name -> its available versions (any order).
using CandidateIndex = std::map<std::string, std::vector<Candidate>>;

// group name -> root component name -> version requirement ("1.0.0", "^1.2").
using GroupRoots = std::map<std::string, std::map<std::string, std::string>>;

struct ResolvedComponent {
    const Candidate* candidate = nullptr;
    std::vector<std::string> required_by; // "group LOCAL_DEPLOYMENTS", "com.example.A 1.0.0"
};

// Dependencies before their dependents (the order install phases run in).
using Resolution = std::vector<ResolvedComponent>;

// NOENTRY when a required component has no recipe at all; CONFLICT when no version
// satisfies every requirement, naming each requirement and the chain that led to it;
// INVALID for a dependency cycle or an unparsable requirement. Builtin components
// (is_builtin_component) need no recipe and are left out of the result.
Result<Resolution> resolve(const GroupRoots& roots, const CandidateIndex& candidates);

} // namespace ggl::deployment
