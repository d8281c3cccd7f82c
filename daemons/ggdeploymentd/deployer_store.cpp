// The store step (prepare_store): each version the deployment brings, its recipe and
// artifacts put into $GGL_ROOT/packages, owned by the components' runWith user.
#include "deployer_steps.hpp"

#include "artifact_installer.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>

namespace ggl::deployment {

namespace fs = std::filesystem;

// The owner of stored artifacts: the runWith user when this process may give files away.
Result<store::InstallOptions> artifact_options(const std::string& run_with) {
    store::InstallOptions options;
    if (run_with.empty() || ::geteuid() != 0) {
        return options;
    }
    size_t colon = run_with.find(':');
    std::string user = run_with.substr(0, colon);
    struct passwd* account = ::getpwnam(user.c_str());
    if (account == nullptr) {
        return make_error(ErrorCode::Config, "runWith posixUser " + user + " does not exist on this device");
    }
    store::FileOwner owner{account->pw_uid, account->pw_gid};
    if (colon != std::string::npos) {
        std::string group = run_with.substr(colon + 1);
        struct group* entry = ::getgrnam(group.c_str());
        if (entry == nullptr) {
            return make_error(ErrorCode::Config, "runWith group " + group + " does not exist on this device");
        }
        owner.gid = entry->gr_gid;
    }
    options.owner = owner;
    return options;
}

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
            auto options = artifact_options(plan.component_user);
            if (options) {
                store::ArtifactInstallRequest request{plan.layout,
                                                      store::ComponentArtifacts{component.recipe->name,
                                                                                component.recipe->version,
                                                                                component.manifest->artifacts},
                                                      source, *options};
                installed = run_artifact_installer(artifact_installer_path(), request);
            } else {
                installed = std::move(options).error();
            }
        }
        if (!installed) {
            fail(record, failure_of(component.name, "artifacts", installed.error().message));
            return false;
        }
    }
    return true;
}

} // namespace ggl::deployment
