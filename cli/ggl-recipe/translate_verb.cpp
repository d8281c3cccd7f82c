// `ggl recipe translate`: recipes to the systemd units a deployment would install.
#include "recipe_verbs.hpp"

#include "ggl/cli/error_report.hpp"
#include "ggl/unit_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ggl::recipe_cli {
namespace {

namespace fs = std::filesystem;

struct Translated {
    std::string recipe_path;
    std::string component;
    std::vector<UnitFile> units;
};

UnitOptions unit_options_for(const Recipe& recipe, const DeviceSettings& settings, const VerbArguments& arguments) {
    // The runner reads the configuration from these when ggconfigd does not answer.
    UnitOptions options = device_unit_options(settings, {"GGL_CONFIG_DIR", "GGL_CONFIG_DB"});
    options.platform_override = arguments.platform_spec;
    options.configuration = settings.component_configuration(recipe);
    return options;
}

// `no_manifest` tells a valid recipe with no manifest for the platform from the other failures.
std::optional<Translated> translate_one(const std::string& path, const DeviceSettings& settings,
                                        const Platform& platform, const VerbArguments& arguments, bool& no_manifest) {
    std::optional<Recipe> recipe = load_or_report(path);
    if (!recipe) {
        return std::nullopt;
    }
    auto manifest = select_manifest(*recipe, platform);
    if (!manifest) {
        cli::print_error(path + ": " + no_manifest_problem(manifest.error(), arguments));
        no_manifest = true;
        return std::nullopt;
    }
    auto units = generate_units(*recipe, **manifest, unit_options_for(*recipe, settings, arguments));
    if (!units) {
        // Recipe problems found now name the file themselves (file:line:column: key path).
        const std::string& message = units.error().message;
        cli::print_error(message.starts_with(path + ":") ? message : path + ": " + message);
        return std::nullopt;
    }
    return Translated{path, recipe->name, std::move(*units)};
}

std::optional<std::string> read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

Result<void> write_file_atomically(const fs::path& path, const std::string& text) {
    fs::path temporary = path;
    temporary += ".tmp";
    {
        std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
        file << text;
        file.flush();
        if (!file) {
            return make_error(ErrorCode::Failure, "cannot write " + temporary.string());
        }
    }
    std::error_code error;
    fs::rename(temporary, path, error);
    if (error) {
        return make_error(ErrorCode::Failure, "cannot rename " + temporary.string() + ": " + error.message());
    }
    return {};
}

// Exit 0 when dir holds exactly these units of each component, else 1 with a diff.
// A unit file in dir that a translated component could have (is_unit_of_component) but
// that translation no longer produces is stale: shown as removed.
int check_units(const std::vector<Translated>& results, const std::string& dir) {
    bool differs = false;
    std::vector<std::string> expected;
    for (const Translated& result : results) {
        for (const UnitFile& unit : result.units) {
            expected.push_back(unit.name);
        }
    }
    std::vector<fs::path> present;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
        present.push_back(entry.path());
    }
    std::sort(present.begin(), present.end());
    for (const Translated& result : results) {
        for (const UnitFile& unit : result.units) {
            fs::path existing_path = fs::path(dir) / unit.name;
            std::string existing = read_file(existing_path).value_or("");
            bool exists = fs::exists(existing_path);
            std::string diff = unified_diff(exists ? existing_path.string() : "/dev/null", existing,
                                            existing_path.string() + " (from " + result.recipe_path + ")", unit.text);
            if (!diff.empty() || !exists) {
                differs = true;
                std::fputs(diff.c_str(), stdout);
            }
        }
        // Units of the component that a new translation would no longer produce.
        for (const fs::path& path : present) {
            std::string name = path.filename().string();
            if (is_unit_of_component(name, result.component) &&
                std::find(expected.begin(), expected.end(), name) == expected.end()) {
                differs = true;
                std::string diff = unified_diff(path.string(), read_file(path).value_or(""), "/dev/null", "");
                if (diff.empty()) { // an empty file: no lines to remove, but still a difference
                    diff = "--- " + path.string() + "\n+++ /dev/null\n";
                }
                std::fputs(diff.c_str(), stdout);
            }
        }
    }
    std::fflush(stdout);
    return differs ? cli::kExitFailed : cli::kExitOk;
}

} // namespace

int run_translate(const VerbArguments& arguments) {
    auto device = target_device_of(arguments);
    if (!device) {
        return cli::report_usage_error(device.error().message);
    }
    if (!arguments.check_dir.empty() && !fs::is_directory(arguments.check_dir)) {
        return cli::report_usage_error("--check: " + arguments.check_dir + " is not a directory");
    }
    std::vector<Translated> results;
    bool failed = false;
    bool only_no_manifest = true; // every failure a valid recipe without a manifest for the platform
    for (const std::string& path : arguments.recipes) {
        bool no_manifest = false;
        if (auto result = translate_one(path, device->settings, device->platform, arguments, no_manifest)) {
            results.push_back(std::move(*result));
        } else {
            failed = true;
            only_no_manifest = only_no_manifest && no_manifest;
        }
    }
    // Nothing is written unless every recipe translated: a half-updated unit directory
    // is worse than an unchanged one. A recipe for other platforms is a failure (1), as
    // `validate` reports it; an unreadable or invalid one stays a usage error (2).
    if (failed) {
        return only_no_manifest ? cli::kExitFailed : cli::kExitUsage;
    }
    if (!arguments.check_dir.empty()) {
        return check_units(results, arguments.check_dir);
    }
    if (arguments.output_dir.empty() || arguments.output_dir == "-") {
        bool first = true;
        for (const Translated& result : results) {
            for (const UnitFile& unit : result.units) {
                std::printf("%s# %s\n%s", first ? "" : "\n", unit.name.c_str(), unit.text.c_str());
                first = false;
            }
        }
        std::fflush(stdout);
        return cli::kExitOk;
    }
    std::error_code error;
    fs::create_directories(arguments.output_dir, error);
    if (error) {
        cli::print_error("cannot create " + arguments.output_dir + ": " + error.message());
        return cli::kExitFailed;
    }
    for (const Translated& result : results) {
        for (const UnitFile& unit : result.units) {
            if (auto written = write_file_atomically(fs::path(arguments.output_dir) / unit.name, unit.text); !written) {
                cli::print_error(written.error().message);
                return cli::kExitFailed;
            }
        }
    }
    return cli::kExitOk;
}

} // namespace ggl::recipe_cli
