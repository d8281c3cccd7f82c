// The store step (prepare_store): each version the deployment brings, its recipe and
// artifacts put into $GGL_ROOT/packages, owned by the components' runWith user.
#include "deployer_steps.hpp"

#include "artifact_installer.hpp"

#include <filesystem>

namespace ggl::deployment {

namespace fs = std::filesystem;

bool Deployer::prepare_store(Record& record, Plan& plan) {
    for (auto& component : plan.components) {
        if (component.in_store) continue;
        progress_(record, "storing " + component.name + " " + component.version);
        std::string entry = entry_of(component.name, component.version);
        bool existed = false;
        for (const SemVer& version : store::stored_versions(plan.layout, component.name)) {
            existed = existed || version.to_string() == component.version;
        }
        if (!existed) {
            record.added_to_store.push_back(entry);
        }
        auto installed = store::install_recipe(plan.layout, component.recipe_path, *component.recipe);
        if (installed) {
            fs::path source = record.request.artifacts_directory.empty()
                                  ? fs::path()
                                  : fs::path(record.request.artifacts_directory) / component.name / component.version;
            store::ArtifactInstallRequest request{plan.layout,
                                                  store::ComponentArtifacts{component.recipe->name,
                                                                            component.recipe->version,
                                                                            component.manifest->artifacts},
                                                  source, store::ZipLimits{}, plan.component_user};
            installed = run_artifact_installer(artifact_installer_path(), request);
        }
        if (!installed) {
            fail(record, failure_of(component.name, "artifacts", installed.error().message));
            return false;
        }
    }
    return true;
}

} // namespace ggl::deployment
