package io.github.samfiji.ij;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import ij.Prefs;
import ij.macro.Interpreter;
import io.github.samfiji.testing.NeedsDisplay;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SAM Model Manager run by its menu name from a macro, with recorder-style options: adding a local file, a download
 * (from a local mirror), listing, the errors a user meets, and the installed model then offered to Segment with Prompt.
 */
@NeedsDisplay
class ModelManagerMacroTest {

    private static final Path TINY = Path.of("samples/sam_tiny.pth").toAbsolutePath();

    @TempDir
    Path temp;

    private String savedFolder;

    @BeforeAll
    static void registerMenuCommands() {
        ImageJMenus.registerCommands();
    }

    @BeforeEach
    void useTemporaryModelsFolder() {
        savedFolder = Prefs.get(ModelFolder.PREF, "");
        Prefs.set(ModelFolder.PREF, temp.resolve("models").toString());
        CommandDialog.lastError = null;
    }

    @AfterEach
    void restore() {
        Prefs.set(ModelFolder.PREF, savedFolder);
    }

    /** What IJ.log printed (without a Log window ImageJ prints it to standard output). */
    private final java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();

    private String run(String macro) {
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            return new Interpreter().run("setBatchMode(true);\n" + macro, null);
        } finally {
            System.setOut(saved);
        }
    }

    private String log() {
        return printed.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void addsALocalFileThatSegmentWithPromptThenOffers() throws Exception {
        run("run('SAM Model Manager', 'action=[Add a local model file] local=[" + TINY + "]');");
        Path installed = temp.resolve("models/sam_tiny.pth");
        assertArrayEquals(Files.readAllBytes(TINY), Files.readAllBytes(installed));
        assertTrue(Files.exists(temp.resolve("models/sam_tiny.json")), "its JSON description came along");
        assertTrue(ModelFolder.names().contains("sam_tiny.pth"));

        // Segment with Prompt finds it by name in the same folder.
        String count = run("open('" + Path.of("samples/fixture-image.png").toAbsolutePath() + "');\n"
                + "makeRectangle(30, 29, 48, 48);\n"
                + "run('Segment with Prompt', 'installed=sam_tiny.pth prompts=[Image selection] multimask "
                + "candidate=[Best predicted IoU] add');\n"
                + "n = roiManager('count'); close('*'); return '' + n;");
        assertEquals("1", count, "segmented with the installed model; error: " + CommandDialog.lastError);

        // Adding it again is refused, and the installed file stays as it was.
        run("run('SAM Model Manager', 'action=[Add a local model file] local=[" + TINY + "]');");
        assertTrue(CommandDialog.lastError != null && CommandDialog.lastError.contains("is installed already"),
                String.valueOf(CommandDialog.lastError));

        run("run('SAM Model Manager', 'action=[List installed models]');");
        String log = log();
        assertTrue(log.contains("sam_tiny.pth (1356985 bytes): local model"), log);
        assertTrue(log.contains("sam_vit_h: SAM ViT-H (Meta AI), 2.56 GB, not installed"), log);

        // A file put into the folder by hand under a published name, but truncated: Verify finds it out.
        Files.write(temp.resolve("models/sam_vit_b_01ec64.pth"), new byte[] {'P', 'K', 3, 4});
        CommandDialog.lastError = null;
        run("run('SAM Model Manager', 'action=[Verify installed models]');");
        assertTrue(log().contains("UNVERIFIED: sam_tiny.pth: not a published model"), log());
        assertTrue(log().contains("MISMATCH: sam_vit_b_01ec64.pth: "), log());
        assertTrue(String.valueOf(CommandDialog.lastError).contains("not as published: sam_vit_b_01ec64.pth"),
                String.valueOf(CommandDialog.lastError));
    }

    @Test
    void linksWhenAsked() throws Exception {
        run("run('SAM Model Manager', 'action=[Add a local model file] local=[" + TINY + "] link');");
        assertTrue(Files.isSymbolicLink(temp.resolve("models/sam_tiny.pth")), String.valueOf(CommandDialog.lastError));
    }

    @Test
    void downloadsFromAMirrorAndExplainsWhenOffline() throws Exception {
        byte[] checkpoint = Files.readAllBytes(TINY);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/vit_b_medicosam.pt", ex -> {
            ex.sendResponseHeaders(200, checkpoint.length);
            ex.getResponseBody().write(checkpoint);
            ex.close();
        });
        server.start();
        try {
            // No published checksum: refused unless the user says they trust the source.
            run("run('SAM Model Manager', 'action=[Download a known model] known=medicosam_vit_b mirror=http://127.0.0.1:"
                    + server.getAddress().getPort() + "/');");
            assertFalse(Files.exists(temp.resolve("models/vit_b_medicosam.pt")));
            assertTrue(String.valueOf(CommandDialog.lastError).contains("Trust a model without checksum"),
                    String.valueOf(CommandDialog.lastError));
            run("run('SAM Model Manager', 'action=[Download a known model] known=medicosam_vit_b mirror=http://127.0.0.1:"
                    + server.getAddress().getPort() + "/ trust');");
        } finally {
            server.stop(0);
        }
        assertArrayEquals(checkpoint, Files.readAllBytes(temp.resolve("models/vit_b_medicosam.pt")),
                String.valueOf(CommandDialog.lastError));
        assertTrue(log().contains("NOT VERIFIED"), log());

        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        run("run('SAM Model Manager', 'action=[Download a known model] known=mobile_sam mirror=http://127.0.0.1:"
                + closed + "/');");
        String error = String.valueOf(CommandDialog.lastError);
        assertTrue(error.contains("put it into " + temp.resolve("models").toAbsolutePath() + " as mobile_sam.pt"), error);
        assertFalse(Files.exists(temp.resolve("models/mobile_sam.pt")));
    }
}
