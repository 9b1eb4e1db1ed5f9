# ctest's golden.NAME: runs scenarios/**/NAME.yaml as tools/update-goldens.sh does
# (its own seed, one thread; with a time series too, which must not change the
# result) and compares the result with tests/golden/NAME.json exactly: any
# difference, missing or added metric fails.
# Variables: SLSIM, SCENARIO, GOLDEN, OUT (a path for the result JSON; OUT.csv gets the series).
if(NOT EXISTS "${GOLDEN}")
  message(FATAL_ERROR "no golden result ${GOLDEN} for ${SCENARIO}: run tools/update-goldens.sh and commit it")
endif()
execute_process(COMMAND "${SLSIM}" run "${SCENARIO}" --threads 1 --quiet --json "${OUT}" --csv "${OUT}.csv"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0 AND NOT status EQUAL 1)  # 1: an expectation failed, which check.NAME reports
  message(FATAL_ERROR "${SCENARIO} did not run (exit ${status})")
endif()
execute_process(COMMAND "${SLSIM}" compare "${GOLDEN}" "${OUT}" --tolerance 0 --strict RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SCENARIO} no longer gives its golden result ${GOLDEN} (above: what changed). If the "
                      "change is meant, run tools/update-goldens.sh and commit the new golden with the change.")
endif()
