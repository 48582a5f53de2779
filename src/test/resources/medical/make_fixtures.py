"""Writes the small NIfTI and DICOM fixtures of the imagejio medical tests (run from this folder with
/usr/bin/python3; needs nibabel, numpy and, for the DICOM series, pydicom).

Every volume holds value(i, j, k[, t]) = i + 10 j + 100 k (+ 1000 t) in file voxel order (minus 50 for the signed
ones), so a test can check any voxel, and so the orientation, from a formula."""
import os

import nibabel as nib
import numpy as np


def ramp(shape, offset=0):
    idx = np.indices(shape)
    value = idx[0] + 10 * idx[1] + 100 * idx[2]
    if len(shape) == 4:
        value = value + 1000 * idx[3]
    return value + offset


def ras(zooms, origin=(0, 0, 0)):
    """An axis-aligned RAS+ affine: voxel axis i to the patient's right, j anterior, k superior."""
    a = np.diag(list(zooms) + [1.0])
    a[:3, 3] = origin
    return a


def save(img, name):
    nib.save(img, name)


# int16 with negative raw values, a non-unit slope and intercept, anisotropic voxels; plain and gzipped.
data = ramp((6, 5, 4), -50).astype(np.int16)
img = nib.Nifti1Image(data, ras((0.5, 0.75, 2.5), (10, -20, 30)))
img.header.set_xyzt_units('mm', 'sec')
img.header.set_slope_inter(0.5, -10)
save(img, 'int16_scaled.nii')
save(img, 'int16_scaled.nii.gz')

# uint8 labels, gzipped, LAS+ affine (FSL's usual storage): voxel axis i runs to the patient's left.
labels = (ramp((6, 5, 4)) % 7).astype(np.uint8)
img = nib.Nifti1Image(labels, np.diag([-1.0, 1.0, 1.5, 1.0]))
img.header.set_xyzt_units('mm')
save(img, 'labels_uint8.nii.gz')

# float32, 4D (two time points, 2 s apart), micrometres.
data = (ramp((4, 3, 2, 2)) / 4.0).astype(np.float32)
img = nib.Nifti1Image(data, ras((0.2, 0.3, 0.4)))
img.header.set_xyzt_units('micron', 'sec')
img.header['pixdim'][4] = 2.0
save(img, 'float32_4d.nii')

# NIfTI-2, uint16.
data = ramp((5, 4, 3)).astype(np.uint16)
img = nib.Nifti2Image(data, ras((1.0, 1.0, 3.0)))
img.header.set_xyzt_units('mm')
save(img, 'uint16_nifti2.nii')

# Big-endian int16 without scaling and without negative values (kept 16-bit).
data = ramp((5, 4, 3)).astype('>i2')
header = nib.Nifti1Header(endianness='>')
header.set_data_dtype('>i2')
img = nib.Nifti1Image(data, None, header=header)
img.set_qform(ras((0.9, 0.8, 0.7)), code=1)  # orientation from the quaternion only
img.set_sform(None, code=0)
img.header.set_xyzt_units('mm')
img.header.set_slope_inter(1, 0)
save(img, 'int16_bigendian.nii')

# A sagittal acquisition: voxel axis i runs anterior, j superior, k to the patient's left (ASL+ stored).
data = ramp((4, 3, 5)).astype(np.uint8)  # wraps at 256, as the test expects
affine = np.array([[0, 0, -2.0, 0], [0.5, 0, 0, 0], [0, 0.75, 0, 0], [0, 0, 0, 1]])
img = nib.Nifti1Image(data, None)
img.set_qform(affine, code=1)  # a quaternion with a permutation and a flip
img.set_sform(None, code=0)
img.header.set_xyzt_units('mm')
save(img, 'uint8_sagittal.nii.gz')

