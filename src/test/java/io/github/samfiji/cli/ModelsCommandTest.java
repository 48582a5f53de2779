package io.github.samfiji.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sam-fiji models list|download|add} end to end, downloads from a local HTTP server. */
class ModelsCommandTest {

    @TempDir
    Path temp;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = SamFijiCli.run(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void addCopiesAModelWithItsJsonAndListShowsIt() throws Exception {
        Path folder = temp.resolve("models");
        Run add = run("models", "add", "samples/sam_tiny.pth", "--folder", folder.toString());
        assertEquals(0, add.exit(), add.err());
        assertArrayEquals(Files.readAllBytes(Path.of("samples/sam_tiny.pth")),
                Files.readAllBytes(folder.resolve("sam_tiny.pth")));
        assertEquals(Files.readString(Path.of("samples/sam_tiny.json")), Files.readString(folder.resolve("sam_tiny.json")));
        assertFalse(Files.isSymbolicLink(folder.resolve("sam_tiny.pth")));

        Run again = run("models", "add", "samples/sam_tiny.pth", "--folder", folder.toString());
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("is installed already"), again.err());

        Run list = run("models", "list", "--folder", folder.toString());
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("sam_tiny.pth") && list.out().contains("1356985 B")
                && list.out().contains("local model"), list.out());
        assertTrue(list.out().matches("(?s).*sam_vit_b\\s+SAM ViT-B \\(Meta AI\\)\\s+375\\.0 MB\\s+not installed.*"),
                list.out());
    }

    @Test
    void addLinksWhenAsked() throws Exception {
        Path folder = temp.resolve("models");
        assertEquals(0, run("models", "add", "samples/sam_tiny.pth", "--link", "--folder", folder.toString()).exit());
        assertTrue(Files.isSymbolicLink(folder.resolve("sam_tiny.pth")));
        assertEquals(Path.of("samples/sam_tiny.pth").toAbsolutePath(), Files.readSymbolicLink(folder.resolve("sam_tiny.pth")));
    }

    @Test
    void addRefusesWhatIsNotACheckpoint() throws Exception {
        Path notModel = Files.writeString(temp.resolve("half.pth"), "<html>not found</html>");
        Run r = run("models", "add", notModel.toString(), "--folder", temp.resolve("models").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("does not look like a checkpoint"), r.err());
        assertFalse(Files.exists(temp.resolve("models/half.pth")));
    }

    @Test
    void aFileUnderAPublishedNameMustBeThatModel() throws Exception {
        Path folder = temp.resolve("models");
        byte[] zipStart = {'P', 'K', 3, 4, 0, 0};
        Path truncated = Files.write(Files.createDirectories(temp.resolve("a")).resolve("sam_vit_b_01ec64.pth"), zipStart);
        Run r = run("models", "add", truncated.toString(), "--folder", folder.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("has 6 bytes, but the published sam_vit_b_01ec64.pth (SAM ViT-B (Meta AI)) has "
                + "375042383"), r.err());

        // The right size but other bytes (a sparse stand-in for MobileSAM's 40.7 MB): the checksum decides.
        Path wrong = Files.createDirectories(temp.resolve("b")).resolve("mobile_sam.pt");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(wrong.toFile(), "rw")) {
            f.write(zipStart);
            f.setLength(40_728_226L);
        }
        r = run("models", "add", wrong.toString(), "--folder", folder.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("does not match the published checksum of mobile_sam.pt "
                + "(md5:f3c0d8cda613564d499310dab6c812cd)"), r.err());
        assertFalse(Files.exists(folder.resolve("sam_vit_b_01ec64.pth")));
        assertFalse(Files.exists(folder.resolve("mobile_sam.pt")));

        // Put into the folder by hand, it is found out by 'verify'.
        Files.move(wrong, Files.createDirectories(folder).resolve("mobile_sam.pt"));
        assertEquals(0, run("models", "add", "samples/sam_tiny.pth", "--folder", folder.toString()).exit());
        Run v = run("models", "verify", "--folder", folder.toString());
        assertEquals(1, v.exit(), v.out());
        assertTrue(v.out().contains("MISMATCH   mobile_sam.pt: ") && v.out().contains("does not match the published "
                + "checksum"), v.out());
        assertTrue(v.out().contains("UNVERIFIED sam_tiny.pth: not a published model"), v.out());
        Files.delete(folder.resolve("mobile_sam.pt"));
        assertEquals(0, run("models", "verify", "--folder", folder.toString()).exit());
    }

    @Test
    void downloadFromAMirrorAndOfflineMessage() throws Exception {
        // The MedicoSAM entry has no published checksum or size: only with --trust, any PyTorch zip served under its
        // name passes.
        byte[] checkpoint = Files.readAllBytes(Path.of("samples/sam_tiny.pth"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/vit_b_medicosam.pt", ex -> {
            ex.sendResponseHeaders(200, checkpoint.length);
            ex.getResponseBody().write(checkpoint);
            ex.close();
        });
        server.start();
        try {
            Path folder = temp.resolve("models");
            String mirror = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            Run refused = run("models", "download", "medicosam_vit_b", "--folder", folder.toString(), "--mirror", mirror);
            assertEquals(1, refused.exit(), refused.err());
            assertTrue(refused.err().contains("no published checksum") && refused.err().contains("--trust"),
                    refused.err());
            Run r = run("models", "download", "medicosam_vit_b", "--folder", folder.toString(), "--mirror", mirror,
                    "--trust");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("NOT VERIFIED"), "the user is told the file cannot be verified: " + r.err());
            assertTrue(r.err().contains("downloading vit_b_medicosam.pt"), r.err());
            assertArrayEquals(checkpoint, Files.readAllBytes(folder.resolve("vit_b_medicosam.pt")));
            // 'verify' does not call such a file ok: nothing was checked.
            Run verified = run("models", "verify", "--folder", folder.toString());
            assertTrue(verified.out().contains("UNVERIFIED vit_b_medicosam.pt: no published checksum"), verified.out());
            Run list = run("models", "list", "--folder", folder.toString());
            assertTrue(list.out().matches("(?s).*medicosam_vit_b\\s.*size unknown\\s+installed.*"), list.out());
        } finally {
            server.stop(0);
        }

        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Run offline = run("models", "download", "sam_vit_h", "--folder", temp.resolve("m2").toString(), "--mirror",
                "http://127.0.0.1:" + closedPort + "/");
        assertEquals(1, offline.exit());
        assertTrue(offline.err().contains("put it into " + temp.resolve("m2").toAbsolutePath() + " as sam_vit_h_4b8939.pth"),
                offline.err());

        Run unknown = run("models", "download", "sam_vit_x", "--folder", temp.toString());
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("unknown model 'sam_vit_x'; known models: sam_vit_b, sam_vit_l"), unknown.err());
    }
}
