# Man pages, shell completions, install and the Debian package
# (docs/install.md). Included from the top-level CMakeLists.txt.
include(GNUInstallDirs)

# The man pages, made from the binary's own option tables and the prose in
# docs/man/ by scripts/gen-man.sh (bash and awk only), every build.
file(GLOB ASSURE_MAN_PROSE CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.md)
set(ASSURE_MAN_DIR ${CMAKE_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${ASSURE_MAN_DIR}/assure.1
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh $<TARGET_FILE:assure> ${ASSURE_MAN_DIR}
  # installed compressed, as Debian keeps man pages (-n: no time stamp inside)
  COMMAND sh -c "gzip -9nkf '${ASSURE_MAN_DIR}'/*.1"
  DEPENDS assure ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh ${ASSURE_MAN_PROSE}
  COMMENT "Writing the man pages"
  VERBATIM)
add_custom_target(man ALL DEPENDS ${ASSURE_MAN_DIR}/assure.1)

# PREFIX/bin/assure finds the rest under PREFIX/share/assure (engine/datadir.h),
# laid out as in the source tree, so the example map's relative include and
# the rule tests' relative paths work there too.
install(TARGETS assure RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${ASSURE_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1.gz")
install(FILES ${PROJECT_SOURCE_DIR}/completions/assure.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME assure)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_assure
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
set(ASSURE_DATA ${CMAKE_INSTALL_DATADIR}/assure)
# ... and, where /proc is not mounted (a bare chroot), the data directory of
# the prefix it was built for.
set_property(SOURCE ${PROJECT_SOURCE_DIR}/engine/datadir.c TARGET_DIRECTORY assure_core APPEND
             PROPERTY COMPILE_DEFINITIONS ASSURE_INSTALL_DATADIR="${CMAKE_INSTALL_FULL_DATADIR}/assure")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/ DESTINATION ${ASSURE_DATA}/rules
        FILES_MATCHING PATTERN "*.lua" PATTERN "*.test.yaml" PATTERN "*.yaml")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/mappings/standard ${PROJECT_SOURCE_DIR}/mappings/met-2021-22
        DESTINATION ${ASSURE_DATA}/mappings)
# the example's exports, and the maps the rule library's test cases use
install(DIRECTORY ${PROJECT_SOURCE_DIR}/fixtures/met-2021-22 ${PROJECT_SOURCE_DIR}/fixtures/rules
        DESTINATION ${ASSURE_DATA}/fixtures)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "man" EXCLUDE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB (scripts/package.sh): the runtime libraries come from
# dpkg-shlibdeps, which reads the binary's own needs (liblua5.4-0,
# libsqlite3-0, libyaml-0-2, libzip4, libexpat1, libnettle8, libseccomp2, libc6).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME assure)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "assure maintainers <assure@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "assurance-mapping rules engine")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Loads a three-lines assurance map (YAML), imports tracker exports into\nSQLite and runs sandboxed Lua rules over them to flag gaps in control and\nassurance, overdue audit actions and weak maturity. Includes the standard\nrule library, the standard model and a worked example.")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
include(CPack)
