#!/usr/bin/python3
"""Writes tests/data/conformance/pydicom_fixture.json: what unetx must read from each file of
pydicom's DICOM test set, computed independently of unetx (pydicom + numpy; DCMTK's command
line decoders where pydicom has no decoder for a transfer syntax).

Run with Debian's /usr/bin/python3 (pydicom 2.3, numpy, Pillow) after scripts/fetch_test_data.sh:
    /usr/bin/python3 scripts/conformance/make_pydicom_fixture.py
Python is not needed at test time; the JSON is checked in.

Expected values follow unetx's conventions (io/volume.h, io/dicom_series.h):
  - data (C, Z, Y, X): C = samples per pixel; frames sorted along the slice normal
    (cross product of the ImageOrientationPatient cosines) when they have positions;
  - geometry in LPS: origin = first slice's position, direction columns = row cosine, column
    cosine, normal; spacing = (PixelSpacing[1], PixelSpacing[0], median step between slices,
    or SpacingBetweenSlices / SliceThickness / 1 for a single slice);
  - values: stored values, MONOCHROME1 inverted within the stored range, then
    RescaleSlope/Intercept (DoseGridScaling for RT Dose) applied.
Each entry records `decoded_by`: how its reference pixel values were obtained.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SOURCE = os.path.join(ROOT, "tests", "data", "external", "pydicom")
OUTPUT = os.path.join(ROOT, "tests", "data", "conformance", "pydicom_fixture.json")

# Files damaged on purpose: unetx must fail with one line naming the file.
BROKEN = {"MR_truncated.dcm", "no_meta.dcm", "meta_missing_tsyntax.dcm", "badVR.dcm",
          "rtplan_truncated.dcm"}
# SOP class prefixes unetx never reads as images (see non_image_reason in io/dicom_instance.cpp).
NON_IMAGE_SOP_PREFIXES = ("1.2.840.10008.5.1.4.1.1.88.", "1.2.840.10008.5.1.4.1.1.481.3",
                          "1.2.840.10008.5.1.4.1.1.481.5", "1.2.840.10008.5.1.4.1.1.481.8",
                          "1.2.840.10008.5.1.4.1.1.481.4", "1.2.840.10008.5.1.4.1.1.11.",
                          "1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.66",
                          "1.2.840.10008.5.1.4.1.1.104.")
# DCMTK decoders for the syntaxes pydicom (without GDCM/pylibjpeg) cannot decode.
DCMTK_DECODER = {"1.2.840.10008.1.2.4.80": "dcmdjpls", "1.2.840.10008.1.2.4.81": "dcmdjpls",
                 "1.2.840.10008.1.2.4.57": "dcmdjpeg", "1.2.840.10008.1.2.4.70": "dcmdjpeg",
                 "1.2.840.10008.1.2.4.51": "dcmdjpeg", "1.2.840.10008.1.2.4.50": "dcmdjpeg",
                 "1.2.840.10008.1.2.5": "dcmdrle"}
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.91"}


def classify(ds):
    sop = str(ds.get("SOPClassUID", ""))
    if any(sop.startswith(p) for p in NON_IMAGE_SOP_PREFIXES):
        return "not an image"
    if "PixelData" not in ds:
        return "not an image"
    return ""


def floats(ds, keyword, n, item=None):
    src = item if item is not None else ds
    if keyword not in src:
        return None
    value = src[keyword].value
    values = list(value) if isinstance(value, (list, pydicom.multival.MultiValue)) else [value]
    values = [v for v in values if v is not None and str(v).strip() != ""]
    if len(values) < n:
        return None
    return [float(v) for v in values[:n]]


def frame_positions(ds, frames):
    """Per-frame ImagePositionPatient (None when absent), unetx's rules."""
    ipp = floats(ds, "ImagePositionPatient", 3)
    iop = floats(ds, "ImageOrientationPatient", 6) or [1, 0, 0, 0, 1, 0]
    if ipp is None:
        return [None] * frames, iop
    positions = [ipp] * frames
    if ds.get("Modality") == "RTDOSE" and frames > 1 and "GridFrameOffsetVector" in ds:
        offsets = [float(v) for v in ds.GridFrameOffsetVector]
        normal = np.cross(iop[:3], iop[3:])
        positions = [list(np.array(ipp) + (o - offsets[0]) * normal) for o in offsets]
    return positions, iop


