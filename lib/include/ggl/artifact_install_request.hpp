// What ggdeploymentd asks of the artifact-installer program and what it answers: one
// msgpack map each way, on the program's stdin and stdout (docs/deployments.md).
#pragma once

#include "ggl/artifact_install.hpp"
#include "ggl/error.hpp"
#include "ggl/object.hpp"

#include <filesystem>

namespace ggl::store {

// One call of install_artifacts, as data.
struct ArtifactInstallRequest {
    StoreLayout layout;
    ComponentArtifacts component;
    std::filesystem::path source_dir;
    InstallOptions options;
};

// The request as a map: {root, component, version, source_dir, artifacts: [{uri, digest,
// algorithm, unarchive, read, execute}], owner: {uid, gid} (only when set), zip_limits:
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
