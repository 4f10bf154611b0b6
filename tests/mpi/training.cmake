# Data-parallel training under MPI (issue 6, training half); included from tests/CMakeLists.txt.
set(UNETX_MPI_ENV "OMPI_MCA_btl=self,vader;OMPI_MCA_plm=isolated;OMPI_MCA_btl_vader_single_copy_mechanism=none")

# In-process collectives: one binary, run by mpirun with 2 ranks.
file(GLOB training_mpi_sources CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/mpi/gradient_*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/mpi/training_mpi_*.cpp)
add_executable(test_mpi_training ${training_mpi_sources})
target_compile_options(test_mpi_training PRIVATE ${UNETX_WARNINGS})
target_link_libraries(test_mpi_training PRIVATE unetx_pipeline GTest::gtest)
unetx_precompile(test_mpi_training)
add_test(NAME MpiTraining.TwoRanks
         COMMAND ${MPIEXEC_PROGRAM} --allow-run-as-root --oversubscribe -n 2
                 $<TARGET_FILE:test_mpi_training>)
set_tests_properties(MpiTraining.TwoRanks PROPERTIES LABELS "mpi" TIMEOUT 300
                     ENVIRONMENT "${UNETX_MPI_ENV}")

# The unetx binary under mpirun, started and watched by an ordinary test program.
add_executable(test_mpi_training_cli ${CMAKE_CURRENT_SOURCE_DIR}/mpi/training_cli_test.cpp)
target_compile_options(test_mpi_training_cli PRIVATE ${UNETX_WARNINGS})
target_link_libraries(test_mpi_training_cli PRIVATE GTest::gtest GTest::gtest_main)
target_compile_definitions(test_mpi_training_cli PRIVATE UNETX_BINARY="$<TARGET_FILE:unetx>"
                           UNETX_MPIRUN="${MPIEXEC_PROGRAM}")
add_dependencies(test_mpi_training_cli unetx)
gtest_discover_tests(test_mpi_training_cli PROPERTIES LABELS "mpi" TIMEOUT 300
                     DISCOVERY_TIMEOUT 60)
