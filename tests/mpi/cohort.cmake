# Sharded cohort commands (label mpi): the work queue and the cohort loop under `mpirun -n 2`,
# and `mpirun -n 2 unetx predict/evaluate` checked byte for byte against 1-rank runs.
set(UNETX_MPI_TEST_ENV
    "OMPI_MCA_btl=self,vader;OMPI_MCA_plm=isolated;OMPI_MCA_btl_vader_single_copy_mechanism=none")

add_executable(test_mpi_cohort_queue ${CMAKE_CURRENT_SOURCE_DIR}/mpi/cohort_queue_test.cpp)
target_compile_options(test_mpi_cohort_queue PRIVATE ${UNETX_WARNINGS})
target_link_libraries(test_mpi_cohort_queue PRIVATE unetx_pipeline GTest::gtest)
add_test(NAME CohortWorkQueue.TwoRanks
         COMMAND ${MPIEXEC_PROGRAM} --allow-run-as-root --oversubscribe -n 2
                 $<TARGET_FILE:test_mpi_cohort_queue>)
set_tests_properties(CohortWorkQueue.TwoRanks PROPERTIES LABELS "mpi" TIMEOUT 180
                     ENVIRONMENT "${UNETX_MPI_TEST_ENV}")

# Plain executable: it starts mpirun itself around the real binary.
add_executable(test_mpi_cohort_cli ${CMAKE_CURRENT_SOURCE_DIR}/mpi/cohort_cli_test.cpp)
target_compile_options(test_mpi_cohort_cli PRIVATE ${UNETX_WARNINGS})
target_link_libraries(test_mpi_cohort_cli PRIVATE GTest::gtest GTest::gtest_main)
target_compile_definitions(test_mpi_cohort_cli PRIVATE
  UNETX_BINARY="$<TARGET_FILE:unetx>" UNETX_MPIEXEC="${MPIEXEC_PROGRAM}")
add_dependencies(test_mpi_cohort_cli unetx)
add_test(NAME CohortCli.TwoRanksPredictAndEvaluateLikeOneRank
         COMMAND test_mpi_cohort_cli)
set_tests_properties(CohortCli.TwoRanksPredictAndEvaluateLikeOneRank PROPERTIES
                     LABELS "mpi" TIMEOUT 300 ENVIRONMENT "${UNETX_MPI_TEST_ENV}")
