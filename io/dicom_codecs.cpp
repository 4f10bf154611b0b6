#include "io/dicom_codecs.h"

#include <dcmtk/dcmdata/dcobject.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/oflog/oflog.h>

#include <mutex>

namespace unetx::io {

void register_dicom_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK would print its own parser warnings to stderr; unetx reports problems through
    // unetx::Error and its own log, and stderr must not carry attribute values.
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    // Elements re-encoded as UN by a converter that lost the VR (seen in real RT Dose files)
    // are read with their dictionary VR, so their numbers stay usable.
    dcmEnableUnknownVRConversion.set(OFTrue);
    // An explicit-VR file with implicit-VR elements (a known writer bug) is read as pydicom
    // and GDCM read it, instead of losing sync and failing at the end of the stream.
    dcmAcceptUnexpectedImplicitEncoding.set(OFTrue);
    DJDecoderRegistration::registerCodecs();
    DJEncoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DJLSEncoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
  });
}

}  // namespace unetx::io