# A single plane (2D, RAS+), and a volume with a 1000-byte header extension before its voxels.
data = ramp((5, 4, 1))[:, :, 0].astype(np.uint8)
img = nib.Nifti1Image(data, ras((0.3, 0.4, 1.0)))
img.header.set_xyzt_units('mm')
save(img, 'uint8_2d.nii')
data = ramp((3, 2, 2)).astype(np.uint16)
img = nib.Nifti1Image(data, ras((1.0, 1.0, 1.0)))
img.header.extensions.append(nib.nifti1.Nifti1Extension('comment', b'x' * 992))
save(img, 'extension.nii.gz')

# An oblique acquisition: axial, rotated 10 degrees about the vertical axis; its exact affine must survive writing.
angle = np.deg2rad(10)
rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
affine = np.eye(4)
affine[:3, :3] = rotation @ np.diag([0.8, 0.9, 2.0])
affine[:3, 3] = [-5, 7, 11]
img = nib.Nifti1Image(ramp((4, 3, 2)).astype(np.uint8), affine)
img.header.set_xyzt_units('mm')
save(img, 'uint8_oblique.nii.gz')

# A NIfTI-1 pair: header in pair.hdr ('ni1'), voxels in pair.img, int8 with negative values (32-bit float).
data = (ramp((3, 4, 2)) - 100).astype(np.int8)
img = nib.Nifti1Pair(data, ras((1.0, 2.0, 3.0)))
img.header.set_xyzt_units('mm')
nib.save(img, 'pair.hdr')

for name in sorted(os.listdir('.')):
    if '.nii' in name or name.endswith('.hdr'):
        print(name, os.path.getsize(name), nib.load(name).header.get_data_dtype(), nib.aff2axcodes(nib.load(name).affine))


# DICOM: a 3-slice CT-like series in shuffled file names, signed 16-bit stored values with a rescale to
# Hounsfield units; instance numbers run against the slice positions, so sorting by position is visible.
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

os.makedirs('dicom_series', exist_ok=True)
series_uid = '1.2.826.0.1.3680043.8.498.1'
positions = [10.0, 12.5, 15.0]
file_names = ['b.dcm', 'c.dcm', 'a.dcm']  # slice 0, 1, 2
for s, (z, name) in enumerate(zip(positions, file_names)):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = series_uid + '.%d' % (s + 1)
    meta.TransferSyntaxUID = ImplicitVRLittleEndian if s == 1 else ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b'\0' * 128
    ds.is_little_endian = True
    ds.is_implicit_VR = s == 1
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'CT'
    ds.SeriesInstanceUID = series_uid
    ds.InstanceNumber = 3 - s
    ds.ImagePositionPatient = [-20.0, -30.0, z]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.6, 0.7]  # row spacing (y), column spacing (x)
    ds.SliceThickness = 2.5
    ds.Rows, ds.Columns = 3, 4
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = 2, -1024
    rows, cols = np.indices((3, 4))
    stored = (cols + 10 * rows + 100 * s - 5).astype('<i2')
    ds.PixelData = stored.tobytes()
    ds.save_as(os.path.join('dicom_series', name), write_like_original=False)

# A series without positions (8-bit, unscaled): sorted by InstanceNumber, which runs against the file names.
os.makedirs('dicom_instances', exist_ok=True)
for s, name in enumerate(['z.dcm', 'y.dcm']):  # instance 1, 2
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    meta.MediaStorageSOPInstanceUID = series_uid + '.2.%d' % (s + 1)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b'\0' * 128
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID = series_uid + '.2'
    ds.InstanceNumber = s + 1
    ds.Rows, ds.Columns = 2, 3
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = (np.arange(6, dtype=np.uint8) + 10 * s).tobytes()
    ds.save_as(os.path.join('dicom_instances', name), write_like_original=False)

# The same slice in a compressed transfer syntax (JPEG baseline), which is refused.
os.makedirs('dicom_compressed', exist_ok=True)
meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
meta.MediaStorageSOPInstanceUID = series_uid + '.9'
meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.50'
ds = Dataset()
ds.file_meta = meta
ds.preamble = b'\0' * 128
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.Rows, ds.Columns = 3, 4
ds.save_as(os.path.join('dicom_compressed', 'x.dcm'), write_like_original=False)
print('DICOM series written')
