# The sbatch templates on a real single-node SLURM cluster started by the test itself (label
# slurm): templates, preemption, requeue and resume. Skipped (exit 77) without root or without
# the slurm-wlm and munge packages (scripts/setup.sh --tests installs them).
add_test(NAME SlurmHarness.TemplatesPreemptionAndResume
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_harness_test.sh
                 $<TARGET_FILE:unetx> ${CMAKE_SOURCE_DIR})
# Serial: it starts daemons and fills both cores; the MPI settings reach the jobs' ranks too.
set_tests_properties(SlurmHarness.TemplatesPreemptionAndResume PROPERTIES
                     LABELS "slurm" TIMEOUT 420 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
                     ENVIRONMENT "OMPI_MCA_btl=self,vader;OMPI_MCA_btl_vader_single_copy_mechanism=none")
