/**
 * Headless reading and writing of ImageJ data: images and stacks, label images, ROI sets, and training pairs made
 * from them. Used by both front ends (command line and Fiji); holds no window, dialog or SciJava command. Medical
 * volumes (NIfTI files, DICOM series) are read and written by the {@code medical} sub-package, behind
 * {@link io.github.samfiji.imagejio.ImageFiles} and {@link io.github.samfiji.imagejio.LabelImageFiles}.
 */
package io.github.samfiji.imagejio;
