// One entry point per command; main.cpp's table maps names to them. Each takes the command's
// own argv (argv[0] is the command name) and returns the process exit code.
#pragma once

namespace unetx::cli {

int cmd_preprocess(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_explain(int argc, char** argv);
int cmd_uncertainty(int argc, char** argv);
int cmd_evaluate(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_demo(int argc, char** argv);
int cmd_models(int argc, char** argv);

}  // namespace unetx::cli
