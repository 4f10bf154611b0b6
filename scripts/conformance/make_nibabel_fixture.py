#!/usr/bin/python3
"""Writes tests/data/conformance/nibabel_fixture.json: what nibabel (an implementation unetx
does not share code with) reads from NIfTI files unetx did not write, for
tests/io/test_nifti_conformance.cpp. Run once with /usr/bin/python3 (nibabel 5.0 + numpy) after
scripts/fetch_test_data.sh; the tests read only the JSON, never Python.

It also writes a few small files the external set lacks into tests/data/conformance/:
  be_int16_scaled.nii.gz    big-endian int16, scl_slope/scl_inter, rotated affine
  qform_sform_differ.nii.gz qform_code 1 and sform_code 2 disagreeing (ITK keeps the qform)
  nifti2_be_f64_4d.nii      NIfTI-2, big-endian float64, 4-D, rotated sform
  pair_uint8_scaled.hdr/.img NIfTI-1 pair, uint8, scaled

Conventions recorded per file:
  shape        nibabel's (x, y, z[, t]) extents
  spacing      pixdim[1..3] in mm (xyzt_units applied), which is what ITK reports
  transform    the affine ITK 5.2 uses, by the rule below ("sform", "qform" or "none")
  origin, direction  from that affine in unetx's LPS convention:
                     LPS affine = diag(-1, -1, 1, 1) @ RAS affine (nibabel's);
                     origin = its translation column, direction columns = its 3x3 columns
                     divided by their norms (row-major in the JSON)
  scl_slope, scl_inter  the scaling nibabel applies (1, 0 when none)
  checksum     over nibabel's scaled data (float64): NaN and Inf counts, then over the finite
               voxels sum, sum of squares, min, max; and voxels [x, y, z, t, value] at a few
               fixed indices (a non-finite value is written as null: JSON has no NaN)

ITK 5.2's rule (NiftiImageIO::SetImageIOOrientationFromNIfTI), written here independently:
  both codes 0 -> none (origin 0, identity). Otherwise the sform is used when it equals the qform
  (3x3 within 1e-5, offsets within 1e-7), or when its normalised 3x3 is orthonormal (1e-4) and
  (qform_code == 0, or sform_code == 1, or both set and the two give the same rotation, column
  scales and offset within 1e-4); else the qform.
"""
import json
import os
import sys

import numpy as np
import nibabel as nib

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXTERNAL = os.path.join(ROOT, "tests", "data", "external", "nibabel")
OUT_DIR = os.path.join(ROOT, "tests", "data", "conformance")

EXTERNAL_FILES = [
    "anatomical.nii",             # big-endian int16
    "functional.nii",             # 4-D, scaled int16
    "example4d.nii.gz",           # 4-D, qform != sform (both code 1)
    "example_nifti2.nii.gz",      # NIfTI-2
    "standard.nii.gz",            # qform_code 0, sform_code 2
    "reoriented_anat_moved.nii",  # big-endian float32
    "resampled_anat_moved.nii",   # big-endian float32
]


def rotation(ax, ay, az):
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def affine(rot, zooms, offset):
    a = np.eye(4)
    a[:3, :3] = rot @ np.diag(zooms)
    a[:3, 3] = offset
    return a


def ramp(shape, dtype, scale, shift):
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape, order="F")
    values = (values * scale + shift) % 997 - 300
    return values.astype(dtype)


def make_generated():
    os.makedirs(OUT_DIR, exist_ok=True)
    made = []

    # Big-endian int16 with a scaling, sform == qform (code 1).
    data = ramp((7, 6, 5), ">i2", 37, 11)
    aff = affine(rotation(0.2, -0.1, 0.5), (0.8, 1.1, 2.5), (-20.5, 14.25, 3.0))
    # nibabel writes in the header's byte order, so the header is made big-endian.
    img = nib.Nifti1Image(data, aff, header=nib.Nifti1Header(endianness=">"))
    img.header.set_data_dtype(">i2")
    img.header.set_slope_inter(0.5, -10.0)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    path = os.path.join(OUT_DIR, "be_int16_scaled.nii.gz")
    nib.save(img, path)
    made.append(path)

    # qform (code 1) and sform (code 2, ALIGNED_ANAT) that disagree: ITK keeps the qform.
    data = ramp((6, 5, 4), np.float32, 0.7, 2)
    qaff = affine(rotation(0.0, 0.0, 0.3), (1.0, 1.5, 2.0), (10.0, -5.0, 7.0))
    saff = affine(rotation(0.1, 0.0, -0.2), (1.0, 1.5, 2.0), (12.0, -4.0, 6.0))
    img = nib.Nifti1Image(data, saff)
    img.set_qform(qaff, code=1)
    img.set_sform(saff, code=2)
    path = os.path.join(OUT_DIR, "qform_sform_differ.nii.gz")
    nib.save(img, path)
    made.append(path)

    # NIfTI-2, big-endian float64, 4-D, a rotated sform (code 1) and matching qform.
    data = ramp((5, 4, 3, 2), ">f8", 1.25, 0.5)
    aff = affine(rotation(-0.3, 0.2, 0.1), (1.2, 0.9, 3.0), (30.0, -12.0, -8.5))
    img = nib.Nifti2Image(data, aff, header=nib.Nifti2Header(endianness=">"))
    img.header.set_data_dtype(">f8")
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    path = os.path.join(OUT_DIR, "nifti2_be_f64_4d.nii")
    nib.save(img, path)
    made.append(path)

    # NIfTI-1 pair (.hdr + .img), uint8 with a scaling.
    data = ramp((6, 5, 4), np.uint8, 3, 1) % 200
    data = data.astype(np.uint8)
    aff = affine(np.eye(3), (2.0, 2.0, 3.0), (-6.0, -5.0, -6.0))
    img = nib.Nifti1Pair(data, aff)
    img.header.set_slope_inter(2.0, 1.5)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    path = os.path.join(OUT_DIR, "pair_uint8_scaled.hdr")
    nib.save(img, path)
    made.append(path)
    return made