def decode(path, ds):
    """Stored pixel values as (frames, samples, rows, columns) and how they were decoded."""
    ts = str(ds.file_meta.TransferSyntaxUID)
    try:
        arr = ds.pixel_array
        how = "pydicom"
    except Exception:  # no pydicom handler: let DCMTK's command-line decoder expand it
        tool = DCMTK_DECODER.get(ts)
        if tool is None:
            raise
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "plain.dcm")
            subprocess.run([tool, path, out], check=True, capture_output=True)
            plain = pydicom.dcmread(out)
            arr = plain.pixel_array
            ds = plain
        how = tool + "+pydicom"
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.SamplesPerPixel)
    arr = np.asarray(arr)
    if ds.PhotometricInterpretation.startswith("YBR") and samples == 3 and "pydicom" == how:
        # pydicom leaves YBR as is; unetx reads RGB (DCMTK converts when it decompresses).
        arr = pydicom.pixel_data_handlers.util.convert_color_space(arr, ds.PhotometricInterpretation, "RGB")
        how += "+ybr_to_rgb"
    shape = (frames, ds.Rows, ds.Columns, samples)
    arr = arr.reshape(shape).transpose(0, 3, 1, 2).astype(np.float64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        bits = int(ds.BitsStored)
        lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if ds.PixelRepresentation
                  else (0, (1 << bits) - 1))
        arr = (lo + hi) - arr
        how += "+monochrome1_inverted"
    return arr, how


def rescale(ds):
    if ds.get("Modality") == "RTDOSE" and "DoseGridScaling" in ds:
        return float(ds.DoseGridScaling), 0.0
    slope = floats(ds, "RescaleSlope", 1) or [1.0]
    intercept = floats(ds, "RescaleIntercept", 1) or [0.0]
    return (slope[0] if slope[0] != 0 else 1.0), intercept[0]


def stored_dtype(ds, identity):
    if not identity:
        return "float32"
    bits, stored, signed = int(ds.BitsAllocated), int(ds.BitsStored), int(ds.PixelRepresentation)
    if bits == 8:
        return "int8" if signed else "uint8"
    if bits == 16:
        return "int16" if signed or stored <= 15 else "int32"
    return "int32" if signed else "int64"


