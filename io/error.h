// The one error type of the unetx library: it names the file (or option, or case) at fault and
// the problem, so a command can print "unetx <command>: <file>: <reason>" and go on with the
// next case.
#pragma once

#include <stdexcept>
#include <string>

namespace unetx {

class Error : public std::runtime_error {
 public:
  // `subject` is the file, folder, option or case the problem is about; may be empty.
  Error(std::string subject, std::string reason)
      : std::runtime_error(subject.empty() ? reason : subject + ": " + reason),
        subject_(std::move(subject)),
        reason_(std::move(reason)) {}

  const std::string& subject() const { return subject_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string subject_;
  std::string reason_;
};

}  // namespace unetx
