#include "io/dicom_values.h"

#include <dcmtk/dcmdata/dcuid.h>

#include <cstdio>
#include <cstring>

namespace unetx::io {

std::string new_dicom_uid() {
  char buffer[100];
  dcmGenerateUniqueIdentifier(buffer, SITE_INSTANCE_UID_ROOT);
  return buffer;
}

std::string decimal_string(double value) {
  if (value == 0.0) return "0";
  char buffer[64];
  for (int digits = 15; digits > 1; --digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strlen(buffer) <= 16) return buffer;
  }
  return buffer;
}

}  // namespace unetx::io
