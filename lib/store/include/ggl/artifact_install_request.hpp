// What ggdeploymentd asks of the artifact-installer program and what it answers: one
// msgpack map each way, on the program's stdin and stdout (docs/deployments.md).
#pragma once

#include "ggl/component_store.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"
#include "ggl/zip_limits.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ggl::store {

// One component version's artifacts: those of its recipe's manifest for this device.
struct ComponentArtifacts {
    std::string name;
    SemVer version;
    std::vector<Artifact> artifacts;
};

struct FileOwner {
    uid_t uid = 0;
    gid_t gid = 0;
};

struct InstallOptions {
    ZipLimits zip_limits;
    // Under the system manager a component runs as its runWith user, not as the daemon:
    // when set, stored artifact files and their unarchived trees are given to this user
    // and group, so that Read/Execute OWNER mean that user, as in Greengrass (needs
    // CAP_CHOWN). Unset, they belong to the installing process (the user manager case).
    std::optional<FileOwner> owner;
};

// What the artifact-installer is asked: one call of install_artifacts (artifact_install.hpp).
struct ArtifactInstallRequest {
    StoreLayout layout;
    ComponentArtifacts component;
    std::filesystem::path source_dir;
    ZipLimits zip_limits;
    // The components' runWith, "user" or "user:group"; empty when there is none (the user
    // manager case). An installer running as root gives the files to that owner
    // (file_owner_of).
    std::string run_with;
};

// The owner runWith names: the user's uid, and the named group or else the user's primary
// group. CONFIG naming the user or group this device does not have. Looked up without NSS
// modules in the calling process (ggl/unix_accounts.hpp), so daemons may call it.
Result<FileOwner> file_owner_of(const std::string& run_with);

// The request as a map: {root, component, version, source_dir, artifacts: [{uri, digest,
// algorithm, unarchive, read, execute}], run_with (only when set), zip_limits:
// {max_total_bytes, max_entries, max_ratio}}.
Object to_object(const ArtifactInstallRequest& request);

// The request back from its map; INVALID naming the first field that is missing or of
// the wrong type, or a version that is not SemVer.
Result<ArtifactInstallRequest> artifact_install_request_from(const Object& object);

// The answer: {} for success, {error: {code, message}} for a failure (code as the bus
// spells it, error_code_name).
Object to_object(const Result<void>& outcome);

// The outcome back from an answer; FAILURE naming what is wrong with an answer that is
// neither form.
Result<void> artifact_install_outcome_from(const Object& object);

} // namespace ggl::store
