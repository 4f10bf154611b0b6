// DCMTK keeps its pixel-data codecs in a global registry; unetx registers them once per process
// (thread-safe) before the first DICOM read or write.
#pragma once

namespace unetx::io {

// Registers DCMTK's JPEG, JPEG-LS and RLE decoders and encoders and turns DCMTK's own logging
// down to fatal errors. Two tolerant-parsing switches of DCMTK are turned on for the whole
// process: UN elements of known tags are read with their dictionary VR, and implicit-VR
// elements inside an explicit-VR dataset are accepted. Later calls do nothing.
// The registrations live until the process exits (DCMTK's cleanup() must not race readers).
void register_dicom_codecs();

}  // namespace unetx::io
