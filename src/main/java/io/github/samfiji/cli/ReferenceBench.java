package io.github.samfiji.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference bench ({@code ref_bench.py}: the original SAM / MobileSAM PyTorch code with random weights) run right
 * after ours in the same process tree, so that each of our figures is printed as a ratio to the reference measured
 * minutes apart on the same machine.
 */
final class ReferenceBench {

    /**
     * The reference's medians: encoder (s), decoder per prompt (ms), AMG after the encode (s; NaN if not run), and its
     * peak resident memory as measured from outside (MB; NaN where /proc cannot be read).
     */
    record Figures(String torch, double encoderSeconds, double decoderMillis, double amgSeconds, double peakRssMb) {
    }

    private ReferenceBench() {
    }

    static Figures run(String python, Path script, String preset, int runs, String amgFlag)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(python, script.toString(), preset, Integer.toString(runs)));
        if (amgFlag != null) {
            command.add(amgFlag);
        }
        System.err.println("reference bench: " + String.join(" ", command));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // The child's own getrusage peak is useless here: Linux carries the JVM's peak over into a process the JVM
        // starts. Its /proc high-water mark belongs to its own memory, so it is read while it runs.
        long[] peakKb = {-1};
        Thread watcher = new Thread(() -> {
            Path status = Path.of("/proc", Long.toString(process.pid()), "status");
            while (process.isAlive()) {
                peakKb[0] = Math.max(peakKb[0], highWaterKb(status));
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "reference-bench-memory");
        watcher.setDaemon(true);
        watcher.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = process.waitFor();
        watcher.join();
        String json = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (code != 0 || json == null) {
            throw new IllegalStateException("the reference bench failed (exit " + code + "); it needs PyTorch for "
                    + python + " (Debian: apt-get install python3-torch python3-torchvision)");
        }
        Figures f = parse(json);
        return new Figures(f.torch(), f.encoderSeconds(), f.decoderMillis(), f.amgSeconds(),
                peakKb[0] > 0 ? peakKb[0] / 1024.0 : Double.NaN);
    }

    /** VmHWM of a running process from its /proc status file, in kB; -1 when unreadable (not Linux, or exited). */
    static long highWaterKb(Path status) {
        try {
            for (String line : java.nio.file.Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static Figures parse(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        return new Figures(o.has("torch") ? o.get("torch").getAsString() : "?",
                o.get("encoder_s_median").getAsDouble(), o.get("decoder_ms_median").getAsDouble(),
                o.has("amg_s_after_encode") ? o.get("amg_s_after_encode").getAsDouble() : Double.NaN,
                o.has("peak_rss_mb") ? o.get("peak_rss_mb").getAsDouble() : Double.NaN);
    }

    /**
     * Our figures beside the reference's. The decoder is compared with our full-size decode of all three candidates,
     * which is what the reference's {@code predict} returns.
     */
    static void print(Figures ref, double encoderMillis, double fullDecoderMillis, double amgMillis, double peakRssMb) {
        System.out.printf("reference (PyTorch %s):%n", ref.torch());
        System.out.printf("  encoder      ours %.2f s, reference %.2f s, ratio %.2f%n", encoderMillis / 1000,
                ref.encoderSeconds(), encoderMillis / 1000 / ref.encoderSeconds());
        System.out.printf("  decoder      ours %.1f ms, reference %.1f ms, ratio %.2f%n", fullDecoderMillis,
                ref.decoderMillis(), fullDecoderMillis / ref.decoderMillis());
        if (!Double.isNaN(amgMillis) && !Double.isNaN(ref.amgSeconds())) {
            System.out.printf("  AMG          ours %.1f s, reference %.1f s, ratio %.2f%n", amgMillis / 1000,
                    ref.amgSeconds(), amgMillis / 1000 / ref.amgSeconds());
        }
        if (Double.isNaN(ref.peakRssMb())) {
            System.out.printf("  peak RSS     ours %.0f MB, reference not measurable here%n", peakRssMb);
        } else {
            System.out.printf("  peak RSS     ours %.0f MB, reference %.0f MB, ratio %.2f%n", peakRssMb,
                    ref.peakRssMb(), peakRssMb / ref.peakRssMb());
        }
    }
}
