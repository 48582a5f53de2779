/**
 * Headless reading and writing of ImageJ data: images and stacks, label images, ROI sets, and training pairs made
 * from them. Used by both front ends (command line and Fiji); holds no window, dialog or SciJava command.
 */
package io.github.samfiji.imagejio;