def image_entry(path, ds):
    arr, how = decode(path, ds)
    frames = arr.shape[0]
    positions, iop = frame_positions(ds, frames)
    # Direction cosines are unit vectors; some files store them rounded, unetx normalizes.
    row, col = np.array(iop[:3]), np.array(iop[3:])
    row, col = row / np.linalg.norm(row), col / np.linalg.norm(col)
    normal = np.cross(row, col)
    normal = normal / np.linalg.norm(normal)
    ps = floats(ds, "PixelSpacing", 2) or [1.0, 1.0]
    if positions[0] is not None:
        along = [float(np.dot(p, normal)) for p in positions]
        order = sorted(range(frames), key=lambda k: along[k])
        origin = positions[order[0]]
        steps = [along[order[i + 1]] - along[order[i]] for i in range(frames - 1)]
    else:
        order, origin, steps = list(range(frames)), [0.0, 0.0, 0.0], []
    if steps:
        dz = float(np.median(steps))
    else:
        sbs = floats(ds, "SpacingBetweenSlices", 1)
        thick = floats(ds, "SliceThickness", 1)
        dz = sbs[0] if sbs and sbs[0] > 0 else (thick[0] if thick and thick[0] > 0 else 1.0)
    slope, intercept = rescale(ds)
    values = arr[order] * slope + intercept  # (Z, C, Y, X)
    values = values.transpose(1, 0, 2, 3)    # (C, Z, Y, X)
    c, z, y, x = values.shape
    probes = [[0, 0, 0, 0], [c - 1, z - 1, y - 1, x - 1], [0, z // 2, y // 2, x // 2],
              [c // 2, z - 1, y // 3, (2 * x) // 3], [c - 1, 0, (3 * y) // 4, x // 4]]
    direction = np.stack([row, col, normal], axis=1).reshape(-1)
    ts = str(ds.file_meta.TransferSyntaxUID)
    return {
        "expect": "image",
        "transfer_syntax": ts,
        "decoded_by": how,
        "lossy": ts in LOSSY,
        "modality": str(ds.get("Modality", "")),
        "photometric": "RGB" if int(ds.SamplesPerPixel) == 3 else str(ds.PhotometricInterpretation),
        "rows": int(ds.Rows), "columns": int(ds.Columns), "frames": int(frames),
        "channels": int(c),
        "dtype": stored_dtype(ds, slope == 1.0 and intercept == 0.0),
        "rescale": [slope, intercept],
        "spacing": [ps[1], ps[0], dz],
        "origin": [float(v) for v in origin],
        "direction": [float(v) for v in direction],
        "sum": float(values.sum()), "sum_squares": float((values ** 2).sum()),
        "min": float(values.min()), "max": float(values.max()),
        "probes": [{"index": p, "value": float(values[tuple(p)])} for p in probes],
    }


def entry_for(path):
    name = os.path.basename(path)
    if name in BROKEN:
        return {"expect": "error", "why": "damaged on purpose (pydicom test set)"}
    try:
        ds = pydicom.dcmread(path, force=True)  # files without a preamble are still DICOM
    except Exception as e:  # noqa: BLE001 - any parser failure is what we record
        return {"expect": "error", "why": "pydicom cannot parse it: %s" % str(e)[:120]}
    why = classify(ds)
    if why:
        return {"expect": "skip", "why": why}
    if int(ds.get("BitsAllocated", 0)) not in (8, 16, 32):
        return {"expect": "error", "why": "BitsAllocated %s" % ds.get("BitsAllocated")}
    pi = str(ds.get("PhotometricInterpretation", ""))
    ts = str(ds.file_meta.get("TransferSyntaxUID", ""))
    uncompressed = ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
                          "1.2.840.10008.1.2.1.99")
    if pi.startswith("YBR") and uncompressed:
        return {"expect": "error", "why": "uncompressed %s is refused by unetx" % pi}
    try:
        return image_entry(path, ds)
    except Exception as e:  # noqa: BLE001 - no independent decoder: only "no crash" is checked
        return {"expect": "any", "why": "no independent decoder: %s" % str(e)[:120]}


def dicomdir_tree():
    """Image series (by SeriesInstanceUID) and skipped files in dicomdirtests/."""
    root = os.path.join(SOURCE, "dicomdirtests")
    series, skipped = {}, 0
    for folder, _, files in os.walk(root):
        for f in files:
            path = os.path.join(folder, f)
            try:
                ds = pydicom.dcmread(path, force=True)
            except Exception:  # noqa: BLE001
                skipped += 1
                continue
            if classify(ds):
                skipped += 1
                continue
            series.setdefault(str(ds.SeriesInstanceUID), []).append(path)
    return {"series": {uid: len(v) for uid, v in sorted(series.items())}, "skipped": skipped}


def main():
    if not os.path.isdir(SOURCE):
        sys.exit("missing %s: run scripts/fetch_test_data.sh" % SOURCE)
    files = {}
    for name in sorted(os.listdir(SOURCE)):
        path = os.path.join(SOURCE, name)
        if not name.endswith(".dcm") or not os.path.isfile(path):
            continue
        files[name] = entry_for(path)
    fixture = {"generator": "scripts/conformance/make_pydicom_fixture.py",
               "pydicom_version": pydicom.__version__, "numpy_version": np.__version__,
               "files": files, "dicomdirtests": dicomdir_tree()}
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w") as out:
        json.dump(fixture, out, indent=1, sort_keys=True)
        out.write("\n")
    print("wrote %s (%d files)" % (OUTPUT, len(files)))


if __name__ == "__main__":
    main()