def column_norms(m):
    return np.sqrt((m[:3, :3] ** 2).sum(axis=0))


def itk_transform(header):
    qcode, scode = int(header["qform_code"]), int(header["sform_code"])
    if qcode == 0 and scode == 0:
        return "none"
    q = header.get_qform() if qcode > 0 else np.zeros((4, 4))
    s = header.get_sform() if scode > 0 else np.zeros((4, 4))
    prefer_sform = (np.abs(s[:3, :3] - q[:3, :3]).max() <= 1e-5 and
                    np.abs(s[:3, 3] - q[:3, 3]).sum() <= 1e-7)
    if (not prefer_sform or scode != 0) and scode > 0:
        norms = column_norms(s)
        if np.all(norms > 0):
            r = s[:3, :3] / norms
            if np.abs(r @ r.T - np.eye(3)).max() <= 1e-4:
                if qcode == 0 or scode == 1:
                    prefer_sform = True
                else:
                    qn = column_norms(q)
                    prefer_sform = bool(
                        np.abs(norms - qn).max() <= 1e-4 and
                        np.abs(r - q[:3, :3] / qn).max() <= 1e-4 and
                        np.abs(s[:3, 3] - q[:3, 3]).max() <= 1e-4)
    if prefer_sform:
        return "sform"
    return "qform"


def lps_geometry(header, transform):
    ndim = min(3, int(header["dim"][0]))
    if transform == "none":
        return [0.0, 0.0, 0.0], np.eye(3).reshape(-1).tolist()
    ras = header.get_sform() if transform == "sform" else header.get_qform()
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ ras
    origin = lps[:3, 3].copy()
    direction = np.eye(3)
    block = lps[:ndim, :ndim]
    direction[:ndim, :ndim] = block / np.sqrt((block ** 2).sum(axis=0))
    origin[ndim:] = 0.0
    return origin.tolist(), direction.reshape(-1).tolist()


def spacing(header):
    units = header.get_xyzt_units()[0]
    scale = {"meter": 1e3, "mm": 1.0, "micron": 1e-3}.get(units, 1.0)
    pixdim = header["pixdim"]
    ndim = min(3, int(header["dim"][0]))
    return [float(pixdim[i + 1]) * scale if i < ndim else 1.0 for i in range(3)]


def sample_indices(shape):
    full = list(shape) + [1] * (4 - len(shape))
    picks = [(0, 0, 0, 0), tuple(n - 1 for n in full), tuple(n // 2 for n in full),
             (full[0] // 3, full[1] - 1, full[2] // 2, full[3] - 1)]
    return [list(p) for p in picks]


def describe(path):
    img = nib.load(path)
    header = img.header
    data = np.asanyarray(img.dataobj).astype(np.float64)
    slope, inter = img.dataobj.slope, img.dataobj.inter
    transform = itk_transform(header)
    origin, direction = lps_geometry(header, transform)
    data4 = data.reshape(data.shape + (1,) * (4 - data.ndim))
    finite = data[np.isfinite(data)]
    voxels = []
    for p in sample_indices(data.shape):
        value = float(data4[tuple(p)])
        voxels.append(p + [value if np.isfinite(value) else None])
    return {
        "file": os.path.relpath(path, os.path.join(ROOT, "tests", "data")),
        "nifti_version": 2 if isinstance(header, nib.Nifti2Header) else 1,
        "stored_dtype": header.get_data_dtype().str,
        "shape": [int(n) for n in data.shape],
        "spacing": spacing(header),
        "qform_code": int(header["qform_code"]),
        "sform_code": int(header["sform_code"]),
        "transform": transform,
        "origin": origin,
        "direction": direction,
        "scl_slope": float(slope),
        "scl_inter": float(inter),
        "checksum": {
            "nan_count": int(np.isnan(data).sum()),
            "inf_count": int(np.isinf(data).sum()),
            "sum": float(finite.sum()),
            "sum_squares": float((finite ** 2).sum()),
            "min": float(finite.min()),
            "max": float(finite.max()),
            "voxels": voxels,
        },
    }


def main():
    missing = [f for f in EXTERNAL_FILES if not os.path.exists(os.path.join(EXTERNAL, f))]
    if missing:
        sys.exit("missing %s: run scripts/fetch_test_data.sh first" % ", ".join(missing))
    generated = make_generated()
    entries = [describe(os.path.join(EXTERNAL, f)) for f in EXTERNAL_FILES]
    entries += [describe(p) for p in generated]
    fixture = {
        "generator": "scripts/conformance/make_nibabel_fixture.py",
        "nibabel_version": nib.__version__,
        "convention": "LPS = diag(-1,-1,1) * nibabel RAS affine; direction row-major, columns "
                      "are the x, y, z index axes; shape and voxels in nibabel (x, y, z, t) order",
        "files": entries,
    }
    out = os.path.join(OUT_DIR, "nibabel_fixture.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote %s (%d files)" % (os.path.relpath(out, ROOT), len(entries)))


if __name__ == "__main__":
    main()
