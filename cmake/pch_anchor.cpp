// The one source of the unetx_pch target: it exists so that CMake has a target to build the
// shared precompiled LibTorch header in (see unetx_precompile in CMakeLists.txt).
