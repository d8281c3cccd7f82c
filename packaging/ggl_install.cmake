# Install layout shared by every part: where the programs, ggl's private libraries and
# the systemd units go; ggl_install_daemon_units(), which every daemon calls once, and
# ggl_program_link() for the names the ggl command is also run by.
#
# Layout (under the prefix, /usr by default):
#   bin/ggl                   the command-line tool; ggl-config, ggl-recipe, ggl-bus: links to it
#   bin/<daemon>              each daemon and recipe-runner, an executable of its own
#   libexec/ggl/              programs that other ggl programs run: the ggl command's helpers
#                             (ggl-check, ...: docs/cli.md) and ggdeploymentd's
#                             artifact-installer; RUNPATH $ORIGIN/../../lib/<triplet>/ggl
#   lib/<triplet>/ggl/        libggl*.so.0, private (no headers, no namelinks); the
#                             programs find them through RUNPATH $ORIGIN/../lib/<triplet>/ggl
#   lib/systemd/system/       <daemon>.service, <daemon>.socket, ggl.target
#   lib/sysusers.d/ lib/tmpfiles.d/ and /etc/greengrass/config.yaml (see packaging/)

# A system runtime: its units, tmpfiles and paths are system-wide, and the .deb installs
# under /usr, so that is the default prefix too (-DCMAKE_INSTALL_PREFIX=... overrides it).
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX "/usr" CACHE PATH "Install path prefix" FORCE)
endif()
include(GNUInstallDirs)

# Private: nothing outside ggl links these libraries, so they stay out of the linker's path.
set(GGL_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}/ggl")
# Executables find the private libraries relative to themselves; the libraries find each
# other in their own directory (lib/CMakeLists.txt sets $ORIGIN: a library's dependencies
# are looked up through the library's own RUNPATH, not the executable's). One directory
# each: the loader tries every RUNPATH directory for every library, the system's too.
set(CMAKE_INSTALL_RPATH "$ORIGIN/../${GGL_INSTALL_LIBDIR}")

# ggl's libexec directory: the ggl command's helper programs (docs/cli.md), the parts of
# verbs that need sqlite, libsystemd or libcrypto, which ggl does not map (it replaces
# itself with them), and ggdeploymentd's artifact-installer. They are found relative to
# the running program's directory (GGL_HELPER_DIR_FROM_BINDIR, ../libexec/ggl),
# so the build tree has the same layout: build/bin/ggl, build/libexec/ggl/.
set(GGL_INSTALL_HELPERDIR "${CMAKE_INSTALL_LIBEXECDIR}/ggl")
file(RELATIVE_PATH GGL_HELPER_DIR_FROM_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBEXECDIR}/ggl")
cmake_path(ABSOLUTE_PATH GGL_HELPER_DIR_FROM_BINDIR BASE_DIRECTORY "${CMAKE_RUNTIME_OUTPUT_DIRECTORY}" NORMALIZE
  OUTPUT_VARIABLE GGL_HELPERS_BUILD_DIR)
file(RELATIVE_PATH GGL_BINDIR_FROM_HELPER_DIR "${CMAKE_INSTALL_FULL_LIBEXECDIR}/ggl" "${CMAKE_INSTALL_FULL_BINDIR}")
file(RELATIVE_PATH ggl_helper_to_libdir "${CMAKE_INSTALL_FULL_LIBEXECDIR}/ggl" "${CMAKE_INSTALL_FULL_LIBDIR}/ggl")

# ggl_libexec_program(TARGET): a program other ggl programs run, not a user: in the
# build's libexec/ggl/ and installed in ${GGL_INSTALL_HELPERDIR}, finding the private
# libraries through RUNPATH from there (found with ggl::cli::helper_path()).
function(ggl_libexec_program target)
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${GGL_HELPERS_BUILD_DIR}"
    INSTALL_RPATH "$ORIGIN/${ggl_helper_to_libdir}")
  install(TARGETS ${target} RUNTIME DESTINATION ${GGL_INSTALL_HELPERDIR})
endfunction()

# ggl_helper_program(TARGET): a helper program of the ggl command (a libexec program);
# building ggl builds it.
function(ggl_helper_program target)
  ggl_libexec_program(${target})
  add_dependencies(ggl-front ${target})
endfunction()

# The unit directories are relative to the prefix so that an install under another
# prefix (or a staging DESTDIR) stays self-contained; with prefix /usr this is
# /usr/lib/systemd/system, which systemd reads on Debian (and on merged-/usr is /lib's).
set(GGL_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "where systemd units are installed, relative to the prefix")
set(GGL_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING "where the sysusers.d entry is installed, relative to the prefix")
set(GGL_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING "where the tmpfiles.d entry is installed, relative to the prefix")

# Unit templates are configured into build/units (the sandbox and the integration tests
# use them from there, adapted for a user manager) and installed from there.
set(GGL_UNITS_BUILD_DIR "${CMAKE_BINARY_DIR}/units")

# ggl_install_daemon_units(NAME): configures and installs NAME.service (and NAME.socket,
# when the daemon's folder has NAME.socket.in) and makes ggl.target start them.
# A new daemon (ggipcd, ggpubsubd, ...) puts NAME.service.in / NAME.socket.in beside its
# sources and calls this from its CMakeLists.txt; nothing else needs editing.
# In the templates, @GGL_BINDIR@ is the installed bin directory.
function(ggl_install_daemon_units name)
  set(GGL_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
  set(units "${name}.service")
  if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${name}.socket.in")
    list(APPEND units "${name}.socket")
  endif()
  foreach(unit IN LISTS units)
    configure_file("${CMAKE_CURRENT_SOURCE_DIR}/${unit}.in" "${GGL_UNITS_BUILD_DIR}/${unit}" @ONLY)
    install(FILES "${GGL_UNITS_BUILD_DIR}/${unit}" DESTINATION "${GGL_SYSTEMD_UNIT_DIR}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY GGL_DAEMON_UNITS ${units})
  set_property(GLOBAL APPEND PROPERTY GGL_DAEMON_SERVICES "${name}.service")
endfunction()

# ggl_program_link(TARGET NAME): NAME, a symbolic link to the ggl executable beside it
# (cli/ggl/main.cpp runs the verb it names), in the build's bin/ (made by TARGET, which
# tests and benchmarks depend on) and in the install tree.
function(ggl_program_link target name)
  add_custom_target(${target} ALL
    COMMAND ${CMAKE_COMMAND} -E create_symlink ggl $<TARGET_FILE_DIR:ggl-front>/${name}
    COMMENT "Linking ${name} to ggl"
    VERBATIM)
  add_dependencies(${target} ggl-front)
  set(dir "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")
  install(CODE "file(MAKE_DIRECTORY \"${dir}\")\nfile(CREATE_LINK ggl \"${dir}/${name}\" SYMBOLIC)")
endfunction()
