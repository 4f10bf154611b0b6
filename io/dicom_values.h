// Small value encodings every DICOM writer in unetx needs (series export, SEG).
#pragma once

#include <string>

namespace unetx::io {

// A fresh UID under DCMTK's site root (dcmGenerateUniqueIdentifier).
std::string new_dicom_uid();

// A decimal string (VR DS) holds at most 16 characters: the most significant digits that fit.
std::string decimal_string(double value);

}  // namespace unetx::io
