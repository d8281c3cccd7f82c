// Artifacts into the component store (docs/deployments.md): digests, modes, owners, ZIPs.
// This is the part of the store that needs libcrypto and libarchive; ggdeploymentd does not
// link it, it runs the artifact-installer program with an ArtifactInstallRequest
// (artifact_install_request.hpp, which also has the types used here).
#pragma once

#include "ggl/artifact_directory.hpp"
#include "ggl/artifact_install_request.hpp"
#include "ggl/component_store.hpp"
#include "ggl/error.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"
#include "ggl/zip_archive.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ggl::store {

// The digest of a file as Greengrass writes it in a recipe: base64 (RFC 4648, padded) of
// the raw SHA-256.
Result<std::string> sha256_base64(const std::filesystem::path& file);

// Checks `file` against the artifact's Digest: no Digest → ok; Algorithm "SHA-256" (case
// ignored; the default when absent) → compares with sha256_base64 (a missing '=' padding
// is tolerated); any other algorithm → UNSUPPORTED; a mismatch → INVALID naming the file,
// the expected and the actual digest.
Result<void> verify_digest(const std::filesystem::path& file, const Artifact& artifact);

// The mode an artifact file is stored with (see artifact_install.cpp):
// owner read always (the store must be able to re-hash its own copies); Read ALL adds
// r for group and others; Execute OWNER adds owner x; Execute ALL adds r and x for
// everyone (execution needs read). Nobody gets write: store copies are immutable and are
// replaced by rename, which needs only the directory's write permission.
// INVALID for a permission other than NONE, OWNER or ALL.
Result<mode_t> artifact_mode(const Artifact& artifact);

// The mode a copied, unlisted file is stored with (the reasons are in
// artifact_install.cpp): the source's read and execute bits (so an executable stays
// executable, for the same classes), owner read always, never write, setuid, setgid or
// sticky.
mode_t directory_file_mode(mode_t source_mode);

// Puts every artifact of `component` into artifacts_dir(component.name, component.version):
// the source is `source_dir/<artifact_file_name>` (for a local deployment,
// <artifact dir>/<name>/<version>/); missing → NOENTRY naming that path. Then the rest of
// source_dir (scan_artifact_directory) is copied below artifacts_dir keeping its layout:
// files with directory_file_mode (owned by options.owner when set), directories 0755,
// owned by the installing process like the store's own directories; files the store
// holds from an earlier install that source_dir no longer has are left. Each listed file is
// copied into a temporary file while it is hashed, checked against its Digest, given
// artifact_mode, synced and renamed into place; Unarchive ZIP ones are then extracted
// (extract_zip) into unarchived_dir/<unarchive_folder_name>/, whose files get the
// artifact's read bits, their own exec bits limited to those who may read, and whose
// directories get 0755; all of them owned by options.owner when set. artifacts_dir is
// made even for a component without artifacts, so {artifacts:path} always exists.
//
// Idempotent: a stored copy with the same content is kept (its mode and owner
// corrected), and so is its unarchived folder (extracted again only when the mode or
// owner changed). Everything is validated before the store is touched (file names,
// duplicates within the list, permissions, algorithms, sources present, the
// directory scanned); a failure in any artifact or copied file then undoes what this call
// did for this component version (files and directories it created are removed, files
// and folders it replaced are put back). Copied files are opened again without following
// links, so a link swapped in after the scan fails the install rather than being read.
Result<void> install_artifacts(const StoreLayout& layout, const ComponentArtifacts& component,
                               const std::filesystem::path& source_dir, const InstallOptions& options = {});

} // namespace ggl::store
