package io.github.samfiji.library;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.samfiji.io.Progress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads against a local HTTP server: complete, corrupted, interrupted and resumed, cancelled, offline. */
class ModelDownloaderTest {

    private static final String NAME = "test_model.pth";

    @TempDir
    Path temp;

    private byte[] content;
    private LocalHttpServer server;
    private Path folder;

    @BeforeEach
    void start() throws Exception {
        content = new byte[3 * 1024 * 1024 + 12345]; // several read chunks
        new Random(7).nextBytes(content);
        content[0] = 'P';
        content[1] = 'K';
        content[2] = 3;
        content[3] = 4;
        server = new LocalHttpServer(NAME, content);
        folder = temp.resolve("models");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private KnownModel model(URI uri, long size, Checksum checksum) {
        return new KnownModel("test", "Test model", NAME, uri, size, checksum, "test");
    }

    private KnownModel published() throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        return model(server.uri(NAME), content.length, Checksum.parse("sha256:" + sha));
    }

    /** Records progress fractions and messages. */
    private static final class Recorder implements Progress {
        final List<Double> fractions = new ArrayList<>();
        final List<String> messages = new ArrayList<>();
        int cancelAfter = Integer.MAX_VALUE;

        @Override
        public void update(double fraction, String message) {
            fractions.add(fraction);
            messages.add(message);
        }

        @Override
        public boolean isCancelled() {
            return fractions.size() >= cancelAfter;
        }
    }

    @Test
    void downloadsVerifiesAndInstallsUnderTheFinalName() throws Exception {
        Recorder progress = new Recorder();
        Path installed = new ModelDownloader().download(published(), folder, false, progress);
        assertEquals(folder.resolve(NAME), installed);
        assertArrayEquals(content, Files.readAllBytes(installed));
        assertFalse(Files.exists(ModelDownloader.partial(folder, NAME)), "no partial file left");
        assertTrue(progress.messages.stream().anyMatch(m -> m.startsWith("downloading " + NAME)), "download progress");
        assertTrue(progress.messages.stream().anyMatch(m -> m.startsWith("verifying")), "verification progress");
        assertEquals(1.0, progress.fractions.get(progress.fractions.size() - 1));
        for (int i = 1; i < progress.fractions.size(); i++) {
            assertTrue(progress.fractions.get(i) >= 0 && progress.fractions.get(i) <= 1);
        }
    }

    @Test
    void aMedSamStyleModelIsInstalledWithItsPreprocessingWhichTheLoaderReads() throws Exception {
        KnownModel p = published();
        KnownModel medsam = new KnownModel(p.id(), p.title(), p.fileName(), p.url(), p.size(), p.checksum(), p.note(),
                io.github.samfiji.model.SamConfig.Preprocessing.MEDSAM);
        Path installed = new ModelDownloader().download(medsam, folder, false, Progress.NONE);
        Path sidecar = io.github.samfiji.checkpoint.ModelLoader.sidecarOf(installed);
        String json = Files.readString(sidecar);
        assertEquals(io.github.samfiji.model.SamConfig.Preprocessing.MEDSAM,
                io.github.samfiji.model.ConfigJson.parse(json, io.github.samfiji.model.Presets.get("vit_b")).preprocessing());
        // A description the user wrote is kept; a SAM model gets none.
        Files.writeString(sidecar, "{\"preprocessing\": \"sam\"}");
        new ModelDownloader().download(medsam, folder, true, Progress.NONE);
        assertEquals("{\"preprocessing\": \"sam\"}", Files.readString(sidecar));
        assertEquals(null, p.sidecarJson());
        assertEquals(io.github.samfiji.model.SamConfig.Preprocessing.MEDSAM,
                ModelRegistry.require("medsam_vit_b").preprocessing());
        assertEquals(io.github.samfiji.model.SamConfig.Preprocessing.SAM, ModelRegistry.require("sam_vit_b").preprocessing());
    }

