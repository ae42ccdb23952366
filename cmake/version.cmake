# Writes ${OUT} (build/generated/mini_version.h) with the version and the git commit of ${SRC};
# runs at every build and rewrites the file only when it changes, so nothing recompiles needlessly.
execute_process(COMMAND git -C "${SRC}" rev-parse --short=7 HEAD OUTPUT_VARIABLE commit
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
execute_process(COMMAND git -C "${SRC}" log -1 --format=%cI OUTPUT_VARIABLE when
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
set(text "#pragma once\n#define MINI_VERSION \"${VERSION}\"\n#define MINI_GIT_COMMIT \"${commit}\"\n#define MINI_COMMIT_TIME \"${when}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
