// The component store: its layout, recipes put in atomically, versions listed and removed.
#include "ggl/component_store.hpp"

#include "ggl/env.hpp"
#include "ggl/file.hpp"
#include "ggl/text.hpp"

#include <algorithm>

namespace ggl::store {

namespace fs = std::filesystem;

Result<std::string> checked_entry(std::string_view name, const SemVer& version) {
    if (!is_valid_component_name(name) || !is_safe_path_segment(name)) {
        return make_error(ErrorCode::Invalid, "unsafe component name \"" + std::string(name) + "\"");
    }
    std::string text = version.to_string();
    if (!is_safe_path_segment(text)) {
        return make_error(ErrorCode::Invalid, "unsafe version \"" + text + "\" of " + std::string(name));
    }
    return text;
}

// ---- layout

StoreLayout StoreLayout::from_environment() { return StoreLayout{env::root_dir()}; }

fs::path StoreLayout::recipes_dir() const { return root / "packages" / "recipes"; }

fs::path StoreLayout::recipe_file(std::string_view name, std::string_view version, std::string_view extension) const {
    if (!extension.empty() && extension.front() == '.') {
        extension.remove_prefix(1);
    }
    return recipes_dir() / (std::string(name) + "-" + std::string(version) + "." + std::string(extension));
}

fs::path StoreLayout::artifacts_dir(std::string_view name, std::string_view version) const {
    return root / "packages" / "artifacts" / std::string(name) / std::string(version);
}

fs::path StoreLayout::unarchived_dir(std::string_view name, std::string_view version) const {
    return root / "packages" / "artifacts-unarchived" / std::string(name) / std::string(version);
}

fs::path StoreLayout::work_dir(std::string_view name) const { return root / "work" / std::string(name); }

// ---- names

Result<std::string> artifact_file_name(const Artifact& artifact) {
    const std::string& uri = artifact.uri;
    size_t colon = uri.find(':');
    std::string scheme = colon == std::string::npos ? "" : ascii_lowercase(std::string_view(uri).substr(0, colon));
    if (scheme == "docker") {
        return make_error(ErrorCode::Unsupported,
                          "docker artifacts are not supported (" + uri + "): ggl runs no container images");
    }
    std::string_view rest = uri;
    if (colon != std::string::npos) {
        rest.remove_prefix(colon + 1);
    }
    if (scheme == "http" || scheme == "https") {
        rest = rest.substr(0, rest.find_first_of("?#"));
    }
    std::string_view name = rest.substr(rest.rfind('/') == std::string_view::npos ? 0 : rest.rfind('/') + 1);
    if (uri.empty() || !is_safe_path_segment(name)) {
        return make_error(ErrorCode::Invalid, "artifact URI \"" + uri + "\" does not end in a usable file name");
    }
    return std::string(name);
}

Result<std::string> unarchive_folder_name(std::string_view file_name) {
    size_t dot = file_name.rfind('.');
    std::string_view stem = dot == std::string_view::npos ? file_name : file_name.substr(0, dot);
    if (!is_safe_path_segment(stem)) {
        return make_error(ErrorCode::Invalid,
                          "archive \"" + std::string(file_name) + "\" has no name to unarchive it under");
    }
    return std::string(stem);
}

// ---- recipes

Result<void> install_recipe(const StoreLayout& layout, const fs::path& recipe_source, const Recipe& recipe) {
    auto version = checked_entry(recipe.name, recipe.version);
    if (!version) {
        return version.error();
    }
    bool json = recipe_syntax_for(recipe_source.string()) == RecipeSyntax::Json;
    fs::path directory = layout.recipes_dir();
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
        return make_error(ErrorCode::Failure, "cannot create " + directory.string() + ": " + error.message());
    }
    fs::path target = layout.recipe_file(recipe.name, *version, json ? "json" : "yaml");
    auto text = file::read(recipe_source.string());
    if (!text) {
        return text.error();
    }
    if (auto written = file::write_atomically(target.string(), *text, 0644); !written) {
        return written;
    }
    // One recipe per version: the other syntax's copy, left by an earlier install, goes.
    if (fs::remove(layout.recipe_file(recipe.name, *version, json ? "yaml" : "json"), error)) {
        return file::sync_directory(directory.string());
    }
    return {};
}

// ---- removal and listing

Result<void> remove_component_version(const StoreLayout& layout, std::string_view name, std::string_view version) {
    if (!is_safe_path_segment(name) || !is_safe_path_segment(version)) {
        return make_error(ErrorCode::Invalid, "unsafe component name or version \"" + std::string(name) + "\" \"" +
                                                  std::string(version) + "\"");
    }
    std::error_code error;
    for (const char* extension : {"yaml", "json"}) {
        fs::path recipe = layout.recipe_file(name, version, extension);
        if (!fs::remove(recipe, error) && error) {
            return make_error(ErrorCode::Failure, "cannot remove " + recipe.string() + ": " + error.message());
        }
    }
    for (const fs::path& directory : {layout.artifacts_dir(name, version), layout.unarchived_dir(name, version)}) {
        fs::remove_all(directory, error);
        if (error) {
            return make_error(ErrorCode::Failure, "cannot remove " + directory.string() + ": " + error.message());
        }
        // The component's own directory goes with its last version.
        std::error_code ignored;
        if (fs::is_empty(directory.parent_path(), ignored) && !ignored) {
            fs::remove(directory.parent_path(), ignored);
        }
    }
    return {};
}

std::vector<SemVer> stored_versions(const StoreLayout& layout, std::string_view name) {
    std::vector<SemVer> versions;
    std::error_code error;
    std::string prefix = std::string(name) + "-";
    for (fs::directory_iterator it(layout.recipes_dir(), error), end; !error && it != end; it.increment(error)) {
        std::string file = it->path().filename().string();
        std::string_view view = file;
        if (view.size() <= prefix.size() || view.substr(0, prefix.size()) != prefix) continue;
        view.remove_prefix(prefix.size());
        size_t dot = view.rfind('.');
        if (dot == std::string_view::npos) continue;
        std::string_view extension = view.substr(dot + 1);
        if (extension != "yaml" && extension != "json") continue;
        auto version = SemVer::parse(view.substr(0, dot));
        if (version) {
            versions.push_back(*version);
        }
    }
    std::sort(versions.begin(), versions.end());
    versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
    return versions;
}

} // namespace ggl::store