    @Test
    void refusesToReplaceAnInstalledModelUnlessAsked() throws Exception {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(NAME), "the user's own file");
        assertThrows(FileAlreadyExistsException.class,
                () -> new ModelDownloader().download(published(), folder, false, Progress.NONE));
        assertEquals("the user's own file", Files.readString(folder.resolve(NAME)));
        new ModelDownloader().download(published(), folder, true, Progress.NONE);
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
    }

    @Test
    void corruptedTransferFailsClearlyAndLeavesNoFile() throws Exception {
        server.fault = LocalHttpServer.Fault.CORRUPT;
        ModelException e = assertThrows(ModelException.class,
                () -> new ModelDownloader().download(published(), folder, false, Progress.NONE));
        assertTrue(e.getMessage().contains("checksum mismatch for " + NAME), e.getMessage());
        assertTrue(e.getMessage().contains("expected sha256:"), e.getMessage());
        assertFalse(Files.exists(folder.resolve(NAME)), "nothing under the final name");
        assertFalse(Files.exists(ModelDownloader.partial(folder, NAME)), "the corrupt partial file is deleted");
    }

    @Test
    void wrongSizeFailsClearlyAndLeavesNoFile() throws Exception {
        KnownModel lying = model(server.uri(NAME), content.length + 10L, null);
        ModelException e = assertThrows(ModelException.class,
                () -> new ModelDownloader().trusting(true).download(lying, folder, false, Progress.NONE));
        assertTrue(e.getMessage().contains("not the " + (content.length + 10) + " published"), e.getMessage());
        assertFalse(Files.exists(folder.resolve(NAME)));
        assertFalse(Files.exists(ModelDownloader.partial(folder, NAME)));
    }

    @Test
    void interruptedTransferResumesWithARangeRequest() throws Exception {
        server.fault = LocalHttpServer.Fault.CUT_NEXT;
        ModelException e = assertThrows(ModelException.class,
                () -> new ModelDownloader().download(published(), folder, false, Progress.NONE));
        assertTrue(e.getMessage().contains("interrupted") && e.getMessage().contains("run it again"), e.getMessage());
        assertFalse(Files.exists(folder.resolve(NAME)), "nothing under the final name after the cut");
        Path part = ModelDownloader.partial(folder, NAME);
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < content.length, "partial file kept: " + kept);

        new ModelDownloader().download(published(), folder, false, Progress.NONE);
        assertEquals("bytes=" + kept + "-", server.ranges.get(server.ranges.size() - 1), "resumed where it stopped");
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
        assertFalse(Files.exists(part));
    }

    @Test
    void stalledTransferTimesOutAndResumes() throws Exception {
        server.fault = LocalHttpServer.Fault.STALL_NEXT;
        ModelDownloader impatient = new ModelDownloader().readTimeout(java.time.Duration.ofMillis(400));
        ModelException e = assertThrows(ModelException.class,
                () -> impatient.download(published(), folder, false, Progress.NONE));
        assertTrue(e.getMessage().contains("stalled") && e.getMessage().contains("run it again"), e.getMessage());
        long kept = Files.size(ModelDownloader.partial(folder, NAME));
        assertTrue(kept > 0 && kept < content.length, "kept " + kept);
        assertFalse(Files.exists(folder.resolve(NAME)));
        impatient.download(published(), folder, false, Progress.NONE);
        assertEquals("bytes=" + kept + "-", server.ranges.get(server.ranges.size() - 1));
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
    }

    @Test
    void serverIgnoringRangeStillGivesTheRightFile() throws Exception {
        Path part = ModelDownloader.partial(folder, NAME);
        Files.createDirectories(folder);
        Files.write(part, java.util.Arrays.copyOf(content, 1000));
        server.fault = LocalHttpServer.Fault.IGNORE_RANGE;
        new ModelDownloader().download(published(), folder, false, Progress.NONE);
        assertEquals("bytes=1000-", server.ranges.get(0));
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
    }

    @Test
    void cancelledDownloadKeepsItsPartAndResumes() throws Exception {
        Recorder cancelling = new Recorder();
        cancelling.cancelAfter = 1;
        assertThrows(CancellationException.class,
                () -> new ModelDownloader().download(published(), folder, false, cancelling));
        assertFalse(Files.exists(folder.resolve(NAME)));
        long kept = Files.size(ModelDownloader.partial(folder, NAME));
        assertTrue(kept > 0 && kept < content.length, "kept " + kept);
        new ModelDownloader().download(published(), folder, false, Progress.NONE);
        assertEquals("bytes=" + kept + "-", server.ranges.get(server.ranges.size() - 1));
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
    }

    @Test
    void modelWithoutPublishedChecksumIsCheckedToBeACheckpoint() throws Exception {
        // Without a published checksum nothing proves the file: the user must say they trust it.
        ModelException untrusted = assertThrows(ModelException.class, () -> new ModelDownloader()
                .download(model(server.uri(NAME), -1, null), folder, false, Progress.NONE));
        assertTrue(untrusted.getMessage().contains("--trust"), untrusted.getMessage());
        assertFalse(Files.exists(folder.resolve(NAME)));
        new ModelDownloader().trusting(true).download(model(server.uri(NAME), -1, null), folder, false, Progress.NONE);
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));

        try (LocalHttpServer errorPage = new LocalHttpServer(NAME, "<html>quota exceeded</html>".getBytes())) {
            Path other = temp.resolve("other");
            ModelException e = assertThrows(ModelException.class, () -> new ModelDownloader().trusting(true)
                    .download(model(errorPage.uri(NAME), -1, null), other, false, Progress.NONE));
            assertTrue(e.getMessage().contains("not a PyTorch checkpoint"), e.getMessage());
            assertFalse(Files.exists(other.resolve(NAME)));
        }
    }

    @Test
    void mirrorServesThePublishedFileName() throws Exception {
        KnownModel elsewhere = model(URI.create("https://example.invalid/x/" + NAME), content.length,
                published().checksum());
        ModelDownloader mirror = new ModelDownloader(server.folder());
        assertEquals(server.uri(NAME), mirror.source(elsewhere));
        mirror.download(elsewhere, folder, false, Progress.NONE);
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
    }

    @Test
    void fileMirrorsAreCopiedAndCheckedAndOtherSchemesRefused() throws Exception {
        Path share = Files.createDirectories(temp.resolve("share"));
        Files.write(share.resolve(NAME), content);
        ModelDownloader fromShare = new ModelDownloader(share.toUri());
        fromShare.download(published(), folder, false, Progress.NONE);
        assertArrayEquals(content, Files.readAllBytes(folder.resolve(NAME)));
        // A wrong file on the share fails its checksum and is not installed.
        Files.write(share.resolve(NAME), java.util.Arrays.copyOf(content, content.length - 1));
        Path other = temp.resolve("other");
        assertThrows(ModelException.class, () -> fromShare.download(published(), other, false, Progress.NONE));
        assertFalse(Files.exists(other.resolve(NAME)));
        ModelException ftp = assertThrows(ModelException.class, () -> new ModelDownloader(URI.create("ftp://host/m/"))
                .download(published(), other, false, Progress.NONE));
        assertTrue(ftp.getMessage().contains("only http, https and file:"), ftp.getMessage());
    }

    @Test
    void aServerSendingMoreThanPublishedIsStoppedAndNothingKept() throws Exception {
        byte[] longer = java.util.Arrays.copyOf(content, content.length + 5000);
        try (LocalHttpServer big = new LocalHttpServer(NAME, longer)) {
            ModelException e = assertThrows(ModelException.class, () -> new ModelDownloader()
                    .download(model(big.uri(NAME), content.length, null), folder, false, Progress.NONE));
            assertTrue(e.getMessage().contains("--trust"), e.getMessage());
            e = assertThrows(ModelException.class, () -> new ModelDownloader().trusting(true)
                    .download(model(big.uri(NAME), content.length, null), folder, false, Progress.NONE));
            assertTrue(e.getMessage().contains("sent more than the published"), e.getMessage());
            assertFalse(Files.exists(ModelDownloader.partial(folder, NAME)), "no .part left to resume");
        }
    }

    @Test
    void offlineTellsWhereToPutTheFile() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        KnownModel sam = ModelRegistry.require("sam_vit_b");
        ModelDownloader offline = new ModelDownloader(URI.create("http://127.0.0.1:" + closedPort + "/"));
        ModelException e = assertThrows(ModelException.class, () -> offline.download(sam, folder, false, Progress.NONE));
        String m = e.getMessage();
        assertTrue(m.contains("cannot reach 127.0.0.1:" + closedPort), m);
        assertTrue(m.contains("put it into " + folder.toAbsolutePath() + " as sam_vit_b_01ec64.pth"), m);
        assertTrue(m.contains(sam.checksum().toString()), m);
        assertFalse(Files.exists(folder.resolve("sam_vit_b_01ec64.pth")));
    }
}
