// The component store under $GGL_ROOT (docs/deployments.md): its layout, recipes, stored versions.
// Artifacts are put into it by ggl/artifact_install.hpp (the artifact-installer program).
#pragma once

#include "ggl/error.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"
#include "ggl/text.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace ggl::store {

// The paths of the store, as lib/recipe/src/interpolation.cpp resolves {artifacts:path} and
// {artifacts:decompressedPath}:
//   <root>/packages/recipes/<name>-<version>.<yaml|json>
//   <root>/packages/artifacts/<name>/<version>/<file>
//   <root>/packages/artifacts-unarchived/<name>/<version>/<archive name without extension>/...
//   <root>/work/<name>/
// Callers pass names and versions already checked (is_valid_component_name, SemVer).
struct StoreLayout {
    std::filesystem::path root;

    // $GGL_ROOT (default /var/lib/greengrass).
    static StoreLayout from_environment();

    std::filesystem::path recipes_dir() const;
    // `extension` is "yaml" or "json" (a leading '.' is accepted).
    std::filesystem::path recipe_file(std::string_view name, std::string_view version,
                                      std::string_view extension) const;
    std::filesystem::path artifacts_dir(std::string_view name, std::string_view version) const;
    std::filesystem::path unarchived_dir(std::string_view name, std::string_view version) const;
    std::filesystem::path work_dir(std::string_view name) const;
};

// A component version as a store entry: the version's text, after checking that the name
// is a valid component name and both are safe path segments (is_safe_path_segment,
// text.hpp); INVALID naming the unsafe one.
Result<std::string> checked_entry(std::string_view name, const SemVer& version);

// The file name an artifact is stored under: the last path segment of its Uri
// ("s3://bucket/a/b.zip" → "b.zip", "greengrass:b.zip" → "b.zip", query and fragment of
// https URIs dropped). docker: URIs → UNSUPPORTED; a name that is not a safe path segment
// (or a Uri without one) → INVALID naming the Uri.
Result<std::string> artifact_file_name(const Artifact& artifact);

// The directory a ZIP artifact is unarchived into, below unarchived_dir: its file name
// without the last extension ("b.zip" → "b"; "b" → "b"). INVALID when that is empty.
Result<std::string> unarchive_folder_name(std::string_view file_name);

// Copies the recipe file into recipes_dir as <name>-<version>.<yaml|json>, the syntax of
// `recipe_source` (recipe_syntax_for) kept: temporary file, fsync, rename, fsync of the
// directory. A stored copy of the other syntax is removed after. INVALID for unsafe
// names, NOENTRY when the source is missing.
Result<void> install_recipe(const StoreLayout& layout, const std::filesystem::path& recipe_source,
                            const Recipe& recipe);

// Deletes the recipe (either syntax), artifacts_dir and unarchived_dir of one version,
// and the component's artifact directories when they are left empty. work/ is kept.
// Missing pieces are fine. INVALID when name or version is not a safe path segment.
Result<void> remove_component_version(const StoreLayout& layout, std::string_view name, std::string_view version);

// The versions of `name` with a recipe in the store, ascending (file names that do not
// parse as <name>-<SemVer>.<yaml|json> are ignored).
std::vector<SemVer> stored_versions(const StoreLayout& layout, std::string_view name);

} // namespace ggl::store
