// The component store under $GGL_ROOT (docs/deployments.md): where recipes and artifacts are put, safely.
#pragma once

#include "ggl/error.hpp"
#include "ggl/recipe.hpp"
#include "ggl/semver.hpp"
#include "ggl/zip_archive.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace ggl::store {

// The paths of the store, as lib/src/interpolation.cpp resolves {artifacts:path} and
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

// is_safe_path_segment (zip_archive.hpp) checks names and versions used as store paths.

// The file name an artifact is stored under: the last path segment of its Uri
// ("s3://bucket/a/b.zip" → "b.zip", "greengrass:b.zip" → "b.zip", query and fragment of
// https URIs dropped). docker: URIs → UNSUPPORTED; a name that is not a safe path segment
// (or a Uri without one) → INVALID naming the Uri.
Result<std::string> artifact_file_name(const Artifact& artifact);

// The directory a ZIP artifact is unarchived into, below unarchived_dir: its file name
// without the last extension ("b.zip" → "b"; "b" → "b"). INVALID when that is empty.
Result<std::string> unarchive_folder_name(std::string_view file_name);

// The digest of a file as Greengrass writes it in a recipe: base64 (RFC 4648, padded) of
// the raw SHA-256.
Result<std::string> sha256_base64(const std::filesystem::path& file);

// Checks `file` against the artifact's Digest: no Digest → ok; Algorithm "SHA-256" (case
// ignored; the default when absent) → compares with sha256_base64 (a missing '=' padding
// is tolerated); any other algorithm → UNSUPPORTED; a mismatch → INVALID naming the file,
// the expected and the actual digest.
Result<void> verify_digest(const std::filesystem::path& file, const Artifact& artifact);

// The mode an artifact file is stored with (see component_store.cpp):
// owner read always (the store must be able to re-hash its own copies); Read ALL adds
// r for group and others; Execute OWNER adds owner x; Execute ALL adds r and x for
// everyone (execution needs read). Nobody gets write: store copies are immutable and are
// replaced by rename, which needs only the directory's write permission.
// INVALID for a permission other than NONE, OWNER or ALL.
Result<mode_t> artifact_mode(const Artifact& artifact);

// Copies the recipe file into recipes_dir as <name>-<version>.<yaml|json>, the syntax of
// `recipe_source` (recipe_syntax_for) kept: temporary file, fsync, rename, fsync of the
// directory. A stored copy of the other syntax is removed after. INVALID for unsafe
// names, NOENTRY when the source is missing.
Result<void> install_recipe(const StoreLayout& layout, const std::filesystem::path& recipe_source,
                            const Recipe& recipe);

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

// One entry below a component version's artifact directory (see scan_artifact_directory).
struct DirectoryEntry {
    std::filesystem::path relative;  // below the directory: "lib", "lib/util.py"
    bool directory = false;
    mode_t mode = 0;  // the source's permission bits
};

// What install_artifacts copies from `source_dir` besides the listed artifacts: a local
// deployment copies the component version's whole artifact directory
// (<artifact dir>/<name>/<version>/), as the Greengrass CLI does, so that a recipe
// without Artifacts can still run {artifacts:path}/script. Every directory and regular
// file below it, recursively, parents before their contents, sorted by name; the files
// at the top that `manifest` lists are left out (they are installed as artifacts, with
// their digest and permissions). An empty or missing source_dir has nothing to copy; one
// that is not a directory → INVALID. Symbolic links below source_dir are neither followed
// nor copied (a link could bring a file from anywhere into the store, given to the
// component's user): one → INVALID naming it, and so is anything that is neither a
// directory nor a regular file (FIFO, socket, device). source_dir itself may be a link.
Result<std::vector<DirectoryEntry>> scan_artifact_directory(const std::filesystem::path& source_dir,
                                                            const Manifest& manifest);

// The mode a copied, unlisted file is stored with (the reasons are in
// component_store.cpp): the source's read and execute bits (so an executable stays
// executable, for the same classes), owner read always, never write, setuid, setgid or
// sticky.
mode_t directory_file_mode(mode_t source_mode);

// Puts every artifact of `manifest` into artifacts_dir(recipe.name, recipe.version):
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
// made even for a manifest without artifacts, so {artifacts:path} always exists.
//
// Idempotent: a stored copy with the same content is kept (its mode and owner
// corrected), and so is its unarchived folder (extracted again only when the mode or
// owner changed). Everything is validated before the store is touched (file names,
// duplicates within the manifest, permissions, algorithms, sources present, the
// directory scanned); a failure in any artifact or copied file then undoes what this call
// did for this component version (files and directories it created are removed, files
// and folders it replaced are put back). Copied files are opened again without following
// links, so a link swapped in after the scan fails the install rather than being read.
Result<void> install_artifacts(const StoreLayout& layout, const Recipe& recipe, const Manifest& manifest,
                               const std::filesystem::path& source_dir, const InstallOptions& options = {});

// Deletes the recipe (either syntax), artifacts_dir and unarchived_dir of one version,
// and the component's artifact directories when they are left empty. work/ is kept.
// Missing pieces are fine. INVALID when name or version is not a safe path segment.
Result<void> remove_component_version(const StoreLayout& layout, std::string_view name,
                                      std::string_view version);

// The versions of `name` with a recipe in the store, ascending (file names that do not
// parse as <name>-<SemVer>.<yaml|json> are ignored).
std::vector<SemVer> stored_versions(const StoreLayout& layout, std::string_view name);

} // namespace ggl::store
