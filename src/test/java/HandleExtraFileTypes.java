import ij.ImagePlus;
import ij.plugin.PlugIn;
import ij.process.ByteProcessor;

/**
 * Test stand-in for Fiji's HandleExtraFileTypes, the class ImageJ 1's opener asks (by this name, in the default
 * package) to open a file type it does not know; in Fiji it hands files to Bio-Formats and other readers. This one
 * opens only the made-up extension {@code .madeup} (a 7 x 5 8-bit image whose pixel x, y is x + 10 y) and, like the
 * real one, leaves itself empty (width 0) for anything else.
 */
public class HandleExtraFileTypes extends ImagePlus implements PlugIn {

    @Override
    public void run(String path) {
        if (path == null || !path.endsWith(".madeup")) {
            return;
        }
        ByteProcessor ip = new ByteProcessor(7, 5);
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 7; x++) {
                ip.set(x, y, x + 10 * y);
            }
        }
        setProcessor(new java.io.File(path).getName(), ip);
    }
}
