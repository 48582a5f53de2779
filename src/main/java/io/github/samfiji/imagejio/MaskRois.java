package io.github.samfiji.imagejio;

import ij.gui.Roi;
import ij.plugin.filter.ThresholdToSelection;
import ij.process.ByteProcessor;
import ij.process.ImageProcessor;

/**
 * Turns binary masks into ImageJ selections. Objects with holes or several parts become one composite ROI
 * (ImageJ's own ThresholdToSelection traces the outlines), so nothing of the mask is lost.
 */
public final class MaskRois {

    private MaskRois() {
    }

    /** The selection covering {@code mask} (row-major, width x height), or null when the mask is empty. */
    public static Roi toRoi(boolean[] mask, int width, int height) {
        if (mask.length != width * height) {
            throw new IllegalArgumentException("mask of " + mask.length + " pixels is not " + width + " x " + height);
        }
        byte[] pixels = new byte[mask.length];
        boolean any = false;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                pixels[i] = (byte) 255;
                any = true;
            }
        }
        if (!any) {
            return null;
        }
        ByteProcessor ip = new ByteProcessor(width, height, pixels);
        ip.setThreshold(255, 255, ImageProcessor.NO_LUT_UPDATE);
        return new ThresholdToSelection().convert(ip);
    }

    /** The mask of a selection on a width x height image (true inside). */
    public static boolean[] toMask(Roi roi, int width, int height) {
        ByteProcessor ip = new ByteProcessor(width, height);
        ip.setColor(255);
        ip.fill(roi);
        byte[] pixels = (byte[]) ip.getPixels();
        boolean[] mask = new boolean[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            mask[i] = pixels[i] != 0;
        }
        return mask;
    }
}
